"""Issue 30, point 2: every write needs its write permission, in the development profile too."""

import pytest
from django.test import Client

from School.accounts.groups import REGISTRARS, VIEWERS
from School.context import tenant_context
from School.models import Student
from tests.people_helpers import member, signed_in
from tests.student_rows import NO_GUARDIANS_FORM

FILE = b"registration_no,first_name,second_name\nNBI-0001,Changed,Name\nNBI-9999,New,Pupil\n"


def names(school):
    with tenant_context(school):
        return sorted(Student.objects.values_list("registration_no", "first_name"))


def preview(client, update=True):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile("students.csv", FILE, "text/csv")}
    if update:
        data["update"] = "on"
    return client.post("/students/import/", data)


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_a_staff_viewer_neither_imports_nor_updates_students(three_schools, settings, production):
    settings.STUDENT_DATA_REQUIRES_LOGIN = production
    member("nairobi", "otieno", VIEWERS, staff=True)
    before = names("nairobi")
    viewer = signed_in("nairobi.localhost", "otieno")
    assert preview(viewer).status_code == 403
    assert viewer.post("/students/import/", {"token": "0" * 32, "update": "1"}).status_code == 403
    assert viewer.get("/students/import/").status_code == 403
    assert names("nairobi") == before


def test_staff_with_no_permission_neither_imports_nor_exports_in_development(three_schools, settings):
    settings.STUDENT_DATA_REQUIRES_LOGIN = False
    member("nairobi", "porter", staff=True)
    porter = signed_in("nairobi.localhost", "porter")
    for path in ("/students/export.csv", "/students/export.xlsx", "/students/export/", "/students/import/"):
        assert porter.get(path).status_code == 403, path
    assert preview(porter, update=False).status_code == 403
    assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200  # the table itself stays public there


def test_a_registrar_still_previews_and_imports(three_schools):
    member("nairobi", "wanjiru", REGISTRARS)
    registrar = signed_in("nairobi.localhost", "wanjiru")
    response = preview(registrar)
    assert response.status_code == 200
    token = response.context["token"]
    assert registrar.post("/students/import/", {"token": token, "update": "1"}).status_code == 302
    assert ("NBI-0001", "Changed") in names("nairobi") and ("NBI-9999", "New") in names("nairobi")


def test_the_admin_cannot_mark_a_student_transferred_by_hand(three_schools):
    member("nairobi", "head", superuser=True)
    head = signed_in("nairobi.localhost", "head")
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0001")
    form = {"registration_no": "NBI-0001", "first_name": "Amani", "second_name": "Njoroge", "grade": "Form 1",
            "enrolment_date": "2024-01-08", "status": "transferred", **NO_GUARDIANS_FORM}
    response = head.post(f"/admin/School/student/{student.pk}/change/", form)
    assert response.status_code == 200 and "set by a transfer to another school only" in response.content.decode()
    assert head.post(f"/admin/School/student/{student.pk}/change/", {**form, "status": "graduated"}).status_code == 302
    with tenant_context("nairobi"):
        assert Student.objects.get(pk=student.pk).status == "graduated"
