"""The audit trail per school: exports, imports, detail views and API reads (issue 14, goal 5)."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import timezone

from School.context import tenant_context
from School.models import Student
from School.security import audit
from School.security.models import AuditEvent
from School.security.tokens import create_token
from tests.student_rows import ROW_COLUMNS

PASSWORD = "correct-horse-battery"


@pytest.fixture
def registrar(three_schools):
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("registrar", "", PASSWORD)
    client = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR="10.1.2.3")
    assert client.post("/admin/login/", {"username": "registrar", "password": PASSWORD}).status_code == 302
    return client


def events(school):
    with tenant_context(school):
        return list(AuditEvent.objects.order_by("pk").values("username", "action", "target", "format", "rows", "file_name", "result", "address"))


def test_export_detail_and_api_reads_are_recorded_in_the_schools_database(registrar):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0004").update(status="graduated")
        student = Student.objects.get(registration_no="NBI-0002")
        key, _ = create_token(get_user_model().objects.get(username="registrar"))
    b"".join(registrar.get("/students/export.csv", {"status": "graduated"}).streaming_content)
    registrar.get(f"/students/{student.pk}/")
    api = Client(HTTP_HOST="nairobi.localhost", HTTP_AUTHORIZATION=f"Token {key}")
    api.get("/api/students/", {"q": "nbi"})
    api.get(f"/api/students/{student.pk}/")
    recorded = events("nairobi")
    assert [(e["action"], e["rows"]) for e in recorded] == [("export", 1), ("detail", 1), ("api_read", 5), ("api_read", 1)]
    assert all(e["username"] == "registrar" for e in recorded)
    assert recorded[0]["target"] == "status=graduated&sort=registration_no" and recorded[0]["format"] == "csv"
    assert recorded[0]["address"] == "10.1.2.3"
    assert "NBI-0002" in recorded[1]["target"]
    assert recorded[2]["target"] == "/api/students/?q=nbi"
    assert events("accra") == [] and events("default") == []


def test_an_import_is_recorded_with_file_name_rows_and_result(registrar):
    file = io.BytesIO(f"{','.join(ROW_COLUMNS)}\nK/1,Akinyi,Otieno,,Form 1,,,,\n".encode())
    file.name = "term1.csv"
    preview = registrar.post("/students/import/", {"file": file}).content.decode()
    token = preview.split('name="token" value="')[1].split('"')[0]
    registrar.post("/students/import/", {"token": token, "update": "0"})
    bad = io.BytesIO(f"{','.join(ROW_COLUMNS)}\nK/2,,Otieno,,Form 1,,,,\n".encode())
    bad.name = "broken.csv"
    registrar.post("/students/import/", {"file": bad})
    recorded = [(e["action"], e["file_name"], e["rows"], e["result"]) for e in events("nairobi")]
    assert recorded[0] == ("import", "term1.csv", 1, "checked")
    assert recorded[1] == ("import", "", 1, "imported")
    assert recorded[2][:3] == ("import", "broken.csv", 1) and "nothing was written" in recorded[2][3]


def test_the_trail_is_read_only_in_the_schools_admin(registrar):
    registrar.get("/students/export.csv")
    with tenant_context("nairobi"):
        event = AuditEvent.objects.get()
    listing = registrar.get("/admin/security/auditevent/")
    assert listing.status_code == 200 and "registrar" in listing.content.decode()
    page = registrar.get(f"/admin/security/auditevent/{event.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert registrar.get("/admin/security/auditevent/add/").status_code == 403
    assert registrar.post(f"/admin/security/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert len(events("nairobi")) == 1


def test_verify_finds_an_altered_event(registrar, run_cli):
    for _ in range(3):
        registrar.get("/students/export.csv")
    assert run_cli("nairobi", "verify_audit").stdout.strip() == "The audit trail is intact (3 events)."
    with tenant_context("nairobi"):
        middle = AuditEvent.objects.order_by("pk")[1]
        AuditEvent.objects.filter(pk=middle.pk).update(rows=0)
    result = run_cli("nairobi", "verify_audit")
    assert result.returncode == 1
    assert f"altered at event {middle.pk}" in result.stderr


def test_prune_removes_old_events_everywhere_and_keeps_the_rest_verifiable(registrar, run_cli):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with tenant_context("nairobi"), mock.patch("School.security.audit.timezone.now", return_value=timezone.now() - timedelta(days=400)):
        audit.record(request, audit.EXPORT, rows=5)
    for _ in range(2):
        registrar.get("/students/export.csv")
    result = run_cli("--all", "prune_audit", env={"AUDIT_RETENTION_DAYS": "365"})
    assert result.returncode == 0, result.stderr
    assert [e["rows"] for e in events("nairobi")] == [5, 5]  # the two recent exports of 5 students
    assert run_cli("nairobi", "verify_audit").returncode == 0
