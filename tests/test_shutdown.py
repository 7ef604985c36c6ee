"""SIGTERM to gunicorn (deploy/gunicorn.conf.py, several workers) keeps the data: an import and a long export in flight each end whole or not at all.

The signal is sent at an observed point: the import's worker holds the
school's write lock (its transaction is open), the export's response has
begun and gunicorn has not logged it as finished. With the configuration's
graceful timeout the requests finish; with a graceful timeout too short for
them the workers are killed: then the import is rolled back (or, had it just
committed, whole) and the download is visibly cut (chunked encoding without
its last chunk), never a short file that looks whole.
"""

import http.client
import re
import signal
import socket
import sqlite3
import threading
import time
from contextlib import closing

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from School.accounts.second_factor import new_recovery_codes
from School.context import tenant_context
from tests.student_rows import ROW_COLUMNS
from tests.conftest import ON_MONGODB, ROOT
from tests.test_crash_safety import holds_write_lock

pytestmark = pytest.mark.skipif(ON_MONGODB, reason="watches the SQLite file's write lock")

HOST = "nairobi.localhost"
IMPORTED = 20_000
EXPORTED = 40_000
HTTPS = {"Host": HOST, "X-Forwarded-Proto": "https", "Origin": f"https://{HOST}"}  # what Caddy passes on


@pytest.fixture(params=["graceful", "cut short"])
def server(request, three_schools, gunicorn):
    """deploy/gunicorn.conf.py with 3 workers; "cut short": a graceful timeout no request here fits in."""
    signed_in = Client(HTTP_HOST=HOST)
    with tenant_context("nairobi"):  # the user and the session live in the school's database
        registrar = get_user_model().objects.create_superuser("registrar", "")
        signed_in.force_login(registrar)
        # Production asks for a second factor: the session has passed it, as with a recovery code.
        new_recovery_codes(registrar)
        session = signed_in.session
        session[DEVICE_ID_SESSION_KEY] = StaticDevice.objects.get(user=registrar).persistent_id
        session.save()
    args = ["-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    if request.param == "cut short":
        args += ["--graceful-timeout", "1"]
    # The session was signed with the key. Jobs immediate: the confirmed import
    # runs inside its request, the longest write a request can make (a worker
    # killed mid-import: tests/test_jobs_worker.py).
    env = {"DJANGO_SECRET_KEY": settings.SECRET_KEY, "LEARNER_DIGEST_KEY": settings.LEARNER_DIGEST_KEY, "JOBS_IMMEDIATE": "1"}
    process = gunicorn(3, threads=2, env=env, args=args)
    process.cookies = {settings.SESSION_COOKIE_NAME: signed_in.cookies[settings.SESSION_COOKIE_NAME].value}
    process.graceful = request.param == "graceful"
    return process


def url(server, path):
    return f"http://127.0.0.1:{server.port}{path}"


def csrf(server, path):
    page = requests.get(url(server, path), headers=HTTPS, cookies=server.cookies, timeout=60)
    assert page.status_code == 200, page.text[:300]
    server.cookies.update(page.cookies.get_dict())
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def wait_for(condition, what, process, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"gunicorn ended before {what}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.005)


def student_count(platform):
    with closing(sqlite3.connect(platform.db_dir / "nairobi.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT count(*) FROM School_student").fetchone()[0]


def test_sigterm_during_an_import_ends_it_whole_or_not_at_all(server, three_schools, tmp_path):
    source = tmp_path / "students.csv"
    source.write_text(",".join(ROW_COLUMNS) + "\n" + "".join(
        f"TERM/{n:06d},First{n},Last{n},,Form 1,2024-01-08,active,,\n" for n in range(IMPORTED)
    ))
    with open(source, "rb") as upload:
        preview = requests.post(
            url(server, "/students/import/"), headers=HTTPS, cookies=server.cookies, timeout=120,
            data={"csrfmiddlewaretoken": csrf(server, "/students/import/")}, files={"file": ("students.csv", upload)},
        )
    assert preview.status_code == 200, preview.text[:500]
    found = re.search(r'name="token" value="([0-9a-f]{32})"', preview.text)
    assert found, preview.text[-3000:]
    token = found.group(1)

    outcome = {}

    def confirm():
        try:
            outcome["response"] = requests.post(
                url(server, "/students/import/"), headers=HTTPS, cookies=server.cookies, allow_redirects=False,
                data={"csrfmiddlewaretoken": csrf(server, "/students/import/"), "token": token}, timeout=120,
            )
        except requests.RequestException as error:
            outcome["error"] = error

    confirming = threading.Thread(target=confirm)
    confirming.start()
    database = three_schools.db_dir / "nairobi.sqlite3"
    wait_for(lambda: holds_write_lock(database), "the import's transaction", server.process)
    server.process.send_signal(signal.SIGTERM)
    confirming.join(120)
    server.process.wait(60)

    count = student_count(three_schools)
    assert count in (5, 5 + IMPORTED)  # never a part of the file
    if "response" in outcome:  # the request finished: its answer tells the truth
        assert outcome["response"].status_code == 302 and count == 5 + IMPORTED
    else:  # killed, or cut before its answer: rolled back, or committed whole just before
        assert isinstance(outcome["error"], requests.ConnectionError)
    if server.graceful:
        assert count == 5 + IMPORTED  # gunicorn let the request finish within graceful_timeout


def start_export(server):
    """A slow reader of the CSV export: a small receive buffer, and nothing read beyond the headers yet."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    cookies = "; ".join(f"{name}={value}" for name, value in server.cookies.items())
    headers = {**HTTPS, "Cookie": cookies, "Connection": "close"}
    sock.sendall(
        ("GET /students/export.csv HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    )
    response = http.client.HTTPResponse(sock)
    response.begin()
    assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
    return response


def test_sigterm_during_a_long_export_ends_it_whole_or_visibly_cut(server, three_schools):
    three_schools.add_students("nairobi", [(f"EXP/{n:06d}", f"First{n}", f"Last{n}") for n in range(EXPORTED)])
    access_log = server.access_log
    response = start_export(server)
    first = response.read(16 * 1024)
    assert first.startswith(b"registration_no") or b"registration_no" in first.splitlines()[0]
    # The worker is still sending (gunicorn logs a request once it has finished).
    assert "export.csv" not in access_log.read_text()
    server.process.send_signal(signal.SIGTERM)
    if not server.graceful:
        server.process.wait(60)  # the master killed the workers still busy after the graceful timeout
    try:
        body = first + response.read()
    except http.client.IncompleteRead:
        body = None  # the client knows the file is incomplete
    finally:
        response.close()
    server.process.wait(60)
    if body is not None:
        lines = body.decode().splitlines()
        assert len(lines) == 1 + 5 + EXPORTED and lines[-1].startswith(("EXP/", "NBI-"))
    if server.graceful:
        assert body is not None  # the export finished within graceful_timeout
