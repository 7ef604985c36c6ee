"""Kill -9 in the middle of writing: nothing half-written is visible, and a retry works."""

import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.test import Client

from tests.conftest import ROOT, outlive_registry_ttl
from tests.student_rows import ROW_COLUMNS

pytestmark = pytest.mark.sqlite  # watches SQLite's write lock and WAL files to strike mid-transaction


def start(platform, *args):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "school_manage.py"), *args],
        cwd=ROOT, env=platform.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def kill_when(process, appeared, timeout=60):
    """SIGKILL `process` as soon as `appeared()` is true."""
    deadline = time.monotonic() + timeout
    while not appeared():
        assert process.poll() is None, f"finished before it could be interrupted: {process.communicate()}"
        assert time.monotonic() < deadline, "never reached the point to interrupt"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def holds_write_lock(database):
    """Does a connection hold `database`'s write lock (a write transaction is open)?"""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return True
    finally:
        probe.close()


def kill_while_writing(process, database):
    """SIGKILL `process` as soon as it holds a write transaction on `database`.

    (Write transactions begin IMMEDIATE: the lock is taken when it begins.)
    """
    kill_when(process, lambda: holds_write_lock(database))


def count(database, sql):
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchone()[0]


def run(platform, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "school_manage.py"), *args],
        cwd=ROOT, env=platform.env(), capture_output=True, text=True, timeout=300,
    )


def test_import_killed_mid_write_leaves_nothing_and_can_be_retried(three_schools, tmp_path):
    rows = 20_000
    path = tmp_path / "big.csv"
    with open(path, "w") as handle:
        handle.write(",".join(ROW_COLUMNS) + "\n")
        for n in range(rows):
            handle.write(f"BIG/{n:06d},First{n},Last{n},,Form {n % 4 + 1},2024-01-08,active,,\n")
    database = three_schools.db_dir / "nairobi.sqlite3"

    kill_while_writing(start(three_schools, "nairobi", "import_students", str(path)), database)

    # Reading again rolls the interrupted transaction back: not one row of it.
    assert count(database, "SELECT count(*) FROM School_student") == 5
    assert "BIG/" not in Client(HTTP_HOST="nairobi.localhost").get("/", {"q": "BIG"}).content.decode()
    retry = run(three_schools, "nairobi", "import_students", str(path))
    assert retry.returncode == 0, retry.stderr
    assert count(database, "SELECT count(*) FROM School_student") == 5 + rows


def assert_not_registered_and_retry_works(platform):
    default = platform.db_dir / "default.sqlite3"
    assert count(default, "SELECT count(*) FROM School_school WHERE name = 'kisumu'") == 0
    assert count(default, "SELECT count(*) FROM School_schoolhost WHERE host = 'kisumu.localhost'") == 0
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").status_code == 404
    retry = run(platform, "schools", "add", "kisumu", "--host", "kisumu.localhost")
    assert retry.returncode == 0, retry.stderr
    # This process cached "kisumu is unknown" above; like any worker, it sees
    # the retry's registration once SCHOOL_REGISTRY_TTL has passed.
    outlive_registry_ttl()
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").json() == {"school": "kisumu", "status": "ok", "students": 0}


def test_provisioning_killed_while_building_the_template_is_never_served_and_can_be_retried(three_schools):
    building = lambda: any(three_schools.db_dir.glob(".template-*.building-*.sqlite3-wal"))  # noqa: E731
    kill_when(start(three_schools, "schools", "add", "kisumu", "--host", "kisumu.localhost"), building)
    assert not (three_schools.db_dir / "kisumu.sqlite3").exists()
    assert_not_registered_and_retry_works(three_schools)


def test_provisioning_killed_before_registering_is_never_served_and_can_be_retried(three_schools):
    # Hold the registry's write lock: the command copies the school's database
    # (which appears, whole, under its name), then waits for the lock to
    # register; it is killed there, whatever the machine's speed.
    lock = sqlite3.connect(three_schools.db_dir / "default.sqlite3", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        database = three_schools.db_dir / "kisumu.sqlite3"
        kill_when(start(three_schools, "schools", "add", "kisumu", "--host", "kisumu.localhost"), database.exists)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert count(database, "SELECT count(*) FROM django_migrations") > 0  # complete, just not registered
    assert_not_registered_and_retry_works(three_schools)
