"""A full disk loses nothing: an import, a backup, a restore, provisioning and an admin save.

Space runs out two ways: the data directory on a small tmpfs filled with a
ballast file (needs root and mount, as CI has), and a file size limit
(RLIMIT_FSIZE) on the process doing the work, which needs nothing. Each time:
one clear message; the school's data, the registry and the last good backup
as they were; no partial file where it could be taken for good; and once
there is room again, the same command works.
"""

import errno
import hashlib
import os
import re
import resource
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest
import requests
from django.test import Client

from School.connections import forget_alias
from School.context import tenant_context
from School.models import Student
from School.operations.backups import BackupFile
from tests.conftest import ON_MONGODB, ROOT, outlive_registry_ttl
from tests.test_admin import PASSWORD, make_superuser
from tests.student_rows import NO_GUARDIANS_FORM, ROW_COLUMNS

pytestmark = pytest.mark.skipif(ON_MONGODB, reason="the embedded default's files; MongoDB manages its own disk")

ROWS = 20_000
NO_SPACE = (
    "no space left to write (the disk is full, or a file size limit was reached): "
    "nothing was written; free some space and try again"
)


class SmallDisk:
    """The data directory on a tmpfs of its own; fill() leaves `room` bytes free."""

    way = "tmpfs"

    def __init__(self, root):
        self.root = root
        self.ballast = root / "ballast"

    def fill(self, room, pids=()):
        stats = os.statvfs(self.root)
        remaining = stats.f_bavail * stats.f_frsize - room
        with open(self.ballast, "ab") as ballast:
            try:
                while remaining > 0:
                    chunk = min(remaining, 1 << 20)
                    ballast.write(b"\0" * chunk)
                    ballast.flush()
                    remaining -= chunk
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise

    def make_room(self, pids=()):
        self.ballast.unlink(missing_ok=True)

    def limits(self):
        return None


class FileSizeLimit:
    """No file the limited process writes may grow past `room` bytes (RLIMIT_FSIZE)."""

    way = "rlimit"

    def __init__(self):
        self.room = None

    def fill(self, room, pids=()):
        """Limit the processes started from now on, and the running `pids`."""
        self.room = room
        for pid in pids:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (room, resource.RLIM_INFINITY))

    def make_room(self, pids=()):
        self.room = None
        for pid in pids:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    def limits(self):
        if self.room is None:
            return None
        room = self.room

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (room, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

        return limit


@pytest.fixture(params=["tmpfs", "rlimit"])
def no_room(request, tmp_path):
    """How space runs out; comes before the platform, whose data directory it may hold."""
    if request.param == "rlimit":
        yield FileSizeLimit()
        return
    root = tmp_path / "data"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(root)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'mount failed'}); the rlimit variant still runs")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.fixture
def schools(no_room, three_schools):
    """three_schools on the data directory of `no_room`, with ROWS students at nairobi."""
    three_schools.add_students("nairobi", [(f"OLD/{n:06d}", f"Old{n}", f"Student{n}") for n in range(ROWS)])
    forget_alias("nairobi")  # no connection of this process keeps its WAL: every write below needs new room
    return three_schools


def run_cli(platform, no_room, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "school_manage.py"), *args],
        cwd=ROOT, env=platform.env(), capture_output=True, text=True, timeout=300, preexec_fn=no_room.limits(),
    )


def assert_one_clear_line(result):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.strip().splitlines() == [f"school_manage.py: error: {NO_SPACE}"] or (
        len(result.stderr.strip().splitlines()) == 1 and NO_SPACE in result.stderr
    ), result.stderr


def rows(path, sql):
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


def files_of(platform, *names):
    """The database directory's files whose names hold one of `names` (main files, -wal, -shm, partial copies)."""
    return sorted(file for file in os.listdir(platform.db_dir) if any(name in file for name in names))


def state(platform):
    """Everything that must survive: the registry, nairobi's students, both files sound."""
    default, nairobi = platform.db_dir / "default.sqlite3", platform.db_dir / "nairobi.sqlite3"
    for path in (default, nairobi):
        assert rows(path, "PRAGMA integrity_check") == [("ok",)]
    return (
        rows(default, "SELECT name, database, suspended FROM School_school ORDER BY name"),
        rows(default, "SELECT host FROM School_schoolhost ORDER BY host"),
        rows(nairobi, "SELECT count(*), max(registration_no) FROM School_student"),
    )


def big_csv(path):
    with open(path, "w") as handle:
        handle.write(",".join(ROW_COLUMNS) + "\n")
        for n in range(ROWS):
            handle.write(f"NEW/{n:06d},First{n},Last{n},,Form {n % 4 + 1},2024-01-08,active,,\n")
    return path


def test_an_import_that_runs_out_of_space_writes_nothing_and_works_once_there_is_room(no_room, schools, tmp_path):
    source = big_csv(tmp_path / "big.csv")
    before = state(schools)
    no_room.fill(512 * 1024)  # a 20,000-row import needs several megabytes
    assert_one_clear_line(run_cli(schools, no_room, "nairobi", "import_students", str(source)))
    no_room.make_room()
    assert state(schools) == before
    retry = run_cli(schools, no_room, "nairobi", "import_students", str(source))
    assert retry.returncode == 0, retry.stderr
    assert rows(schools.db_dir / "nairobi.sqlite3", "SELECT count(*) FROM School_student") == [(5 + 2 * ROWS,)]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_that_runs_out_of_space_leaves_no_partial_file_and_the_last_good_one_intact(no_room, schools):
    good = run_cli(schools, no_room, "nairobi", "backup")
    assert good.returncode == 0, good.stderr
    backups = schools.data_dir / "backups"
    [last_good] = list(backups.iterdir())
    good_digest, before = digest(last_good), state(schools)
    no_room.fill(64 * 1024)  # the backup of 20,000 students is larger
    assert_one_clear_line(run_cli(schools, no_room, "nairobi", "backup", "--keep", "1"))
    assert list(backups.iterdir()) == [last_good]  # no partial file, and --keep deleted nothing
    assert digest(last_good) == good_digest
    BackupFile(last_good).verify()
    no_room.make_room()
    assert state(schools) == before
    retry = run_cli(schools, no_room, "nairobi", "backup")
    assert retry.returncode == 0, retry.stderr
    assert len(list(backups.glob("nairobi-*.jsonl.gz"))) == 2


def test_a_restore_that_runs_out_of_space_registers_nothing_and_leaves_no_new_database(no_room, schools, tmp_path):
    made = run_cli(schools, no_room, "nairobi", "backup", "--output", str(tmp_path / "nairobi.jsonl.gz"))
    assert made.returncode == 0, made.stderr
    before = state(schools)
    no_room.fill(256 * 1024)  # the restored school's database takes megabytes
    restore = ("schools", "restore", str(tmp_path / "nairobi.jsonl.gz"), "--as", "kisumu", "--host", "kisumu.localhost")
    assert_one_clear_line(run_cli(schools, no_room, *restore))
    assert files_of(schools, "kisumu") == []  # no half-built kisumu-*.sqlite3 (nor its -wal)
    no_room.make_room()
    assert state(schools) == before
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").status_code == 404
    retry = run_cli(schools, no_room, *restore)
    assert retry.returncode == 0, retry.stderr
    outlive_registry_ttl()
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").json()["students"] == 5 + ROWS


def test_provisioning_that_runs_out_of_space_leaves_no_half_created_school(no_room, schools):
    before = state(schools)
    no_room.fill(16 * 1024)  # a new school's migrated database is larger
    assert_one_clear_line(run_cli(schools, no_room, "schools", "add", "kisumu", "--host", "kisumu.localhost"))
    assert files_of(schools, "kisumu", ".template-") == []  # no kisumu file, no half-built template
    no_room.make_room()
    assert state(schools) == before
    retry = run_cli(schools, no_room, "schools", "add", "kisumu", "--host", "kisumu.localhost")
    assert retry.returncode == 0, retry.stderr
    outlive_registry_ttl()
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").json()["students"] == 0


ADD_STUDENT = {
    "registration_no": "NBI/NEW/1", "first_name": "Wanjiru", "second_name": "Kamau",
    "enrolment_date": "2024-01-08", "status": "active", **NO_GUARDIANS_FORM,
}


def empty_wal(platform):
    """Fold nairobi's WAL into its file and cut it to nothing: the next write needs new room."""
    with sqlite3.connect(platform.db_dir / "nairobi.sqlite3") as db:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0


def signed_in_admin(base, host):
    """A requests session signed in to `host`'s admin over HTTP (CSRF and all)."""
    session = requests.Session()
    session.headers["Host"] = host
    page = session.get(f"{base}/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed_in = session.post(
        f"{base}/admin/login/?next=/admin/",
        {"username": "wanjiku", "password": PASSWORD, "csrfmiddlewaretoken": token}, allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    return session


def admin_add(session, base):
    form = session.get(f"{base}/admin/School/student/add/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return session.post(
        f"{base}/admin/School/student/add/", {**ADD_STUDENT, "csrfmiddlewaretoken": token}, allow_redirects=False
    )


def worker_pids(master):
    with open(f"/proc/{master}/task/{master}/children") as children:
        return [int(pid) for pid in children.read().split()]


def test_an_admin_save_that_runs_out_of_space_saves_nothing_and_says_so(no_room, schools, gunicorn):
    make_superuser("nairobi", "wanjiku")
    server = gunicorn(workers=2, env={"DJANGO_SETTINGS_MODULE": "tests.settings"})  # its password hasher
    base = f"http://127.0.0.1:{server.port}"
    session = signed_in_admin(base, "nairobi.localhost")
    assert session.get(f"{base}/admin/School/student/add/").status_code == 200
    before = state(schools)
    empty_wal(schools)
    workers = worker_pids(server.process.pid)
    # No room at all on the disk; under a file size limit, room for the WAL's
    # header and one page (a save writes several).
    no_room.fill(0 if no_room.way == "tmpfs" else 8192, pids=workers)
    refused = admin_add(session, base)  # the form is read (no room needed), then saved
    assert refused.status_code == 503
    assert "disk is full" in refused.text and "Nothing you sent was saved" in refused.text
    assert session.get(f"{base}/").status_code == 200  # the school's page reads on
    no_room.make_room(pids=workers)
    assert state(schools) == before
    saved = admin_add(session, base)
    assert saved.status_code == 302, saved.text[:500]
    with tenant_context("nairobi"):
        assert Student.objects.filter(registration_no="NBI/NEW/1").count() == 1
