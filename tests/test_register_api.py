"""/api/registers/ (issue 35): a tablet app or an SMS gateway takes and reads registers with the page's rules."""

import datetime

import pytest
from rest_framework.test import APIClient

from School.context import tenant_context
from School.register.models import Mark, RegisterTaken
from School.security.tokens import create_token
from tests.register_world import TODAY, register_school


@pytest.fixture
def people(platform):
    return register_school(platform)


def client_of(user):
    with tenant_context("nairobi"):
        token = create_token(user)[0]
    client = APIClient(HTTP_HOST="nairobi.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def body(**changes):
    return {"class_name": "Form 1 East", "date": TODAY.isoformat(), "version": 0,
            "marks": [{"registration_no": "E-01", "code": "absent-unexcused"}, {"registration_no": "E-02", "code": "absent-excused", "reason": "sick"}],
            **changes}


def test_a_teacher_takes_and_reads_their_register_through_the_api(people):
    teacher = client_of(people["teacher"])
    response = teacher.post("/api/registers/", body(), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1 and response.json()["changed"] is True
    again = teacher.post("/api/registers/", body(), format="json")  # a retry: same result, nothing written
    assert again.json()["changed"] is False and again.json()["version"] == 1
    read = teacher.get("/api/registers/", {"class": "Form 1 East"}).json()
    assert read["taken_by"] == "mwalimu" and [m["registration_no"] for m in read["marks"]] == ["E-01", "E-02"]
    with tenant_context("nairobi"):
        assert Mark.objects.count() == 2


def test_the_api_refuses_as_the_page_does_and_writes_nothing(people):
    teacher = client_of(people["teacher"])
    assert teacher.post("/api/registers/", body(class_name="Form 1 West", marks=[]), format="json").status_code == 403
    future = teacher.post("/api/registers/", body(date=(TODAY + datetime.timedelta(days=1)).isoformat()), format="json")
    assert future.status_code == 400 and "is in the future" in future.json()["detail"]
    unknown = teacher.post("/api/registers/", body(marks=[{"registration_no": "E-01", "code": "gone"}]), format="json")
    assert unknown.status_code == 400
    stranger = teacher.post("/api/registers/", body(marks=[{"registration_no": "W-01", "code": "late"}]), format="json")
    assert stranger.status_code == 400 and "not in this class" in stranger.json()["detail"]
    assert teacher.get("/api/registers/", {"class": "Form 1 West"}).status_code == 403
    viewer = client_of(people["viewer"])  # neither takes nor reads registers: refused before anything is checked
    assert viewer.get("/api/registers/", {"class": ""}).status_code == 403
    assert viewer.post("/api/registers/", body(), format="json").status_code == 403
    with tenant_context("nairobi"):
        assert not RegisterTaken.objects.exists()


def test_the_openapi_document_has_the_registers(people):
    schema = client_of(people["registrar"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/registers/"])


def test_a_students_attendance_this_term_and_year_is_in_the_api_and_its_schema(people):
    from School.register import service
    from School.register.codes import EXCUSED, LATE
    from School.models import Student

    registrar = client_of(people["registrar"])
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    assert registrar.post("/api/registers/", body(date=yesterday, correction="paper"), format="json").status_code == 200
    assert registrar.post("/api/registers/", body(marks=[{"registration_no": "E-01", "code": LATE},
                                                         {"registration_no": "E-02", "code": EXCUSED, "reason": "sick"}]),
                          format="json").status_code == 200
    with tenant_context("nairobi"):
        pk = Student.objects.get(registration_no="E-01").pk
        assert service.school_settings("nairobi").follow_up_below == 90
    answer = client_of(people["viewer"]).get(f"/api/students/{pk}/attendance/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["registration_no"] == "E-01" and data["class_name"] == "Form 1 East"
    year = data["periods"][-1]
    assert {key: year[key] for key in ("expected", "present", "late", "absent", "excused", "unexcused", "rate")} == {
        "expected": 2, "present": 1, "late": 1, "absent": 1, "excused": 0, "unexcused": 1, "rate": 50.0}
    assert client_of(people["viewer"]).get("/api/students/999999/attendance/").status_code == 404
    assert APIClient(HTTP_HOST="nairobi.localhost").get(f"/api/students/{pk}/attendance/").status_code in (401, 403)
    schema = registrar.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "StudentAttendance" in str(schema["paths"]["/api/students/{id}/attendance/"]["get"]["responses"]["200"])
    assert {"expected", "present", "late", "excused", "unexcused", "rate"} <= set(
        schema["components"]["schemas"]["AttendancePeriod"]["properties"])
