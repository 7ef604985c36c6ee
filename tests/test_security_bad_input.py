"""Reliability suite, security part: hostile credentials, CSRF, forwarded hosts, bad tokens.

Each gets a 4xx (or the sign-in form again), never a 500, never another
school's data, and never a session.
"""

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies as st

from School.context import tenant_context
from School.security.models import ApiToken
from School.security.tokens import create_token, revoke

PASSWORD = "correct-horse-battery"
LOGINS = ["/admin/login/", "/accounts/login/"]


@pytest.fixture
def schools(three_schools):
    keys = {}
    for name in ("nairobi", "accra"):
        with tenant_context(name):
            keys[name] = create_token(get_user_model().objects.create_superuser("admin", "", PASSWORD))[0]
    return keys


credential = st.one_of(
    st.text(min_size=0, max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=151, max_size=400),
    st.builds(lambda n, c: c * n, st.integers(1_000, 200_000), st.sampled_from(["a", "é", "\x00", "'", "%"])),
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(username=credential, password=credential, path=st.sampled_from(LOGINS))
def test_hostile_credentials_never_sign_in_or_fail(schools, username, password, path):
    # Each example from its own address: this is about input, not about lock-outs.
    client = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR=f"10.9.{len(username) % 250}.{len(password) % 250}")
    response = client.post(path, {"username": username, "password": password})
    assert response.status_code in (200, 400, 429), response.status_code
    assert "sessionid" not in response.cookies
    api = client.post("/api/tokens/", {"username": username, "password": password}, content_type="application/json")
    assert api.status_code in (400, 401, 429), api.status_code
    assert "key" not in api.content.decode()


def test_overlong_user_names_and_passwords_over_real_http(schools, live_server_url):
    port = live_server_url.rsplit(":", 1)[1]
    for username, password in (("a" * 10_000, PASSWORD), ("admin", "p" * 1_000_000)):
        body = json.dumps({"username": username, "password": password}).encode()
        request = urllib.request.Request(
            f"{live_server_url}/api/tokens/", data=body,
            headers={"Host": f"nairobi.localhost:{port}", "Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 400


@pytest.mark.parametrize("path", [*LOGINS, "/students/import/"])
def test_a_missing_csrf_token_is_refused_with_403(schools, path):
    client = Client(HTTP_HOST="nairobi.localhost", enforce_csrf_checks=True)
    response = client.post(path, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 403
    assert "sessionid" not in response.cookies


def test_a_forged_x_forwarded_host_is_ignored_when_the_proxy_is_not_trusted(schools, settings):
    settings.USE_X_FORWARDED_HOST = False
    nairobi = Client(HTTP_HOST="nairobi.localhost").get("/", HTTP_X_FORWARDED_HOST="accra.localhost")
    assert nairobi.status_code == 200
    assert "NBI-0001" in nairobi.content.decode() and "ACC-" not in nairobi.content.decode()
    unknown = Client(HTTP_HOST="evil.localhost").get("/", HTTP_X_FORWARDED_HOST="accra.localhost")
    assert unknown.status_code == 404 and "ACC-" not in unknown.content.decode()
    # Nor does a forged X-Forwarded-For choose the address a lock-out counts.
    settings.BEHIND_PROXY = False
    client = Client(HTTP_HOST="nairobi.localhost", REMOTE_ADDR="10.0.0.66")
    for number in range(5):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"1.2.3.{number}")
    assert client.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("path", ["/api/students/", "/api/students/1/", "/healthz"])
def test_expired_revoked_and_other_schools_tokens(schools, settings, path):
    settings.STUDENT_DATA_REQUIRES_LOGIN = True
    with tenant_context("nairobi"):
        admin = get_user_model().objects.get(username="admin")
        expired, _ = create_token(admin, "expired")
        ApiToken.objects.filter(name="expired").update(expires_at=timezone.now() - timedelta(minutes=1))
        revoked, _ = create_token(admin, "revoked")
        revoke(ApiToken.objects.filter(name="revoked"))
    client = Client(HTTP_HOST="nairobi.localhost")
    for key in (expired, revoked, schools["accra"], "x" * 5000, "\u00e9t\u00e9", ""):
        response = client.get(path, HTTP_AUTHORIZATION=f"Token {key}")
        body = response.content.decode()
        if path == "/healthz":
            assert response.status_code == 200 and json.loads(body) == {"school": "nairobi", "status": "ok"}
        else:
            assert response.status_code == 401, (key[:10], response.status_code)
        assert "NBI-" not in body and "ACC-" not in body
