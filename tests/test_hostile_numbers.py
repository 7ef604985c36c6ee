"""Issue 30, point 3: numbers past what the database holds and search text past what LIKE takes are a 404 or a form error."""

import pytest

from School.context import tenant_context
from School.models import Student
from School.security.bounds import MAX_PAGE, page_number
from School.transfers.models import Transfer
from tests.people_helpers import member, signed_in

HUGE = "9" * 25
PERCENTS = "%" * 60000


@pytest.fixture
def head(three_schools, settings):
    settings.STUDENT_DATA_REQUIRES_LOGIN = True
    member("nairobi", "head", superuser=True)
    return signed_in("nairobi.localhost", "head")


@pytest.mark.parametrize("path, expected", [
    (f"/?page={HUGE}", 200),  # past the end: the last page, as for any page number too large
    (f"/?page=-{HUGE}", 200),
    (f"/transfers/send/?student={HUGE}", 404),
    (f"/students/{HUGE}/", 404),
    (f"/api/students/{HUGE}/", 404),
    (f"/files/{HUGE}/", 404),
    (f"/api/students/?page={HUGE}", 404),
    (f"/?q={PERCENTS}", 200),
    (f"/admin/School/student/?q={PERCENTS}", 200),
    (f"/admin/auth/user/?q={'a ' * 5000}", 200),
    (f"/admin/School/student/?p={HUGE}", 200),
])
def test_hostile_numbers_and_patterns_never_give_a_500(head, path, expected):
    assert head.get(path).status_code == expected


def test_the_last_page_is_shown_for_a_page_number_past_any_database(head):
    page = head.get(f"/?page={HUGE}").content.decode()
    assert "NBI-0004" in page  # five students: one page, the last


def test_a_transfer_to_a_school_named_by_60000_percent_signs_is_a_form_error(head):
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0001")
    response = head.post("/transfers/send/", {"to": PERCENTS, "student": student.pk})
    assert response.status_code == 400 and "No school is called" in response.content.decode()
    assert head.post("/transfers/send/", {"to": "accra", "student": HUGE}).status_code == 404
    assert not Transfer.objects.using("default").exists()


@pytest.mark.parametrize("text, number", [("", 1), ("x", 1), ("0", 1), ("-5", 1), ("3", 3), (HUGE, MAX_PAGE), ("1e9", 1)])
def test_page_numbers_are_bounded(text, number):
    assert page_number(text) == number
