"""The demo schools that `school_manage.py up` creates on an empty registry.

Their students look like a real school's (classes, statuses, dates of birth
and enrolment, guardians with phone numbers), and Nairobi has a few hundred
so that search, filters and pagination show what they do. Their classes are
confirmed as each school's grade ladder, so promotion day works at once. The generator is
deterministic: the same names and numbers on every machine.
"""

import datetime
import logging
import random

from School.context import tenant_context
from School.identity.guardians import checked_guardian, replace_guardians
from School.identity.models import Guardianship
from School.models import Student
from School.operations.provisioning import add_school
from School.school_year.calendar import current_year
from School.school_year.ladder import set_ladder

logger = logging.getLogger(__name__)

# (name, display name, hosts, registration prefix, students, classes, phone country code)
DEMO_SCHOOLS = [
    ("default", "Default School", ["localhost", "127.0.0.1", "school.local"], "DEF", 24,
     ["Grade 7", "Grade 8", "Grade 9"], "+254"),
    ("nairobi", "Nairobi School", ["nairobi.localhost", "nairobi.school.local"], "NBI", 320,
     ["Form 1", "Form 2", "Form 3", "Form 4"], "+254"),
    ("accra", "Accra Academy", ["accra.localhost", "accra.school.local"], "ACC", 48,
     ["SHS 1", "SHS 2", "SHS 3"], "+233"),
]

FIRST_NAMES = ["Amina", "Kwame", "Wanjiru", "Kofi", "Njeri", "Ama", "Otieno", "Esi", "Baraka", "Yaw", "Akinyi", "Abena",
               "Juma", "Adjoa", "Mwende", "Kojo", "Zawadi", "Efua", "Chege", "Akosua"]
LAST_NAMES = ["Mwangi", "Mensah", "Odhiambo", "Owusu", "Kamau", "Boateng", "Achieng", "Asante", "Kiprop", "Appiah",
              "Wambui", "Quaye", "Mutua", "Osei", "Njoroge", "Ampofo"]
GUARDIAN_NAMES = ["Grace", "Joseph", "Mary", "Samuel", "Esther", "Daniel", "Ruth", "Peter", "Faith", "Emmanuel"]
# Most students are active; older classes have some who left or finished.
STATUSES = [Student.Status.ACTIVE] * 16 + [Student.Status.TRANSFERRED, Student.Status.WITHDRAWN,
                                           Student.Status.GRADUATED, Student.Status.GRADUATED]
INTAKE_YEAR = 2024
# Mobile prefixes libphonenumber accepts as numbers that exist, per country code.
# (prefixes, digits after the prefix)
MOBILE_NUMBERS = {"+254": (["700", "711", "722", "733", "790"], 6), "+233": (["20", "24", "50", "54"], 7)}
RELATIONSHIPS = [Guardianship.Relationship.MOTHER] * 3 + [Guardianship.Relationship.FATHER] * 2 + [
    Guardianship.Relationship.GRANDPARENT, Guardianship.Relationship.GUARDIAN]


def sample_students(prefix, count=12, classes=("Form 1", "Form 2", "Form 3", "Form 4"), phone_code="+254"):
    """`count` plausible students of one school, the same on every run."""
    rng = random.Random(prefix)
    students = []
    for number in range(1, count + 1):
        level = (number - 1) % len(classes)  # 0 for the youngest class
        last_name = rng.choice(LAST_NAMES)
        enrolled = datetime.date(INTAKE_YEAR - level, 1, 8 + rng.randrange(7))
        born = datetime.date(enrolled.year - 13 - rng.randrange(2), 1 + rng.randrange(12), 1 + rng.randrange(28))
        student = Student(
            registration_no=f"{prefix}/{enrolled.year}/{number:03d}",
            first_name=rng.choice(FIRST_NAMES),
            second_name=last_name,
            grade=classes[level],
            status=rng.choice(STATUSES) if level else Student.Status.ACTIVE,
            date_of_birth=born,
            enrolment_date=enrolled,
            sex=rng.choice((Student.Sex.FEMALE, Student.Sex.MALE)),
        )
        # One guardian each, with a mobile number of the school's country.
        student.guardians_given = [checked_guardian(
            f"{rng.choice(GUARDIAN_NAMES)} {last_name}",
            f"{phone_code} {rng.choice(MOBILE_NUMBERS[phone_code][0])} "
            f"{rng.randrange(10 ** MOBILE_NUMBERS[phone_code][1]):0{MOBILE_NUMBERS[phone_code][1]}d}",
            relationship=rng.choice(RELATIONSHIPS), primary_contact=True, lives_with=True, emergency_contact=True,
        )]
        students.append(student)
    return students


def create_demo_schools(with_students=True):
    """Register the demo schools (only `default` without students)."""
    demo = DEMO_SCHOOLS if with_students else DEMO_SCHOOLS[:1]
    for name, display_name, hosts, prefix, count, classes, phone_code in demo:
        school = add_school(name, hosts, display_name)
        if with_students:
            with tenant_context(school):
                students = Student.objects.bulk_create(sample_students(prefix, count, classes, phone_code))
                replace_guardians(school.name, [(student.pk, student.guardians_given) for student in students])
                # This year is current and the classes are the ladder, the last one graduating,
                # as the school year's migration leaves an existing school: promotion day works at once.
                current_year(name)
                set_ladder(name, classes, finals=[classes[-1]])
            logger.info("demo students added", extra={"school": name})
