"""The class sheet is kept per worker (School/register/kept_sheets.py), yet every change that alters it shows at once.

Each test reads the sheet first, so that it is kept, then makes one kind of
change the way a user makes it, and reads the sheet again.
"""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from School.context import current_alias, tenant_context
from School.models import Student
from School.register import service, sheet
from School.register.codes import ABSENT, LATE
from School.school_year import calendar
from School.school_year.models import SchoolClass
from tests.people_helpers import signed_in
from tests.register_world import CLOSED, EAST, TODAY, register_school

YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def people(platform):
    return register_school(platform)


def grid(client, day=TODAY):
    response = client.get("/register/sheet/", {"class": "Form 1 East", "month": day.strftime("%Y-%m")})
    assert response.status_code == 200
    return response.content.decode().split('id="sheet-grid"')[1].split("</table>")[0]


def first_row(client, day=TODAY):
    return grid(client, day).split("<tbody>")[1].split("</tr>")[0]


def day_columns(client, day=TODAY):
    return grid(client, day).split("</thead>")[0].count('<th scope="col">') - 5  # No., Name, Present, Absent, Late


def take(who, marks, day=TODAY, correction=""):
    with tenant_context("nairobi"):
        service.take(current_alias(), service.Actor(name=who), "Form 1 East", day, marks, correction=correction)


def test_a_kept_sheet_shows_each_later_save_and_correction(people):
    registrar = signed_in("nairobi.localhost", "wanjiru")
    take("mwalimu", {"E-01": (ABSENT, "")})
    assert "<td>A</td>" in first_row(registrar)
    take("mwalimu", {"E-01": (LATE, "")})  # a second save of the same register
    assert "<td>L</td>" in first_row(registrar) and "<td>A</td>" not in first_row(registrar)
    assert "<td>A</td>" not in first_row(registrar, YESTERDAY)
    registrar.post("/register/", {"class": "Form 1 East", "date": YESTERDAY.isoformat(), "session": "day", "version": "0",
                                  "correction": "paper register", "mark-E-01": ABSENT,
                                  **{f"mark-{regno}": "present" for regno in EAST[1:]}})
    assert "<td>A</td>" in first_row(registrar, YESTERDAY)


def test_a_kept_sheet_follows_the_students_the_settings_and_the_calendar(people):
    registrar = signed_in("nairobi.localhost", "wanjiru")
    take("mwalimu", {"E-01": (ABSENT, "")})
    assert "FirstE-01 LastE-01" in first_row(registrar)
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="E-01")
        student.first_name = "Renamed"
        student.save()
    assert "Renamed LastE-01" in first_row(registrar)
    columns = day_columns(registrar)
    with tenant_context("nairobi"):
        # Every day but today's weekday stays a school day.
        service.change_settings(current_alias(), weekdays="".join(str(n) for n in range(1, 8) if n != TODAY.isoweekday()))
    fewer = day_columns(registrar)
    assert 0 < fewer < columns
    with tenant_context("nairobi"):
        alias = current_alias()
        year = calendar.current_year(alias)
        closed = YESTERDAY if YESTERDAY.month == TODAY.month else TODAY + datetime.timedelta(days=1)
        calendar.set_year(alias, year.name, year.first_day, year.last_day,
                          closed=[calendar.Span("Holiday", CLOSED, CLOSED), calendar.Span("Strike", closed, closed)])
    assert day_columns(registrar) == fewer - 1
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), two_sessions=True)
    assert day_columns(registrar) == 2 * (fewer - 1)


def test_a_kept_sheet_follows_the_readers_language_and_the_class_teacher(people):
    take("mwalimu", {"E-01": (ABSENT, "")})
    teacher = signed_in("nairobi.localhost", "mwalimu")
    english = grid(teacher)
    with translation.override("sw"):
        present = str(translation.pgettext("register mark", "Present"))
    assert present != "Present" and present not in english
    teacher.post("/language/", {"language": "sw"})
    assert present in grid(teacher)
    registrar = signed_in("nairobi.localhost", "wanjiru")
    assert "Present" in grid(registrar)  # the others' language is theirs
    # The page around the kept grid is the reader's own: the registrar's links include Today, the teacher's do not.
    sheet_page = {"class": "Form 1 East"}
    assert 'href="/register/today/"' in registrar.get("/register/sheet/", sheet_page).content.decode()
    assert 'href="/register/today/"' not in teacher.get("/register/sheet/", sheet_page).content.decode()
    with tenant_context("nairobi"):
        east = SchoolClass.objects.get(name="Form 1 East")
        east.teacher = people["other teacher"]
        east.save()
    assert teacher.get("/register/sheet/", {"class": "Form 1 East"}).status_code == 403
    assert signed_in("nairobi.localhost", "juma").get("/register/sheet/", {"class": "Form 1 East"}).status_code == 200


def queries_of_the_sheet():
    with tenant_context("nairobi"):
        alias = current_alias()
        with CaptureQueriesContext(connections[alias]) as queries:
            found = sheet.class_sheet(alias, "Form 1 East", TODAY.strftime("%Y-%m"))
    return len(queries), found


def test_the_class_sheet_reads_the_same_few_queries_whatever_its_students_and_days(people):
    take("mwalimu", {"E-01": (ABSENT, "")})
    few, found = queries_of_the_sheet()
    assert len(found["rows"]) == len(EAST)
    with tenant_context("nairobi"):
        Student.objects.bulk_create(Student(registration_no=f"E-{n:02d}", first_name="F", second_name=f"L{n}", grade="Form 1 East")
                                    for n in range(10, 30))
    for back in range(1, 4):
        day = TODAY - datetime.timedelta(days=back)
        if day.month == TODAY.month and day != CLOSED:
            take("wanjiru", {"E-02": (LATE, "")}, day, correction="paper register")
    many, found = queries_of_the_sheet()
    assert len(found["rows"]) == len(EAST) + 20
    assert many == few <= 10
