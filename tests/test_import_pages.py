"""The registrar's import and export pages, per school, staff only."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from School.accounts.groups import REGISTRARS
from School.context import tenant_context
from School.models import Student
from School.records.files import COLUMNS
from tests.student_rows import ROW_COLUMNS


@pytest.fixture
def registrar(three_schools):
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("registrar", password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=REGISTRARS))
    client = Client(HTTP_HOST="nairobi.localhost")
    client.post("/admin/login/", {"username": "registrar", "password": "pw"})
    return client


def upload(client, text, update=False):
    file = io.BytesIO(text.encode())
    file.name = "students.csv"
    return client.post("/students/import/", {"file": file, **({"update": "on"} if update else {})})


def count(school):
    with tenant_context(school):
        return Student.objects.count()


def test_pages_need_a_staff_sign_in_at_that_school(three_schools):
    for path in ("/students/import/", "/students/export.csv"):
        response = Client(HTTP_HOST="nairobi.localhost").get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_export_downloads_the_filtered_list_of_that_school(registrar):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0004").update(status="graduated")
    response = registrar.get("/students/export.csv", {"status": "graduated"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="nairobi-students.csv"' in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == ["NBI-0004"]


def test_import_previews_then_writes_on_confirmation(registrar):
    preview = upload(registrar, f"{','.join(ROW_COLUMNS)}\nK/1,Akinyi,Otieno,,Form 1,,,,\nK/2,Baraka,Kiprop,,Form 1,,,,\n")
    body = preview.content.decode()
    assert "Ready to import 2 rows: 2 new, 0 updated." in body
    assert count("nairobi") == 5  # nothing written by the preview
    token = body.split('name="token" value="')[1].split('"')[0]
    done = registrar.post("/students/import/", {"token": token, "update": "0"}, follow=True)
    assert "Imported 2 students: 2 new, 0 updated." in done.content.decode()
    assert count("nairobi") == 7 and count("accra") == 7
    # The same confirmation cannot be replayed.
    again = registrar.post("/students/import/", {"token": token, "update": "0"}, follow=True)
    assert "expired or was already imported" in again.content.decode()
    assert count("nairobi") == 7


def test_import_with_a_bad_row_shows_its_line_and_writes_nothing(registrar):
    response = upload(registrar, f"{','.join(ROW_COLUMNS)}\nK/1,Akinyi,Otieno,,,,,,\nK/2,Baraka,Kiprop,2012-02-31,,,,,\n")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing will be imported: 1 of 2 rows have errors." in body
    assert "<th scope=\"row\">3</th><td>K/2</td><td>date_of_birth: bad date &#x27;2012-02-31&#x27;" in body
    assert 'name="token"' not in body
    assert count("nairobi") == 5


def test_unreadable_upload_is_refused(registrar):
    response = upload(registrar, "name,surname\nA,B\n")
    assert response.status_code == 400
    assert "unknown column &#x27;name&#x27;" in response.content.decode()


def test_forged_upload_tokens_are_refused(registrar):
    assert registrar.post("/students/import/", {"token": "../../etc/passwd"}).status_code == 404
