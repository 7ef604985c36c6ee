"""Enrolling a child already active at another school (issue 33): warned, named, and only with a reason kept in the trail."""

import datetime

from School.context import tenant_context
from School.models import Student
from School.platform.figures import recount
from School.security.models import AuditEvent
from tests.student_rows import NO_GUARDIANS_FORM
from tests.test_admin import accra_admin, signed_in_client  # noqa: F401 (fixture)
from tests.test_api import api, token_for

BORN = datetime.date(2014, 5, 6)


def amani_at_nairobi():
    with tenant_context("nairobi"):
        child = Student.objects.create(registration_no="NBI-D1", first_name="Amani", second_name="Wanjiru",
                                       date_of_birth=BORN, sex="female")
    recount("nairobi")  # what follows every write (FIGURES_FOLLOW_DELAY), at once here
    return child


def form(**values):
    return {"registration_no": "ACC/NEW/1", "first_name": "amani", "second_name": "WANJIRU", "date_of_birth": "2014-05-06",
            "sex": "female", "enrolment_date": "2024-01-08", "status": "active", **NO_GUARDIANS_FORM, **values}


def enrolled_anyway(school):
    with tenant_context(school):
        return list(AuditEvent.objects.filter(action=AuditEvent.Action.ENROLLED_ANYWAY).values_list("target", "result"))


def test_the_admin_names_the_other_school_and_goes_on_only_with_a_reason(accra_admin):  # noqa: F811
    child = amani_at_nairobi()
    client, _ = signed_in_client("accra.localhost", "ama")
    page = client.post("/admin/School/student/add/", form()).content.decode()
    assert "A child with the same names, date of birth and sex is already active at Nairobi School." in page
    assert "transfer the record to you instead" in page
    page = client.post("/admin/School/student/add/", form(learner_no=child.learner_no.lower())).content.decode()
    assert "A child with this learner number is already active at Nairobi School." in page
    with tenant_context("accra"):
        assert not Student.objects.filter(registration_no="ACC/NEW/1").exists()
    wrong = child.learner_no[:-1] + ("0" if child.learner_no[-1] != "0" else "1")
    page = client.post("/admin/School/student/add/", form(learner_no=wrong)).content.decode()
    assert "is mistyped: its check character does not match" in page
    response = client.post("/admin/School/student/add/", form(learner_no=child.learner_no, enrol_reason="Parents split; court order"))
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context("accra"):
        assert Student.objects.get(registration_no="ACC/NEW/1").learner_no == child.learner_no
    [(target, result)] = enrolled_anyway("accra")
    assert target.endswith("ACC/NEW/1") and result == "nairobi: Parents split; court order"


def test_the_api_refuses_with_400_naming_the_school_then_creates_with_a_reason(three_schools):
    amani_at_nairobi()
    client = api("accra.localhost", token_for("accra", "registrar"))
    body = {"registration_no": "ACC/API/1", "first_name": "Amani", "second_name": "Wanjiru", "date_of_birth": "2014-05-06",
            "sex": "female"}
    refused = client.post("/api/students/", body, format="json")
    assert refused.status_code == 400
    assert "already active at Nairobi School" in refused.json()["enrol_reason"][0]
    created = client.post("/api/students/", {**body, "enrol_reason": "Boarding and day school"}, format="json")
    assert created.status_code == 201, created.content
    assert len(created.json()["learner_no"]) == 10 and "enrol_reason" not in created.json()
    assert enrolled_anyway("accra")[0][1] == "nairobi: Boarding and day school"
    # Another child (another date of birth) is enrolled without a word.
    other = client.post("/api/students/", {**body, "registration_no": "ACC/API/2", "date_of_birth": "2015-01-01"}, format="json")
    assert other.status_code == 201, other.content


def test_the_import_preview_warns_on_that_row_and_imports_only_with_a_reason(accra_admin):  # noqa: F811
    from tests.test_import_pages import upload
    child = amani_at_nairobi()
    client, _ = signed_in_client("accra.localhost", "ama")
    text = ("registration_no,first_name,second_name,date_of_birth,sex,learner_no\n"
            "ACC/F/1,Kofi,Mensah,2014-02-02,male,\n"
            f"ACC/F/2,Amani,Wanjiru,2014-05-06,female,{child.learner_no}\n")
    body = upload(client, text).content.decode()
    assert "Ready to import 2 rows: 2 new, 0 updated." in body
    warned = body.split('id="import-elsewhere"')[1].split("</table>")[0]
    assert "ACC/F/2" in warned and "ACC/F/1" not in warned
    assert "A child with this learner number is already active at Nairobi School." in warned
    assert "transfer the record to you instead" in warned
    token = body.split('name="token" value="')[1].split('"')[0]
    # Without a reason (the browser's "required" bypassed) the job refuses the row and writes nothing.
    refused = client.post("/students/import/", {"token": token, "update": "0"}, follow=True).content.decode()
    assert "Nothing was imported" in refused and "already active at Nairobi School" in refused
    with tenant_context("accra"):
        assert not Student.objects.filter(registration_no__startswith="ACC/F/").exists()
    token = upload(client, text).content.decode().split('name="token" value="')[1].split('"')[0]
    done = client.post("/students/import/", {"token": token, "update": "0", "enrol_reason": "Moved with mother"}, follow=True)
    assert "Imported 2 students: 2 new, 0 updated." in done.content.decode()
    [(target, result)] = enrolled_anyway("accra")
    assert target.endswith("ACC/F/2") and result == "nairobi: Moved with mother"
