"""Two small school years of three schools, built by hand, for the ministry's indicators (issue 36).

alpha and beta closed 2025 (promotion done); gamma did not. Grades P1, P2
(primary) and S1, S2 (lower secondary, S2 final). Each child's story is
written beside it; tests/test_indicators.py checks every indicator
against values computed by hand from these stories.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from School.accounts.groups import TEACHERS
from School.context import tenant_context
from School.models import Student
from School.platform.figures import recount
from School.register.codes import ABSENT, EXCUSED, LATE, NOT_EXPECTED
from School.register.models import Mark, RegisterTaken
from School.school_year.models import Enrolment, Grade, Promotion, SchoolYear, Term

Y1, Y2 = "2025", "2026"
F, M, U = Student.Sex.FEMALE, Student.Sex.MALE, Student.Sex.NOT_RECORDED
LADDER = (("P1", "primary"), ("P2", "primary"), ("S1", "lower-secondary"), ("S2", "lower-secondary"))
# Twins born the same day; one child exactly 6 on 2025-01-06 (the first day of 2025), one a day short of 6.
TWINS_BORN = datetime.date(2013, 3, 10)
MARKS = ("Wanjiru", "Twin", "AL-", "BE-", "GA-", "2013-03-10", "2019-01-06", "2019-01-07")

# (regno, first name, sex, born, [(year, grade, outcome)])
ALPHA = [
    ("AL-1", "Wanjiru", F, datetime.date(2019, 1, 6), [(Y1, "P1", "promoted"), (Y2, "P2", "enrolled")]),
    ("AL-2", "Kamau", M, datetime.date(2019, 1, 7), [(Y1, "P1", "repeated"), (Y2, "P1", "enrolled")]),
    ("AL-3", "TwinA", F, TWINS_BORN, [(Y1, "P2", "promoted"), (Y2, "S1", "enrolled")]),
    ("AL-4", "TwinB", F, TWINS_BORN, [(Y1, "P2", "promoted"), (Y2, "S1", "enrolled")]),
    ("AL-5", "Otieno", M, datetime.date(2012, 5, 1), [(Y1, "P2", "withdrawn")]),  # a dropout
    ("AL-6", "Moved", U, None, [(Y1, "P2", "transferred")]),  # to beta: BE-6 there
    ("AL-7", "Grad", M, datetime.date(2009, 2, 2), [(Y1, "S2", "graduated")]),
    ("AL-8", "Again", F, datetime.date(2011, 7, 7), [(Y1, "S1", "repeated"), (Y2, "S1", "enrolled")]),
    ("AL-9", "New", M, datetime.date(2020, 1, 1), [(Y2, "P1", "enrolled")]),  # a new entrant in 2026
]
BETA = [
    ("BE-1", "Akinyi", F, datetime.date(2019, 4, 4), [(Y1, "P1", "promoted"), (Y2, "P2", "enrolled")]),
    ("BE-2", "Left", M, datetime.date(2019, 5, 5), [(Y1, "P1", "withdrawn")]),
    ("BE-6", "Moved", U, None, [(Y1, "P2", "promoted"), (Y2, "S1", "enrolled")]),  # came from alpha
    ("BE-3", "Stays", M, datetime.date(2008, 8, 8), [(Y1, "S2", "repeated"), (Y2, "S2", "enrolled")]),
]
GAMMA = [("GA-1", "Open", F, datetime.date(2019, 9, 9), [(Y1, "P1", "enrolled")])]
YEARS = {Y1: (datetime.date(2025, 1, 6), datetime.date(2025, 11, 28)), Y2: (datetime.date(2026, 1, 5), datetime.date(2026, 11, 27))}


def build_school(name, people, closed, current, teachers=0):
    with tenant_context(name):
        years = {}
        for year, (first, last) in YEARS.items():
            if any(y == year for *_r, stories in people for y, _g, _o in stories):
                years[year] = SchoolYear.objects.create(name=year, first_day=first, last_day=last, is_current=year == current)
        grades = {}
        for position, (grade, level) in enumerate(LADDER):
            grades[grade] = Grade.objects.create(name=grade, position=position, level=level, is_final=grade == "S2")
        Grade.objects.filter(name="P1").update(next_grade=grades["P2"])
        Grade.objects.filter(name="P2").update(next_grade=grades["S1"])
        Grade.objects.filter(name="S1").update(next_grade=grades["S2"])
        if closed:
            now = timezone.now()
            Promotion.objects.create(from_year=years[Y1], to_year=years[Y2], state=Promotion.State.DONE,
                                     started_at=now, finished_at=now, lease_until=now)
        for regno, first, sex, born, stories in people:
            last_grade = stories[-1][1]
            here = stories[-1][2] == "enrolled"
            student = Student.objects.create(registration_no=regno, first_name=first, second_name="Child", sex=sex,
                                             date_of_birth=born, grade=last_grade if here else "",
                                             enrolment_date=datetime.date(2024, 12, 1),
                                             status=Student.Status.ACTIVE if here else Student.Status.WITHDRAWN)
            for year, grade, outcome in stories:
                Enrolment.objects.create(student=student, year=years[year], grade=grades[grade], outcome=outcome)
        group = Group.objects.get_or_create(name=TEACHERS)[0]
        for n in range(teachers):
            group.user_set.add(get_user_model().objects.create_user(f"teacher{n}", password="x" * 12))
        if teachers:  # one who left: not counted
            group.user_set.add(get_user_model().objects.create_user("gone", password="x" * 12, is_active=False))


def take_registers(name):
    """alpha's 2026 term 1: P1 on three days, S1 on two, with a few marks."""
    with tenant_context(name):
        year = SchoolYear.objects.get(name=Y2)
        Term.objects.create(year=year, name="Term 1", first_day=datetime.date(2026, 1, 5), last_day=datetime.date(2026, 3, 31))
        by_regno = dict(Student.objects.values_list("registration_no", "pk"))
        marks = {("P1", 5): [("AL-9", ABSENT)], ("P1", 6): [("AL-2", NOT_EXPECTED)], ("P1", 7): [],
                 ("S1", 5): [("AL-3", LATE)], ("S1", 6): [("AL-4", EXCUSED)]}
        for (class_name, day), marked in marks.items():
            register = RegisterTaken.objects.create(year=year, class_name=class_name, date=datetime.date(2026, 1, day),
                                                    taken_by="teacher0", taken_at=timezone.now())
            for regno, code in marked:
                Mark.objects.create(register=register, student_id=by_regno[regno], code=code)


def build(platform):
    platform.add_school("alpha", ["alpha.localhost"], "Alpha Primary and Secondary")
    platform.add_school("beta", ["beta.localhost"], "Beta School")
    platform.add_school("gamma", ["gamma.localhost"], "Gamma School")
    build_school("alpha", ALPHA, closed=True, current=Y2, teachers=2)
    build_school("beta", BETA, closed=True, current=Y2, teachers=1)
    build_school("gamma", GAMMA, closed=False, current=Y1)
    take_registers("alpha")
    for name in ("alpha", "beta", "gamma"):
        recount(name)
    from School.models import School

    # Only the registry's label matters to the indicators (set after the count: a cluster names where a MongoDB school lives).
    School.objects.using("default").filter(name="beta").update(cluster="east")
