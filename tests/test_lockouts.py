"""Sign-in lock-outs per school with django-axes (issue 14, goal 3), over real HTTP."""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

from School.context import tenant_context

PASSWORD = "correct-horse-battery"
WRONG = "wrong-password"


class Browser:
    """A cookie-keeping HTTP client for one host of the live server."""

    def __init__(self, live_server_url, host):
        self.base = live_server_url
        self.host = f"{host}:{live_server_url.rsplit(':', 1)[1]}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def request(self, path, data=None, headers=None):
        body = data if data is None or isinstance(data, bytes) else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=body, headers={"Host": self.host, **(headers or {})})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def sign_in(self, path, username, password):
        """Post the login form at `path` as a person would: (status, body) after redirects."""
        _, _, form = self.request(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        status, _, body = self.request(
            path, {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
        )
        return status, body


@pytest.fixture
def schools(three_schools):
    for school in ("nairobi", "accra"):
        with tenant_context(school):
            get_user_model().objects.create_superuser("admin", "", PASSWORD)
    return three_schools


def attempts(school):
    with tenant_context(school):
        return list(AccessAttempt.objects.values_list("username", "failures_since_start"))


@pytest.mark.parametrize("login_path", ["/admin/login/", "/accounts/login/"])
def test_five_wrong_passwords_lock_the_sign_in_at_that_school_only(schools, live_server_url, login_path):
    nairobi = Browser(live_server_url, "nairobi.localhost")
    statuses = [nairobi.sign_in(login_path, "admin", WRONG)[0] for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the form again, then locked at the fifth failure
    status, body = nairobi.sign_in(login_path, "admin", PASSWORD)
    assert status == 429
    assert "Too many failed sign-in attempts" in body
    # The rows are Nairobi's own: none at Accra or in the registry's database.
    [(username, failures)] = attempts("nairobi")
    assert username == "admin" and failures >= 5
    assert attempts("accra") == [] and attempts("default") == []
    # Same user name, same address, another school: signs in.
    accra = Browser(live_server_url, "accra.localhost")
    status, body = accra.sign_in(login_path, "admin", PASSWORD)
    assert status == 200 and "Accra Academy administration" in body


def test_the_api_token_endpoint_is_locked_too(schools, live_server_url):
    nairobi = Browser(live_server_url, "nairobi.localhost")
    headers = {"Content-Type": "application/json"}

    def ask(password):
        return nairobi.request("/api/tokens/", json.dumps({"username": "admin", "password": password}).encode(), headers)

    for _ in range(5):
        assert ask(WRONG)[0] in (401, 429)
    status, response_headers, body = ask(PASSWORD)
    assert status == 429 and "Too many failed sign-in attempts" in json.loads(body)["detail"]
    assert int(response_headers["Retry-After"]) > 0
    accra = Browser(live_server_url, "accra.localhost")
    status, _, body = accra.request("/api/tokens/", json.dumps({"username": "admin", "password": PASSWORD}).encode(), headers)
    assert status == 201 and json.loads(body)["key"]


def test_unlock_from_the_command_line(schools, live_server_url, run_cli):
    nairobi = Browser(live_server_url, "nairobi.localhost")
    for _ in range(6):
        nairobi.sign_in("/admin/login/", "admin", WRONG)
    assert nairobi.sign_in("/admin/login/", "admin", PASSWORD)[0] == 429
    result = run_cli("nairobi", "unlock", "admin")
    assert result.returncode == 0, result.stderr
    assert "Unlocked admin at nairobi" in result.stdout
    status, body = nairobi.sign_in("/admin/login/", "admin", PASSWORD)
    assert status == 200 and "Nairobi School administration" in body


def test_unlock_needs_a_user_name_or_an_address(schools, run_cli):
    result = run_cli("nairobi", "unlock")
    assert result.returncode != 0 and "give a USERNAME or --address" in result.stderr


def test_the_schools_admin_lifts_a_lock_out(schools):
    attacker = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR="10.0.0.66")
    for _ in range(5):
        attacker.post("/admin/login/", {"username": "admin", "password": WRONG})
    assert attacker.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 429
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("head", "", PASSWORD)
    head = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR="10.0.0.7")
    assert head.post("/admin/login/", {"username": "head", "password": PASSWORD}).status_code == 302
    listing = head.get("/admin/axes/accessattempt/").content.decode()
    assert "10.0.0.66" in listing
    with tenant_context("nairobi"):
        pks = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    done = head.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": pks, "post": "yes"})
    assert done.status_code == 302
    assert attempts("nairobi") == []
    assert attacker.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 302


def test_an_address_trying_many_user_names_is_locked(schools):
    attacker = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR="10.0.0.66")
    for number in range(5):
        attacker.post("/admin/login/", {"username": f"guess{number}", "password": WRONG})
    assert attacker.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 429
    # The user name itself is not locked: from another address it signs in.
    other = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR="10.0.0.8")
    assert other.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 302


def test_the_lock_out_ends_after_the_cool_off(schools, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    client = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR="10.0.0.66")
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin", "password": WRONG})
    assert client.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 429
    time.sleep(1.1)  # the documented cool-off, not a guess about speed
    assert client.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 302


def test_a_new_school_gets_the_lock_out_and_security_tables(platform, run_cli):
    platform.add_school("default", ["localhost"], "Default School")
    result = run_cli("schools", "add", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    from School.security.models import ApiToken, AuditEvent
    from tests.conftest import outlive_registry_ttl

    outlive_registry_ttl()
    with tenant_context("kisumu"):
        assert (AccessAttempt.objects.count(), ApiToken.objects.count(), AuditEvent.objects.count()) == (0, 0, 0)
    migrate = run_cli("--all", "migrate")
    assert migrate.returncode == 0, migrate.stderr
