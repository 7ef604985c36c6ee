"""deploy/: Caddy with on-demand TLS in front of gunicorn, over real HTTPS (issue 14).

Runs Debian's caddy with the very deploy/Caddyfile of production, changed only
through its environment placeholders: `tls internal` (Caddy's own CA, kept in
this test's temporary directory and trusted explicitly here), admin endpoint
off, loopback high ports. gunicorn runs with deploy/gunicorn.conf.py in the
production profile. Outside CI the test is skipped without caddy; in CI it
fails (.ci/run installs it).
"""

import http.client
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import time
import urllib.parse

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.context import tenant_context
from School.security.tokens import create_token
from tests.conftest import ROOT, free_port, students_of

CADDY = shutil.which("caddy")
if CADDY is None and os.environ.get("CI"):
    raise RuntimeError("CI must install caddy (see .ci/run)")
pytestmark = pytest.mark.skipif(CADDY is None, reason="Debian's caddy is not installed")


class Caddy:
    def __init__(self, tmp_path, upstream_port):
        self.http_port, self.https_port = free_port(), free_port()
        self.data = tmp_path / "caddy-data"
        env = {
            **os.environ,
            "HOME": str(tmp_path), "XDG_DATA_HOME": str(self.data), "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"),
            "CADDY_ADMIN": "off", "CADDY_BIND": "127.0.0.1", "TLS_ISSUER": "internal",
            "HTTP_PORT": str(self.http_port), "HTTPS_PORT": str(self.https_port),
            "SCHOOL_UPSTREAM": f"127.0.0.1:{upstream_port}",
        }
        self.log = open(tmp_path / "caddy.log", "wb")
        self.process = subprocess.Popen(
            [CADDY, "run", "--adapter", "caddyfile", "--config", str(ROOT / "deploy" / "Caddyfile")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not (self._listening(self.http_port) and self._listening(self.https_port)):
            assert time.monotonic() < deadline and self.process.poll() is None, self.log_text()
            time.sleep(0.1)

    @staticmethod
    def _listening(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def log_text(self):
        self.log.flush()
        return self.log.name and open(self.log.name).read()[-3000:]

    @property
    def root_certificate(self):
        return self.data / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    def handshake(self, host):
        """A TLS connection to Caddy for `host` (SNI), trusting only Caddy's own CA."""
        context = ssl.create_default_context()
        if self.root_certificate.exists():
            context.load_verify_locations(self.root_certificate)
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=30)
        try:
            return context.wrap_socket(raw, server_hostname=host)
        except (ssl.SSLError, OSError):
            raw.close()
            raise

    def https(self, host, path, headers=None, body=None):
        """(status, headers, body) of GET (POST with a body) https://host/path, resolved to this Caddy."""
        connection = http.client.HTTPSConnection(host, self.https_port, timeout=30)
        connection.sock = self._verified(host)
        connection.request("GET" if body is None else "POST", path, body=body,
                           headers={"Host": f"{host}:{self.https_port}", **(headers or {})})  # as a browser sends it
        response = connection.getresponse()
        result = response.status, response.headers, response.read().decode()
        connection.close()
        return result

    def _verified(self, host):
        # The CA appears with the first certificate Caddy issues: the first
        # handshake may have to be verified once the root exists.
        try:
            return self.handshake(host)
        except ssl.SSLCertVerificationError:
            return self.handshake(host)

    def http(self, host, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        result = response.status, response.headers, response.read().decode()
        connection.close()
        return result

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


@pytest.fixture
def front(platform, gunicorn, tmp_path):
    # schools.school.test: the platform's shared host, serving every school by path (/s/<name>/).
    platform.add_school("default", ["localhost", "127.0.0.1", "schools.school.test"], "Default School", students_of("DEF", 3))
    platform.add_school("nairobi", ["nairobi.school.test"], "Nairobi School", students_of("NBI", 5))
    platform.add_school("accra", ["accra.school.test"], "Accra Academy", students_of("ACC", 7))
    platform.add_school("closed", ["closed.school.test"], "Closed School", students_of("CLO", 2))
    platform.schools["closed"].suspended = True
    platform.schools["closed"].save()
    keys = {}
    for name in ("nairobi", "accra"):
        with tenant_context(name):
            keys[name] = create_token(get_user_model().objects.create_superuser("registrar", ""))[0]
    env = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "LEARNER_DIGEST_KEY": secrets.token_urlsafe(50), "SCHOOL_PATH_PREFIX": "/s/"}
    server = gunicorn(2, threads=2, env=env, args=["-c", str(ROOT / "deploy" / "gunicorn.conf.py")])
    caddy = Caddy(tmp_path, server.port)
    yield caddy, keys, server
    caddy.stop()


def test_two_schools_over_https_behind_caddy(front):
    caddy, keys, server = front
    for host, name, own, other in (
        ("nairobi.school.test", "nairobi", "NBI-", "ACC-"),
        ("accra.school.test", "accra", "ACC-", "NBI-"),
    ):
        status, headers, body = caddy.https(host, "/api/students/", {"Authorization": f"Token {keys[name]}"})
        assert status == 200, body
        assert own in body and other not in body
        assert "max-age=" in headers["Strict-Transport-Security"]
        # The original Host reached the platform, and Django knows it was HTTPS:
        # no redirect loop, and the sign-in page's CSRF cookie is Secure.
        status, headers, body = caddy.https(host, "/")
        assert status == 200 and ("Nairobi School" if name == "nairobi" else "Accra Academy") in body
        assert "Secure" in headers["Set-Cookie"]
        assert own not in body  # production: anonymous visitors see the sign-in form only
    assert "nairobi.school.test" in server.access_log.read_text()


def test_a_registrar_signs_in_over_https_and_sees_only_their_school(front, settings):
    caddy, _, _ = front
    # gunicorn runs the production settings: hash the password with their hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_superuser("wanjiru", "", "correct-horse-battery")
        # Production asks for a second factor: a recovery code needs no clock shared with gunicorn.
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        StaticDevice.objects.create(user=user, name="recovery", confirmed=True).token_set.create(token="abcd2345")
    host = "nairobi.school.test"
    _, headers, page = caddy.https(host, "/")
    csrf_cookie = headers["Set-Cookie"].split(";")[0]
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "wanjiru",
                                   "password": "correct-horse-battery", "next": "/"})
    # What a browser sends: the HTTPS origin, which Django must recognise behind the proxy.
    status, headers, body = caddy.https(host, "/accounts/login/", {
        "Cookie": csrf_cookie, "Origin": f"https://{host}:{caddy.https_port}", "Referer": f"https://{host}:{caddy.https_port}/",
        "Content-Type": "application/x-www-form-urlencoded",
    }, body=form)
    assert status == 302 and headers["Location"] == "/accounts/login/code/", body[:500]
    pending = [part.split(";")[0] for part in headers.get_all("Set-Cookie") if part.startswith("sessionid=")][0]
    status, headers, body = caddy.https(host, "/accounts/login/code/", {
        "Cookie": f"{csrf_cookie}; {pending}", "Origin": f"https://{host}:{caddy.https_port}",
        "Referer": f"https://{host}:{caddy.https_port}/accounts/login/code/", "Content-Type": "application/x-www-form-urlencoded",
    }, body=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "code": "abcd2345"}))
    assert status == 302 and headers["Location"] == "/", body[:500]
    session = [part.split(";")[0] for part in headers.get_all("Set-Cookie") if part.startswith("sessionid=")][0]
    assert "Secure" in [part for part in headers.get_all("Set-Cookie") if part.startswith("sessionid=")][0]
    status, _, table = caddy.https(host, "/", {"Cookie": session})
    assert status == 200 and "NBI-0001" in table and "ACC-" not in table


def test_schools_by_path_are_served_on_one_certificate_behind_caddy(front):
    caddy, keys, _ = front
    shared = "schools.school.test"
    for name, display, own, other in (("nairobi", "Nairobi School", "NBI-", "ACC-"), ("accra", "Accra Academy", "ACC-", "NBI-")):
        status, headers, body = caddy.https(shared, f"/s/{name}/")
        assert status == 200 and display in body, body[:500]
        cookie = headers["Set-Cookie"]
        assert f"Path=/s/{name}/" in cookie and "Secure" in cookie
        assert f'action="/s/{name}/accounts/login/"' in body
        status, _, body = caddy.https(shared, f"/s/{name}/api/students/", {"Authorization": f"Token {keys[name]}"})
        assert status == 200 and own in body and other not in body
    # A token of one school's path is refused under another's; an unknown school is the 404 page.
    assert caddy.https(shared, "/s/accra/api/students/", {"Authorization": f"Token {keys['nairobi']}"})[0] == 401
    assert caddy.https(shared, "/s/nowhere/")[0] == 404
    assert caddy.https(shared, "/s/nairobi")[1]["Location"] == "/s/nairobi/"
    issued = {path.name for path in (caddy.data / "caddy" / "certificates").rglob("*") if path.is_dir()}
    assert shared in issued and not issued & {"nairobi.school.test", "accra.school.test"}  # one certificate for both


def test_unknown_and_suspended_hosts_get_no_certificate_and_no_page(front):
    caddy, keys, _ = front
    caddy.https("nairobi.school.test", "/healthz")  # the CA exists, so failures below are refusals
    for host in ("evil.school.test", "closed.school.test", "nairobi.school.test.evil.com"):
        with pytest.raises(ssl.SSLError):
            caddy.handshake(host).close()
    certificates = caddy.data / "caddy" / "certificates"
    issued = {path.name for path in certificates.rglob("*") if path.is_dir()}
    assert "nairobi.school.test" in issued
    assert not issued & {"evil.school.test", "closed.school.test"}


def test_http_redirects_to_https(front):
    caddy, _, _ = front
    status, headers, body = caddy.http("nairobi.school.test", "/students/?q=x")
    assert status == 308
    assert headers["Location"] == "https://nairobi.school.test/students/?q=x"
    assert "NBI-" not in body


def test_the_ask_endpoint_is_not_public(front):
    caddy, _, server = front
    assert caddy.https("nairobi.school.test", "/_platform/tls-ask?domain=accra.school.test")[0] == 404
    assert server.get("127.0.0.1", "/_platform/tls-ask?domain=accra.school.test")[0] == 200


def test_metrics_answer_loopback_only_never_through_caddy(front):
    caddy, _, server = front
    for path in ("/metrics", "/metrics?x=1", "/metrics/", "/%6detrics"):
        status, _, body = caddy.https("nairobi.school.test", path)
        assert status == 404, path
        assert "school_http_requests" not in body
    # Prometheus on the machine itself asks gunicorn directly.
    status, body = server.get("localhost", "/metrics")
    assert status == 200 and "school_http_requests_total" in body
