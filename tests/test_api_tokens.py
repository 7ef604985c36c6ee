"""API tokens safe at rest: hashed, named, expiring, revocable, rate-limited per school (issue 14, goal 4)."""

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from School.context import tenant_context
from School.security.models import ApiToken
from School.security.tokens import create_token

PASSWORD = "correct-horse-battery"
GENERATED = re.compile(r"^Generated token (\S+) for user (\S+)$")


@pytest.fixture
def users(three_schools):
    for school in ("nairobi", "accra"):
        with tenant_context(school):
            get_user_model().objects.create_superuser("registrar", "", PASSWORD)
    return three_schools


def get(live_server_url, host, path, key):
    port = live_server_url.rsplit(":", 1)[1]
    request = urllib.request.Request(
        f"{live_server_url}{path}", headers={"Host": f"{host}:{port}", "Authorization": f"Token {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


def test_the_command_prints_the_key_once_and_stores_only_its_hash(users, run_cli, live_server_url):
    result = run_cli("nairobi", "drf_create_token", "registrar", "--name", "timetable sync")
    assert result.returncode == 0, result.stderr
    key, username = GENERATED.match(result.stdout.strip()).groups()
    assert username == "registrar"
    assert "cannot be shown again" in result.stderr
    with tenant_context("nairobi"):
        token = ApiToken.objects.get()
    assert token.name == "timetable sync" and key.startswith(token.prefix)
    assert key not in token.digest and len(token.digest) == 64
    assert (token.expires_at - timezone.now()).days in (89, 90)
    # Not in the school's database file at all: a copy of it hands out nothing.
    assert key.encode() not in (users.db_dir / "nairobi.sqlite3").read_bytes()
    status, _, page = get(live_server_url, "nairobi.localhost", "/api/students/", key)
    assert status == 200 and page["count"] == 5
    with tenant_context("nairobi"):
        assert ApiToken.objects.get().last_used_at is not None
    # Listing shows the name and prefix, never the key.
    listing = run_cli("nairobi", "api_tokens", "list")
    assert "timetable sync" in listing.stdout and token.prefix in listing.stdout and key not in listing.stdout


def test_expired_revoked_and_other_schools_tokens_get_401(users, run_cli, live_server_url):
    with tenant_context("nairobi"):
        user = get_user_model().objects.get(username="registrar")
        expired, _ = create_token(user, "old")
        ApiToken.objects.filter(name="old").update(expires_at=timezone.now() - timedelta(seconds=1))
        revoked, revoked_token = create_token(user, "leaked")
    with tenant_context("accra"):
        accra_key, _ = create_token(get_user_model().objects.get(username="registrar"))
    result = run_cli("nairobi", "api_tokens", "revoke", "--prefix", revoked_token.prefix)
    assert result.returncode == 0 and "Revoked 1 token(s)." in result.stdout, result.stderr
    for key in (expired, revoked, accra_key, "not-a-key"):
        status, _, body = get(live_server_url, "nairobi.localhost", "/api/students/", key)
        assert status == 401, key
        assert "NBI-" not in json.dumps(body)
    assert get(live_server_url, "accra.localhost", "/api/students/", accra_key)[0] == 200


def test_revoke_from_the_admin(users):
    with tenant_context("nairobi"):
        key, token = create_token(get_user_model().objects.get(username="registrar"), "laptop")
    admin = Client(HTTP_HOST="nairobi.localhost")
    assert admin.post("/admin/login/", {"username": "registrar", "password": PASSWORD}).status_code == 302
    listing = admin.get("/admin/security/apitoken/").content.decode()
    assert "laptop" in listing and key not in listing
    assert key not in admin.get(f"/admin/security/apitoken/{token.pk}/change/").content.decode()
    done = admin.post("/admin/security/apitoken/", {"action": "revoke", "_selected_action": [str(token.pk)]})
    assert done.status_code == 302
    api = Client(HTTP_HOST="nairobi.localhost")
    assert api.get("/api/students/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_a_token_is_made_with_a_password_and_shown_once(users):
    client = Client(HTTP_HOST="nairobi.localhost")
    made = client.post("/api/tokens/", {"username": "registrar", "password": PASSWORD, "name": "script"}, content_type="application/json")
    assert made.status_code == 201
    key = made.json()["key"]
    assert made.json()["name"] == "script"
    assert client.get("/api/students/", HTTP_AUTHORIZATION=f"Token {key}").json()["count"] == 5
    wrong = client.post("/api/tokens/", {"username": "registrar", "password": "nope"}, content_type="application/json")
    assert wrong.status_code == 401 and "key" not in wrong.json()


def test_rate_limit_per_token_and_per_school(users, settings, live_server_url):
    settings.API_RATE_LIMIT = "3/min"
    keys = {}
    for school in ("nairobi", "accra"):
        with tenant_context(school):
            user = get_user_model().objects.get(username="registrar")
            keys[school] = create_token(user)[0]
            keys[f"{school}-2"] = create_token(user)[0]
    statuses = [get(live_server_url, "nairobi.localhost", "/api/students/", keys["nairobi"])[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
    status, headers, body = get(live_server_url, "nairobi.localhost", "/api/students/", keys["nairobi"])
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 60
    # Another token of the same school, and Accra's token with the same id, still have their allowance.
    assert get(live_server_url, "nairobi.localhost", "/api/students/", keys["nairobi-2"])[0] == 200
    assert get(live_server_url, "accra.localhost", "/api/students/", keys["accra"])[0] == 200


def test_drf_create_token_errors_are_one_line(users, run_cli):
    result = run_cli("nairobi", "drf_create_token", "nobody")
    assert result.returncode != 0 and "no user 'nobody' at this school" in result.stderr
    with tenant_context("nairobi"):
        assert not ApiToken.objects.exists()


def test_upgrading_drops_the_plaintext_token_table(users):
    import importlib

    from django.db import connections

    drop = importlib.import_module("School.security.migrations.0002_drop_plaintext_tokens")
    with tenant_context("nairobi"):
        connection = connections["nairobi"]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer)")
            cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', 1)")
        with connection.schema_editor() as editor:
            drop.drop_plaintext_tokens(None, editor)
        assert "authtoken_token" not in connection.introspection.table_names()
        with connection.schema_editor() as editor:
            drop.drop_plaintext_tokens(None, editor)  # a fresh school: nothing to drop


def test_every_key_prefix_can_be_typed_after_an_option(users):
    # A prefix starting with "-" would be read as an option by
    # `api_tokens revoke --prefix ...`: keys are hex, never "-" or "_".
    with tenant_context("nairobi"):
        user = get_user_model().objects.get(username="registrar")
        keys = [create_token(user, f"t{n}")[0] for n in range(50)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
