"""Two-factor sign-in (issue 20): TOTP with recovery codes, checked at a frozen clock."""

import base64
import json
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.context import tenant_context
from School.models import School
from School.security.models import AuditEvent
from tests.accounts_helpers import FROZEN, code_at, frozen_clock

PASSWORD = "correct-horse-battery"


@pytest.fixture
def clock(monkeypatch):
    with frozen_clock(monkeypatch) as clock:
        yield clock


@pytest.fixture
def amina(three_schools):
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_user("amina", "amina@school.test", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="Registrars"))
    return user


def client(address="10.0.0.5"):
    return Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR=address)


def enrol(browser, clock):
    """Set up the app through the page; returns (key, recovery codes)."""
    page = browser.get("/accounts/two-factor/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', html)  # drawn here, inline
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    key = base64.b32decode(secret.replace(" ", "")).hex()  # what a person types into the app
    wrong = browser.post("/accounts/two-factor/", {"code": "000000" if code_at(key) != "000000" else "111111"})
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    done = browser.post("/accounts/two-factor/", {"code": code_at(key)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    return key, codes


@pytest.fixture
def enrolled(amina, clock):
    browser = client()
    assert browser.post("/accounts/login/", {"username": "amina", "password": PASSWORD}).status_code == 302
    key, codes = enrol(browser, clock)
    clock.now += 30  # the enrolment's code is spent; the next step's is new
    return key, codes


def sign_in_password(browser, path="/accounts/login/"):
    return browser.post(path, {"username": "amina", "password": PASSWORD, "next": "/admin/"})


def test_enrolment_makes_the_device_and_ten_recovery_codes_in_the_schools_database(enrolled):
    with tenant_context("nairobi"):
        assert TOTPDevice.objects.filter(user__username="amina", confirmed=True).count() == 1
        assert StaticToken.objects.filter(device__user__username="amina").count() == 10
        assert "2fa_on" in AuditEvent.objects.values_list("action", flat=True)
    with tenant_context("accra"):
        assert TOTPDevice.objects.count() == 0


@pytest.mark.parametrize("login_path", ["/accounts/login/", "/admin/login/"])
def test_a_password_alone_signs_nobody_in_once_a_device_exists(enrolled, clock, login_path):
    key, _ = enrolled
    browser = client()
    response = sign_in_password(browser, login_path)
    assert response.status_code == 302 and response.url == "/accounts/login/code/"
    assert browser.get("/admin/").status_code == 302  # not signed in yet
    wrong = browser.post("/accounts/login/code/", {"code": "123456" if code_at(key, clock.now) != "123456" else "654321"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    done = browser.post("/accounts/login/code/", {"code": code_at(key, clock.now)})
    assert done.status_code == 302 and done.url == "/admin/"
    assert browser.get("/admin/").status_code == 200


@pytest.mark.parametrize("login_path", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize(("language", "link_text"), [
    ("en", ("Forgotten your password?", "Forgotten your login credentials?")),
    ("sw", ("Umesahau nenosiri lako?", "Umesahau jina la mtumiaji au nenosiri?")),
    ("pt", ("Esqueceu-se da palavra-passe?", "Esqueceu-se do nome de utilizador ou da palavra-passe?")),
])
def test_every_sign_in_page_offers_the_password_reset_in_the_schools_language(three_schools, login_path, language, link_text):
    School.objects.using(DEFAULT_DB_ALIAS).filter(name="nairobi").update(language=language)
    School.objects.using(DEFAULT_DB_ALIAS).get(name="nairobi").save()  # the change log: forgotten at once
    page = client().get(login_path).content.decode()
    assert 'href="/accounts/password-reset/"' in page
    assert any(f">{text}</a>" in page for text in link_text)
    assert client().get("/accounts/password-reset/").status_code == 200


def test_a_replayed_code_is_refused(enrolled, clock):
    key, _ = enrolled
    first = client()
    sign_in_password(first)
    code = code_at(key, clock.now)
    assert first.post("/accounts/login/code/", {"code": code}).status_code == 302
    second = client("10.0.0.6")
    sign_in_password(second)
    replay = second.post("/accounts/login/code/", {"code": code})
    assert replay.status_code == 400
    assert second.get("/admin/").status_code == 302


def test_a_recovery_code_works_once_and_an_unknown_one_not_at_all(enrolled):
    _, codes = enrolled
    browser = client()
    sign_in_password(browser)
    assert browser.post("/accounts/login/code/", {"code": "zzzzzzzz"}).status_code == 400
    assert browser.post("/accounts/login/code/", {"code": codes[0].upper()}).status_code == 302
    again = client("10.0.0.6")
    sign_in_password(again)
    assert again.post("/accounts/login/code/", {"code": codes[0]}).status_code == 400
    with tenant_context("nairobi"):
        assert StaticToken.objects.count() == 9


def test_wrong_codes_lock_the_sign_in_like_wrong_passwords(enrolled, clock):
    key, _ = enrolled
    browser = client()
    sign_in_password(browser)
    statuses = [browser.post("/accounts/login/code/", {"code": "000000"}).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    right = browser.post("/accounts/login/code/", {"code": code_at(key, clock.now)})
    assert right.status_code == 429 and "Too many failed sign-in attempts" in right.content.decode()
    # The password does not start a fresh count either.
    assert sign_in_password(client("10.0.0.9")).status_code == 429
    with tenant_context("nairobi"):
        assert max(AccessAttempt.objects.filter(username="amina").values_list("failures_since_start", flat=True)) >= 5
    with tenant_context("accra"):
        assert not AccessAttempt.objects.exists()


def test_api_tokens_by_password_need_the_code_of_users_who_have_one(enrolled, clock):
    key, _ = enrolled
    api = client()

    def ask(**extra):
        data = json.dumps({"username": "amina", "password": PASSWORD, **extra})
        return api.post("/api/tokens/", data, content_type="application/json")

    missing = ask()
    assert missing.status_code == 401 and missing.json()["second_factor"] == "required"
    assert ask(code="000000" if code_at(key, clock.now) != "000000" else "111111").status_code == 401
    made = ask(code=code_at(key, clock.now))
    assert made.status_code == 201 and made.json()["key"]
    with tenant_context("nairobi"):
        assert AccessAttempt.objects.get(username="amina").failures_since_start == 1


def test_required_in_production_the_first_sign_in_leads_to_the_set_up_only(amina, clock, settings):
    settings.SECOND_FACTOR_REQUIRED = True
    browser = client()
    response = sign_in_password(browser)
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/")
    for path in ("/", "/admin/", "/students/export.csv"):
        blocked = browser.get(path)
        assert blocked.status_code == 302 and blocked.url.startswith("/accounts/two-factor/?next=")
    assert browser.get("/api/students/").status_code == 403
    tokens = client("10.0.0.7").post(
        "/api/tokens/", json.dumps({"username": "amina", "password": PASSWORD}), content_type="application/json"
    )
    assert tokens.status_code == 403 and "Set up two-factor sign-in" in tokens.json()["detail"]
    enrol(browser, clock)
    assert browser.get("/").status_code == 200
    assert browser.get("/admin/").status_code == 200


def test_a_user_who_sees_no_students_is_not_asked_for_a_second_factor(three_schools, settings):
    settings.SECOND_FACTOR_REQUIRED = True
    with tenant_context("nairobi"):
        get_user_model().objects.create_user("caretaker", "", PASSWORD)
    browser = client()
    response = browser.post("/accounts/login/", {"username": "caretaker", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"


def test_an_operator_resets_a_lost_phone(enrolled, run_cli):
    result = run_cli("nairobi", "reset-2fa", "amina")
    assert result.returncode == 0, result.stderr
    assert "Removed the second factor of amina at nairobi (2 device(s))" in result.stdout
    with tenant_context("nairobi"):
        assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()
        event = AuditEvent.objects.filter(action="2fa_reset").get()
        assert (event.username, event.target) == ("operator", "amina")
    # Development: back to a password alone.
    assert sign_in_password(client("10.0.0.8")).url == "/admin/"
    unknown = run_cli("nairobi", "reset-2fa", "nobody")
    assert unknown.returncode == 2 and "no user 'nobody' at nairobi" in unknown.stderr


def test_sign_out_is_a_post_back_to_the_schools_sign_in(amina):
    browser = client()
    sign_in_password(browser)
    page = browser.get("/students/import/").content.decode()
    assert 'id="sign-out"' in page and 'action="/accounts/logout/"' in page
    assert browser.get("/accounts/logout/").status_code == 405  # never by GET
    response = browser.post("/accounts/logout/")
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert browser.get("/admin/").status_code == 302


def test_the_student_table_signs_out_too_with_its_csrf_token(amina):
    browser = Client(HTTP_HOST="nairobi.localhost", enforce_csrf_checks=True)
    page = browser.get("/accounts/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    browser.post("/accounts/login/", {"username": "amina", "password": PASSWORD, "csrfmiddlewaretoken": token})
    table = browser.get("/").content.decode()  # rendered by Jinja2
    form_token = re.search(r'id="sign-out"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', table).group(1)
    assert browser.post("/accounts/logout/", {"csrfmiddlewaretoken": form_token}).status_code == 302
    assert 'id="sign-out"' not in browser.get("/").content.decode()


def test_check_deploy_warns_when_production_relaxes_the_second_factor(run_cli):
    env = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "k" * 60 + "x9Qz", "LEARNER_DIGEST_KEY": "d" * 60, "SECOND_FACTOR_REQUIRED": "0"}
    relaxed = run_cli("check", "--deploy", script="manage.py", env=env)
    assert "accounts.W001" in relaxed.stderr + relaxed.stdout
    strict = run_cli("check", "--deploy", script="manage.py", env={**env, "SECOND_FACTOR_REQUIRED": "1"})
    assert "accounts.W001" not in strict.stderr + strict.stdout


def test_codes_follow_the_clock_they_are_checked_at(enrolled, clock):
    key, _ = enrolled
    browser = client()
    sign_in_password(browser)
    stale = code_at(key, FROZEN - 600)  # ten minutes old
    assert browser.post("/accounts/login/code/", {"code": stale}).status_code == 400
    assert browser.post("/accounts/login/code/", {"code": code_at(key, clock.now)}).status_code == 302


def test_of_two_requests_racing_with_one_code_only_one_is_signed_in(enrolled, clock):
    from School.accounts import second_factor

    key, codes = enrolled
    code = code_at(key, clock.now)
    with tenant_context("nairobi"):
        user = get_user_model().objects.get(username="amina")
        # Both requests read the device before either records the use.
        seen_by_first, seen_by_second = TOTPDevice.objects.get(), TOTPDevice.objects.get()
        assert second_factor._use_app_code(seen_by_first, int(code))
        assert not second_factor._use_app_code(seen_by_second, int(code))
        # A recovery code likewise: the second delete finds nothing.
        assert second_factor.matching_device(user, codes[1]) is not None
        assert second_factor.matching_device(user, codes[1]) is None
