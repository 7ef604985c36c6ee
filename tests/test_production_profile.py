"""DJANGO_ENV=production: one switch for HTTPS-only settings; headers on every page (issue 14, goals 1 and 7)."""

import re
import secrets
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from School.context import tenant_context
from School.models import Student
from School.security.headers import POLICY
from tests.student_rows import NO_GUARDIANS_FORM

PASSWORD = "correct-horse-battery"
SECURITY_HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def production_env(**extra):
    return {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "LEARNER_DIGEST_KEY": secrets.token_urlsafe(50), **extra}


@pytest.mark.parametrize("preload", ["false", "true"])
def test_check_deploy_reports_nothing_once_the_operator_decided_on_preload(run_cli, preload):
    env = production_env(DJANGO_HSTS_PRELOAD=preload)
    result = run_cli("check", "--deploy", "--fail-level", "WARNING", script="manage.py", env=env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_hsts_preload_is_off_until_the_operator_opts_in_and_check_deploy_asks(run_cli):
    """Preloading is close to irreversible for a domain and its subdomains: never on by default."""
    result = run_cli("check", "--deploy", script="manage.py", env=production_env())
    assert "security.W021" in result.stderr
    assert result.stderr.count("security.W") == 1
    code = "from django.conf import settings as s; print(s.SECURE_HSTS_PRELOAD)"
    for value, expected in ((None, "False"), ("false", "False"), ("true", "True")):
        env = production_env(**({} if value is None else {"DJANGO_HSTS_PRELOAD": value}))
        assert run_cli("shell", "--verbosity", "0", "-c", code, script="manage.py", env=env).stdout.strip() == expected


def test_development_profile_is_unchanged(run_cli):
    result = run_cli("check", "--deploy", script="manage.py", env={"DJANGO_ENV": ""})
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_production_refuses_to_start_without_a_secret_key(run_cli, platform):
    result = run_cli("check", script="manage.py", env=production_env(DJANGO_SECRET_KEY=""))
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_ENV=production needs DJANGO_SECRET_KEY" in result.stderr
    # Nothing generated in its place.
    assert not (platform.data_dir / "secret_key").exists()


def test_production_refuses_to_start_without_the_learner_digest_key(run_cli, platform):
    result = run_cli("check", script="manage.py", env=production_env(LEARNER_DIGEST_KEY=""))
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_ENV=production needs LEARNER_DIGEST_KEY" in result.stderr


def test_an_unknown_profile_is_refused(run_cli):
    result = run_cli("check", script="manage.py", env={"DJANGO_ENV": "staging"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be 'development' or 'production'" in result.stderr


def test_production_profile_settings_in_a_real_process(run_cli):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, s.STUDENT_DATA_REQUIRES_LOGIN)"
    )
    production = run_cli("shell", "--verbosity", "0", "-c", code, script="manage.py", env=production_env())
    assert production.stdout.split() == ["True", "True", "True", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')", "True"]
    development = run_cli("shell", "--verbosity", "0", "-c", code, script="manage.py", env={"DJANGO_ENV": ""})
    assert development.stdout.split() == ["False", "False", "False", "False", "None", "False"]


@pytest.fixture
def nairobi_admin(three_schools):
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("wanjiru", "", PASSWORD)
        student = Student.objects.get(registration_no="NBI-0001")
    return student


def every_page(student_pk):
    """(path, expected status) for each kind of page a school serves."""
    return [
        ("/", 200),
        (f"/students/{student_pk}/", 200),
        ("/students/import/", 200),
        ("/students/export.csv", 200),
        ("/admin/", 200),
        (f"/admin/School/student/{student_pk}/change/", 200),
        ("/api/students/", 200),
        ("/api/schema/", 200),
        ("/healthz", 200),
        ("/accounts/login/", 200),
        ("/no-such-page/", 404),
    ]


def assert_security_headers(headers, path):
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{path}: {name} is {headers.get(name)!r}"


@pytest.mark.parametrize("login_required", [False, True], ids=["development", "production"])
def test_every_page_of_a_school_has_the_security_headers_and_the_admin_works(nairobi_admin, settings, login_required):
    settings.STUDENT_DATA_REQUIRES_LOGIN = login_required
    anonymous = Client(HTTP_HOST="nairobi.localhost").get("/")
    assert anonymous.status_code == 200 and ("NBI-0001" in anonymous.content.decode()) is not login_required
    assert_security_headers(anonymous.headers, "/ (anonymous)")
    client = Client(HTTP_HOST="nairobi.localhost")
    login = client.get("/admin/login/")
    assert login.status_code == 200
    assert_security_headers(login.headers, "/admin/login/")
    assert client.post("/admin/login/?next=/admin/", {"username": "wanjiru", "password": PASSWORD}).status_code == 302
    for path, status in every_page(nairobi_admin.pk):
        response = client.get(path)
        assert response.status_code == status, path
        assert_security_headers(response.headers, path)
    # The admin keeps working under the policy: an edit through its form is saved.
    change = f"/admin/School/student/{nairobi_admin.pk}/change/"
    page = client.get(change).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page), "inline script on the admin change page"
    assert " style=" not in page
    data = {field: getattr(nairobi_admin, field) or "" for field in ("registration_no", "first_name", "second_name", "grade", "status")}
    data.update(first_name="Renamed", enrolment_date=nairobi_admin.enrolment_date or "", _save="Save", **NO_GUARDIANS_FORM)
    saved = client.post(change, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    with tenant_context("nairobi"):
        assert Student.objects.get(pk=nairobi_admin.pk).first_name == "Renamed"


def test_no_inline_script_or_style_in_our_templates():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for template in [*root.joinpath("templates").rglob("*.html"), *root.joinpath("School").rglob("templates/**/*.html")]:
        if "mail" in template.parent.parts:
            continue  # a message, not a page: no CSP reaches it, and mail clients read inline styles only
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), template


def test_unknown_hosts_and_bad_requests_get_the_headers_too(three_schools, live_server_url):
    for host in ("evil.localhost", "nairobi.localhost"):
        request = urllib.request.Request(f"{live_server_url}/healthz", headers={"Host": host})
        try:
            response = urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        assert_security_headers(response.headers, host)
