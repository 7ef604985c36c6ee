"""The school year in the API (issue 32): years, classes and enrolments read by those who read students,
classes and an enrolment's class written by registrars; the current year unless `year` names another."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from School.accounts.groups import REGISTRARS, VIEWERS
from School.context import tenant_context
from School.models import Student
from School.school_year.models import Enrolment
from School.security.tokens import create_token
from tests.test_school_year import NEXT, THIS_YEAR, ready, secondary  # noqa: F401 (fixtures)


def api_client(group):
    with tenant_context("nairobi"):
        from django.contrib.auth.models import Group

        user = get_user_model().objects.create_user(group.lower(), password="pw-12345-long", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        token, _ = create_token(user, "script")
    return Client(HTTP_HOST="nairobi.localhost", HTTP_AUTHORIZATION=f"Token {token}")


@pytest.fixture
def promoted(ready, run_cli):
    assert run_cli("nairobi", "promote", "--to", NEXT).returncode == 0
    return ready


def test_years_and_enrolments_of_the_current_year_unless_another_is_named(promoted):
    api = api_client(VIEWERS)
    years = api.get("/api/years/").json()["results"]
    assert [(y["name"], y["is_current"]) for y in years] == [(str(THIS_YEAR), False), (NEXT, True)]
    current = api.get("/api/enrolments/").json()
    assert current["count"] == 17 and {e["year"] for e in current["results"]} == {NEXT}
    earlier = api.get("/api/enrolments/", {"year": str(THIS_YEAR)}).json()
    assert earlier["count"] == 23 and "graduated" in {e["outcome"] for e in earlier["results"]}
    refused = api.get("/api/enrolments/", {"year": "1999"})
    assert refused.status_code == 400 and "is not a year of this school" in refused.json()["year"][0]
    # A viewer reads but does not write.
    assert api.post("/api/classes/", {"year": NEXT, "grade": "Form 2", "name": "Form 2 East"},
                    content_type="application/json").status_code == 403


def test_a_registrar_creates_a_class_and_places_a_student_in_it(promoted):
    api = api_client(REGISTRARS)
    made = api.post("/api/classes/", {"year": NEXT, "grade": "Form 2", "name": "Form 2 East", "capacity": 40},
                    content_type="application/json")
    assert made.status_code == 201, made.json()
    assert api.post("/api/classes/", {"year": NEXT, "grade": "Form 2", "name": "Form 2 East"},
                    content_type="application/json").json() == {"name": ["A class of that name already exists in that year."]}
    assert [c["name"] for c in api.get("/api/classes/").json()["results"]] == ["Form 2 East"]
    assert api.get("/api/classes/", {"year": str(THIS_YEAR)}).json()["count"] == 0
    with tenant_context("nairobi"):
        enrolment = Enrolment.objects.get(year__name=NEXT, student__registration_no="F1-01")  # Form 2 now
        other = Enrolment.objects.get(year__name=NEXT, student__registration_no="F2-01")  # Form 3 now
    placed = api.patch(f"/api/enrolments/{enrolment.pk}/", {"school_class": "Form 2 East"}, content_type="application/json")
    assert placed.status_code == 200 and placed.json()["school_class"] == "Form 2 East"
    with tenant_context("nairobi"):
        assert Student.objects.get(registration_no="F1-01").grade == "Form 2 East"  # the table shows the class
    wrong = api.patch(f"/api/enrolments/{other.pk}/", {"school_class": "Form 2 East"}, content_type="application/json")
    assert wrong.status_code == 400 and "another grade" in wrong.json()["school_class"][0]
    # A class of another year is not one this enrolment can be in; nothing is written.
    with tenant_context("nairobi"):
        earlier = Enrolment.objects.get(year__name=str(THIS_YEAR), student__registration_no="F2-02")  # Form 2 then
    elsewhere = api.patch(f"/api/enrolments/{earlier.pk}/", {"school_class": "Form 2 East"}, content_type="application/json")
    assert elsewhere.status_code == 400 and "is not a class of this enrolment's year" in elsewhere.json()["school_class"][0]
    with tenant_context("nairobi"):
        assert Enrolment.objects.get(pk=earlier.pk).school_class_id is None
    # The class's grade stays while it has enrolments.
    moved = api.patch(f"/api/classes/{made.json()['id']}/", {"grade": "Form 3"}, content_type="application/json")
    assert moved.status_code == 400 and "has enrolments" in moved.json()["grade"][0]


def test_the_schema_documents_the_school_years_api(promoted):
    schema = Client(HTTP_HOST="nairobi.localhost").get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {"/api/years/", "/api/classes/", "/api/enrolments/", "/api/enrolments/{id}/"} <= set(schema["paths"])
    assert "delete" not in schema["paths"]["/api/classes/{id}/"]
