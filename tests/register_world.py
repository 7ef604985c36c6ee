"""A school ready for registers: a current year around today with a closed day, classes with their teachers, students."""

import datetime

from School.accounts.groups import REGISTRARS, SCHOOL_ADMINS, TEACHERS, VIEWERS
from School.context import current_alias, tenant_context
from School.models import Student
from School.register import service
from School.school_year import calendar
from School.school_year.ladder import set_ladder
from School.school_year.models import SchoolClass
from tests.people_helpers import member

TODAY = datetime.date.today()
CLOSED = TODAY - datetime.timedelta(days=3)
EAST = [f"E-{n:02d}" for n in range(1, 6)]
WEST = ["W-01", "W-02"]
FORM_2 = ["T-01", "T-02"]


def register_school(platform, name="nairobi"):
    platform.add_school(name, [f"{name}.localhost"], f"{name.title()} School")
    people = {
        "teacher": member(name, "mwalimu", TEACHERS),
        "other teacher": member(name, "juma", TEACHERS),
        "registrar": member(name, "wanjiru", REGISTRARS),
        "admin": member(name, "amina", SCHOOL_ADMINS),
        "viewer": member(name, "otieno", VIEWERS),
    }
    with tenant_context(name):
        alias = current_alias()
        year = calendar.current_year(alias)
        year, _ = calendar.set_year(alias, year.name, TODAY - datetime.timedelta(days=60), TODAY + datetime.timedelta(days=60),
                                    closed=[calendar.Span("Holiday", CLOSED, CLOSED)])
        old, _ = calendar.set_year(alias, "Old", TODAY - datetime.timedelta(days=400), TODAY - datetime.timedelta(days=300))
        grades = {grade.name: grade for grade in set_ladder(alias, ["Form 1", "Form 2"], finals=["Form 2"])}
        SchoolClass.objects.create(year=year, grade=grades["Form 1"], name="Form 1 East", teacher=people["teacher"])
        SchoolClass.objects.create(year=year, grade=grades["Form 1"], name="Form 1 West", teacher=people["other teacher"])
        SchoolClass.objects.create(year=old, grade=grades["Form 1"], name="Form 1 North")
        Student.objects.bulk_create(
            Student(registration_no=regno, first_name=f"First{regno}", second_name=f"Last{regno}", grade=grade)
            for regnos, grade in ((EAST, "Form 1 East"), (WEST, "Form 1 West"), (FORM_2, "Form 2")) for regno in regnos
        )
        # Every day is a school day here, so the tests do not depend on the day of the week they run.
        service.change_settings(alias, weekdays="1234567")
    return people
