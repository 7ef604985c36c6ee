"""Kill -9 in the middle of a restore: the old state or the new one, never a mix; a retry works."""

import sqlite3

import pytest
from django.test import Client

from tests.conftest import outlive_registry_ttl
from tests.test_crash_safety import count, kill_when, run, start

pytestmark = pytest.mark.sqlite  # watches SQLite's WAL files to strike mid-write


def writing_new_database(db_dir, name):
    return lambda: any(db_dir.glob(f"{name}-*.sqlite3-wal"))


def make_backup(platform, name, path):
    result = run(platform, name, "backup", "--output", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_restore_as_killed_while_writing_registers_nothing_and_can_be_retried(three_schools, tmp_path):
    backup = make_backup(three_schools, "nairobi", tmp_path / "nairobi.jsonl.gz")
    process = start(three_schools, "schools", "restore", str(backup), "--as", "kisumu", "--host", "kisumu.localhost")
    kill_when(process, writing_new_database(three_schools.db_dir, "kisumu"))

    default = three_schools.db_dir / "default.sqlite3"
    assert count(default, "SELECT count(*) FROM School_school WHERE name = 'kisumu'") == 0
    assert count(default, "SELECT count(*) FROM School_schoolhost WHERE host = 'kisumu.localhost'") == 0
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").status_code == 404

    retry = run(three_schools, "schools", "restore", str(backup), "--as", "kisumu", "--host", "kisumu.localhost")
    assert retry.returncode == 0, retry.stderr
    outlive_registry_ttl()
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").json() == {"school": "kisumu", "status": "ok", "students": 5}


def test_replace_killed_while_writing_keeps_the_old_data_and_can_be_retried(three_schools, tmp_path):
    backup = make_backup(three_schools, "nairobi", tmp_path / "nairobi.jsonl.gz")
    old_file = three_schools.db_dir / "nairobi.sqlite3"
    with sqlite3.connect(old_file) as db:
        db.execute("DELETE FROM School_student WHERE registration_no = 'NBI-0000'")

    process = start(three_schools, "schools", "restore", str(backup), "--replace", "nairobi", "--yes")
    kill_when(process, writing_new_database(three_schools.db_dir, "nairobi"))

    # Still registered on its old database, with its old rows, all of them: the
    # interrupted restore left it suspended, which is what an operator sees.
    default = three_schools.db_dir / "default.sqlite3"
    assert count(default, "SELECT database FROM School_school WHERE name = 'nairobi'") == ""
    assert count(old_file, "SELECT count(*) FROM School_student") == 4
    outlive_registry_ttl()
    assert Client(HTTP_HOST="nairobi.localhost").get("/healthz").status_code == 503
    resumed = run(three_schools, "schools", "resume", "nairobi")
    assert resumed.returncode == 0, resumed.stderr
    outlive_registry_ttl()
    assert Client(HTTP_HOST="nairobi.localhost").get("/healthz").json()["students"] == 4

    retry = run(three_schools, "schools", "restore", str(backup), "--replace", "nairobi", "--yes")
    assert retry.returncode == 0, retry.stderr
    outlive_registry_ttl()
    assert Client(HTTP_HOST="nairobi.localhost").get("/healthz").json()["students"] == 5


def test_move_killed_while_writing_keeps_serving_from_the_old_place(three_schools, tmp_path):
    elsewhere = tmp_path / "disk2"
    process = start(three_schools, "schools", "move", "nairobi", "--to", f"sqlite:{elsewhere}")
    kill_when(process, writing_new_database(elsewhere, "nairobi"))

    default = three_schools.db_dir / "default.sqlite3"
    assert count(default, "SELECT database FROM School_school WHERE name = 'nairobi'") == ""
    assert count(three_schools.db_dir / "nairobi.sqlite3", "SELECT count(*) FROM School_student") == 5

    retry = run(three_schools, "schools", "move", "nairobi", "--to", f"sqlite:{elsewhere}")
    assert retry.returncode == 0, retry.stderr
    outlive_registry_ttl()
    assert Client(HTTP_HOST="nairobi.localhost").get("/healthz").json()["students"] == 5
    assert count(default, "SELECT database FROM School_school WHERE name = 'nairobi'").startswith(str(elsewhere.resolve()))
