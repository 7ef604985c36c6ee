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


def sample_students(prefix, count=12, classes=("Form 1", "Form 2", "Form 3", "Form 4"), phone_code="+254"):
    """`count` plausible students of one school, the same on every run."""
    rng = random.Random(prefix)
    students = []
    for number in range(1, count + 1):
        level = (number - 1) % len(classes)  # 0 for the youngest class
        last_name = rng.choice(LAST_NAMES)
        enrolled = datetime.date(INTAKE_YEAR - level, 1, 8 + rng.randrange(7))
        born = datetime.date(enrolled.year - 13 - rng.randrange(2), 1 + rng.randrange(12), 1 + rng.randrange(28))
        students.append(Student(
            registration_no=f"{prefix}/{enrolled.year}/{number:03d}",
            first_name=rng.choice(FIRST_NAMES),
            second_name=last_name,
            grade=classes[level],
            status=rng.choice(STATUSES) if level else Student.Status.ACTIVE,
            date_of_birth=born,
            enrolment_date=enrolled,
            guardian_name=f"{rng.choice(GUARDIAN_NAMES)} {last_name}",
            guardian_phone=f"{phone_code} {rng.randrange(700, 800)} {rng.randrange(1000000):06d}",
        ))
    return students


def create_demo_schools(with_students=True):
    """Register the demo schools (only `default` without students)."""
    demo = DEMO_SCHOOLS if with_students else DEMO_SCHOOLS[:1]
    for name, display_name, hosts, prefix, count, classes, phone_code in demo:
        school = add_school(name, hosts, display_name)
        if with_students:
            with tenant_context(school):
                Student.objects.bulk_create(sample_students(prefix, count, classes, phone_code))
                # This year is current and the classes are the ladder, the last one graduating,
                # as the school year's migration leaves an existing school: promotion day works at once.
                current_year(name)
                set_ladder(name, classes, finals=[classes[-1]])
            logger.info("demo students added", extra={"school": name})
