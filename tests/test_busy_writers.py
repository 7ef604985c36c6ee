"""Writers wait their turn on SQLite: WAL, IMMEDIATE write transactions, a busy timeout, and a clear answer when the wait is too long."""

import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager

import pytest
from django.db import connections
from django.test import Client

from School.connections import forget_alias, sqlite_file
from School.context import tenant_context
from School.models import Student
from School.utils import school_by_name
from tests.conftest import ON_MONGODB, ROOT
from tests.test_api import api, token_for

pytestmark = pytest.mark.skipif(ON_MONGODB, reason="SQLite's locking; MongoDB has no file lock")


def nairobi_file():
    return sqlite_file(school_by_name("nairobi"))


@contextmanager
def write_lock_held(path):
    """Another connection (as another worker or process would) holds the write lock, with a change not yet committed."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        # EXCLUSIVE: in rollback-journal mode that shuts readers out too; in
        # WAL mode it is the same as IMMEDIATE, and readers read on.
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE School_student SET first_name = 'Heldback' WHERE registration_no = 'NBI-0001'")
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def journal_mode(path):
    with closing(sqlite3.connect(path)) as probe:
        return probe.execute("PRAGMA journal_mode").fetchone()[0]


def to_rollback_journal(name):
    """Put a school's file back in the mode databases had before WAL (as an older version left them)."""
    forget_alias(name)  # no connection of ours keeps the file in WAL mode
    with closing(sqlite3.connect(sqlite_file(school_by_name(name)))) as old:
        assert old.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"


def test_school_databases_run_in_wal_with_full_sync_and_writes_that_take_the_lock_first(three_schools):
    with tenant_context("nairobi"):
        assert Student.objects.count() == 5
        connection = connections["nairobi"]
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: a commit survives a power cut
        assert connection.transaction_mode == "IMMEDIATE"
    assert journal_mode(nairobi_file()) == "wal"  # stored in the file: every process sees it


def test_a_database_in_rollback_journal_mode_switches_on_its_next_use(three_schools):
    to_rollback_journal("nairobi")
    assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200
    assert journal_mode(nairobi_file()) == "wal"


def test_all_migrate_switches_every_school(three_schools, run_cli):
    for name in ("nairobi", "accra"):
        to_rollback_journal(name)
    result = run_cli("--all", "migrate", "--verbosity", "0")
    assert result.returncode == 0, result.stderr
    assert {journal_mode(sqlite_file(school_by_name(name))) for name in ("nairobi", "accra")} == {"wal"}


def test_a_student_page_stays_readable_while_another_writer_holds_the_lock(three_schools):
    with write_lock_held(nairobi_file()):
        response = Client(HTTP_HOST="nairobi.localhost").get("/")
        body = response.content.decode()
        assert response.status_code == 200
        assert "NBI-0001" in body and "Heldback" not in body  # the last committed state, never the writer's half


def test_a_web_writer_that_cannot_get_the_lock_in_time_gets_a_busy_page_and_writes_nothing(three_schools, settings):
    settings.SCHOOL_SQLITE_BUSY_TIMEOUT = 0.3
    forget_alias("nairobi")  # configured again with the short timeout
    client = api("nairobi.localhost", token_for("nairobi", "registrar"))
    client.raise_request_exception = False
    assert client.get("/api/students/").status_code == 200  # the token's first use is recorded before the lock is taken
    with write_lock_held(nairobi_file()):
        response = client.post(
            "/api/students/", {"registration_no": "API/9", "first_name": "Amani", "second_name": "Njoroge"}, format="json"
        )
        assert response.status_code == 503
        assert "busy with another change" in response.content.decode()
        assert "Nothing you sent was saved" in response.content.decode()
        assert response["Retry-After"]
        assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200  # readers are still served
    with tenant_context("nairobi"):
        assert not Student.objects.filter(registration_no="API/9").exists()
        assert not Student.objects.filter(first_name="Heldback").exists()
    created = client.post(
        "/api/students/", {"registration_no": "API/9", "first_name": "Amani", "second_name": "Njoroge"}, format="json"
    )
    assert created.status_code == 201  # once the lock is free the same request goes through


def import_file(tmp_path, rows=200, prefix="IMP"):
    path = tmp_path / "students.csv"
    lines = ["registration_no,first_name,second_name"] + [f"{prefix}-{n:05d},First{n},Last{n}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_cli_writer_that_cannot_get_the_lock_in_time_says_so_in_one_line_and_writes_nothing(three_schools, run_cli, tmp_path):
    csv_file = import_file(tmp_path)
    with write_lock_held(nairobi_file()):
        result = run_cli("nairobi", "import_students", str(csv_file), env={"SCHOOL_SQLITE_BUSY_TIMEOUT": "0.3"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "school_manage.py: error: the school's database is busy: another change held it for too long; nothing was written, try again"
    ]
    with tenant_context("nairobi"):
        assert Student.objects.count() == 5


def _has_open(pid, path):
    """Has process `pid` opened the database at `path` (its connection exists)?"""
    folder = f"/proc/{pid}/fd"
    try:
        targets = [os.readlink(os.path.join(folder, fd)) for fd in os.listdir(folder)]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return str(path) in targets


def test_a_cli_import_waits_for_another_writer_instead_of_failing(three_schools, platform, tmp_path):
    csv_file = import_file(tmp_path, rows=500)
    path = nairobi_file().resolve()
    with write_lock_held(path) as holder:
        importing = subprocess.Popen(
            [sys.executable, str(ROOT / "school_manage.py"), "nairobi", "import_students", str(csv_file)],
            cwd=ROOT, env=platform.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        # The import has its connection: from here it waits for the lock (it
        # holds the file open, and the write lock is ours).
        deadline = time.monotonic() + 60
        while not _has_open(importing.pid, path):
            assert importing.poll() is None, importing.communicate()
            assert time.monotonic() < deadline, "the import never opened the database"
            time.sleep(0.05)
        holder.execute("COMMIT")  # the other writer's row is committed: the import goes next
    out, err = importing.communicate(timeout=120)
    assert importing.returncode == 0, err
    with tenant_context("nairobi"):
        assert Student.objects.filter(registration_no__startswith="IMP-").count() == 500
        assert Student.objects.get(registration_no="NBI-0001").first_name == "Heldback"
