"""Aggregate figures across schools (issue 24): counted, followed, refreshed, reported, checked.

Every test ends by searching the registry database `default` (every row of
every table) for the names and registration numbers of other schools'
students: only counts may cross the school boundary.
"""

import csv
import datetime
import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from School.context import tenant_context
from School.models import Student
from School.platform import national
from School.platform.figures import recount
from School.platform.models import NationalSnapshot, SchoolFigures
from tests.conftest import ROOT, ON_MONGODB, outlive_registry_ttl, students_of

# Marks every student of a non-default school carries (students_of prefixes and the ones added here).
FOREIGN_MARKS = ("NBI-", "ACC-", "NBIfirst", "ACCfirst", "NBIlast", "ACClast", "Wanjiru", "Kamau", "Otieno", "RAW-1")


def default_rows():
    """Every value of every row of every table of `default`, as text (SQLite: read raw, past the ORM)."""
    path = connections["default"].settings_dict["NAME"]
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                yield table, " ".join(str(value) for value in row)


def assert_no_foreign_students_in_default(marks=FOREIGN_MARKS):
    if ON_MONGODB:
        return
    for table, text in default_rows():
        for mark in marks:
            assert mark not in text, f"{mark!r} of another school found in default's {table}: {text[:200]}"


@pytest.fixture
def schools(three_schools):
    yield three_schools
    assert_no_foreign_students_in_default()


def figures_of(name):
    return SchoolFigures.objects.using("default").filter(school__name=name).first()


def true_counts(name):
    with tenant_context(name):
        return Student.objects.count()


def refresh(run_cli, *args):
    return run_cli("schools", "refresh-figures", *args, "--jobs", "2")


def report(run_cli, *args):
    result = run_cli("schools", "report", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_refresh_counts_every_school_by_class_and_status(schools, run_cli):
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI-X1", first_name="Wanjiru", second_name="K", grade="Form 2",
                               status=Student.Status.GRADUATED)
    result = refresh(run_cli, "--all")
    assert result.returncode == 0, result.stderr
    assert "refresh-figures for 3 schools" in result.stdout
    nairobi = figures_of("nairobi")
    assert (nairobi.total, nairobi.active, nairobi.graduated) == (6, 5, 1)
    assert nairobi.by_class == {"": {"active": 5}, "Form 2": {"graduated": 1}}
    assert nairobi.counted_at and nairobi.changed_at
    totals = json.loads(report(run_cli, "--format", "json"))[0]
    assert (totals["schools"], totals["total"], totals["graduated"]) == (3, 3 + 6 + 7, 1)
    by_class = {row["class"]: row for row in json.loads(report(run_cli, "--by", "class", "--format", "json"))}
    assert by_class["Form 2"]["graduated"] == 1 and by_class[""]["active"] == 15
    assert NationalSnapshot.objects.using("default").get(day=timezone.now().date()).total == 16


def test_figures_follow_writes_of_another_process_without_a_refresh(schools, run_cli, tmp_path):
    assert refresh(run_cli, "--all").returncode == 0
    path = tmp_path / "more.csv"
    path.write_text("registration_no,first_name,second_name,grade\nNBI-I1,Wanjiru,Kamau,Form 1\nNBI-I2,Wanjiru,Otieno,Form 1\n")
    imported = run_cli("nairobi", "import_students", str(path))
    assert imported.returncode == 0, imported.stderr
    # The importing process recounted the school before it ended.
    assert figures_of("nairobi").total == 7
    assert figures_of("nairobi").by_class["Form 1"] == {"active": 2}


def test_figures_follow_writes_in_this_process_right_after_the_commit(schools, settings):
    settings.FIGURES_FOLLOW_DELAY = 0  # recount right after each write commits
    with tenant_context("accra"):
        Student.objects.filter(registration_no="ACC-0001").update(status=Student.Status.WITHDRAWN)
    assert figures_of("accra").withdrawn == 1
    with tenant_context("accra"):
        Student.objects.get(registration_no="ACC-0002").delete()
    assert figures_of("accra").total == 6


@pytest.mark.sqlite
def test_figures_follow_writes_in_gunicorn_workers_within_the_bound(schools, gunicorn, run_cli):
    from django.contrib.auth import get_user_model

    from School.security.tokens import create_token

    assert refresh(run_cli, "--all").returncode == 0
    with tenant_context("nairobi"):
        key = create_token(get_user_model().objects.create_superuser("registrar", ""))[0]
    delay = 0.5
    server = gunicorn(2, env={"FIGURES_FOLLOW_DELAY": str(delay)})
    request = __import__("urllib.request").request
    body = json.dumps({"registration_no": "NBI-API", "first_name": "Wanjiru", "second_name": "A", "grade": "Form 4"}).encode()
    post = request.Request(f"http://127.0.0.1:{server.port}/api/students/", data=body, method="POST", headers={
        "Host": "nairobi.localhost", "Authorization": f"Token {key}", "Content-Type": "application/json"})
    with request.urlopen(post, timeout=30) as response:
        assert response.status == 201
    # The documented bound: FIGURES_FOLLOW_DELAY plus one count; waited for, not guessed.
    deadline = time.monotonic() + 60
    while figures_of("nairobi").total != 6:
        assert time.monotonic() < deadline, "the figures did not follow the write within 60 s"
        time.sleep(0.05)
    assert figures_of("nairobi").by_class["Form 4"] == {"active": 1}


@pytest.mark.sqlite
def test_refresh_reports_and_repairs_drift_from_raw_sql(schools, run_cli):
    assert refresh(run_cli, "--all").returncode == 0
    with sqlite3.connect(schools.db_dir / "nairobi.sqlite3") as db:  # bypasses the Student model: no stamp, no figures
        db.execute(
            "INSERT INTO School_student (registration_no, first_name, second_name, grade, status,"
            " sex, learner_no, enrolment_date, created_at, updated_at, first_name_key, second_name_key, registration_key)"
            " VALUES ('RAW-1', 'Raw', 'Row', '', 'active', '', '', '2024-01-01', '2024-01-01', '2024-01-01', 'raw', 'row', 'raw-1')"
        )
    result = refresh(run_cli, "nairobi")
    assert result.returncode == 0, result.stderr
    assert "nairobi: drift repaired: the figures said 5 students, it has 6" in result.stderr
    assert figures_of("nairobi").total == 6


@pytest.mark.sqlite
def test_an_unreachable_school_is_marked_and_the_others_go_on(schools, run_cli):
    (schools.db_dir / "accra.sqlite3").rename(schools.db_dir / "accra.away")
    result = refresh(run_cli, "--all")
    assert result.returncode == 1
    assert "accra: unreachable:" in result.stderr
    assert figures_of("nairobi").total == 5 and figures_of("default").total == 3
    accra = figures_of("accra")
    assert accra.unreachable_at and accra.unreachable_error
    health = run_cli("schools", "health")
    assert health.returncode == 1
    line = [line for line in health.stdout.splitlines() if line.startswith("accra ")][0]
    assert "unreachable: last attempt" in line
    (schools.db_dir / "accra.away").rename(schools.db_dir / "accra.sqlite3")
    assert refresh(run_cli, "accra").returncode == 0
    assert figures_of("accra").unreachable_at is None and figures_of("accra").total == 7


def test_a_removed_school_leaves_the_totals(schools, run_cli):
    assert refresh(run_cli, "--all").returncode == 0
    assert national.national_totals()["total"] == 15
    assert run_cli("schools", "remove", "accra").returncode == 0
    assert national.national_totals()["total"] == 8
    assert "accra" not in report(run_cli, "--by", "school", "--format", "csv")


def test_restore_clone_and_move_leave_the_figures_right(schools, run_cli, tmp_path):
    assert refresh(run_cli, "--all").returncode == 0
    backup = tmp_path / "nairobi.jsonl.gz"
    assert run_cli("nairobi", "backup", "--output", str(backup)).returncode == 0
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__in=["NBI-0000", "NBI-0001"]).delete()  # not followed here (tests)
    assert run_cli("schools", "restore", str(backup), "--replace", "nairobi", "--yes").returncode == 0
    assert figures_of("nairobi").total == 5 == true_counts("nairobi")
    assert run_cli("schools", "restore", str(backup), "--as", "nairobi_copy", "--host", "copy.localhost").returncode == 0
    assert figures_of("nairobi_copy").total == 5
    assert run_cli("schools", "clone", "accra", "training", "--host", "training.localhost").returncode == 0
    assert figures_of("training").total == 7
    assert run_cli("schools", "clone", "accra", "empty", "--host", "empty.localhost", "--schema-only").returncode == 0
    assert figures_of("empty").total == 0
    if not ON_MONGODB:
        assert run_cli("schools", "move", "accra", "--to", f"sqlite:{tmp_path / 'fast'}").returncode == 0
        outlive_registry_ttl()
        assert figures_of("accra").total == 7 == true_counts("accra")
    assert national.national_totals()["total"] == 3 + 5 + 7 + 5 + 7 + 0


def test_a_backup_records_its_time_and_size_in_the_registry(schools, run_cli, tmp_path):
    started = timezone.now()
    result = run_cli("nairobi", "backup", "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    (made,) = tmp_path.glob("nairobi-*.jsonl.gz")
    nairobi = figures_of("nairobi")
    assert nairobi.last_backup_at >= started.replace(microsecond=0) and nairobi.last_backup_size == made.stat().st_size
    assert refresh(run_cli, "--all").returncode == 0
    health = json.loads(run_cli("schools", "health", "--format", "json").stdout)
    problems = {row["school"]: [p["kind"] for p in row["problems"]] for row in health["schools"]}
    assert "nairobi" not in problems
    assert problems["accra"] == ["no recent backup"]
    assert health["summary"]["attention"] == 2


def test_health_lists_suspended_pending_migrations_and_stale_figures_then_one_summary_line(schools, run_cli, settings):
    assert run_cli("schools", "suspend", "accra").returncode == 0
    if not ON_MONGODB:
        with sqlite3.connect(schools.db_dir / "nairobi.sqlite3") as db:
            db.execute("DELETE FROM django_migrations WHERE app = 'security' AND name = '0002_drop_plaintext_tokens'")
    assert refresh(run_cli, "--all").returncode == 0
    SchoolFigures.objects.using("default").filter(school__name="default").update(
        counted_at=timezone.now() - settings.FIGURES_MAX_AGE - datetime.timedelta(minutes=1),
        last_backup_at=timezone.now(),
    )
    health = run_cli("schools", "health")
    assert health.returncode == 1
    lines = [line for line in school_lines(health.stdout) if not line.startswith("schedule ")]
    by_school = {line.split()[0]: line for line in lines[1:-1]}
    assert "suspended" in by_school["accra"]
    assert "stale figures: last counted" in by_school["default"] and "no recent backup" not in by_school["default"]
    if not ON_MONGODB:
        assert "pending migrations: 1 migrations not applied" in by_school["nairobi"]
    assert lines[-1].startswith("3 of 3 schools need attention: ")
    assert "1 suspended" in lines[-1] and "1 stale figures" in lines[-1]


def school_lines(stdout):
    """`schools health`'s lines but the register's two (tests/test_indicators.py checks those)."""
    from School.platform.health import ATTENDANCE_LINE, REGISTERS_LINE

    return [line for line in stdout.strip().splitlines() if not line.startswith((ATTENDANCE_LINE, REGISTERS_LINE))]


def test_health_exits_0_when_nothing_needs_attention(schools, run_cli, tmp_path):
    for name in ("default", "nairobi", "accra"):
        assert run_cli(name, "backup", "--output-dir", str(tmp_path)).returncode == 0
    assert refresh(run_cli, "--all").returncode == 0
    health = run_cli("schools", "health")
    assert health.returncode == 0, health.stdout
    lines = school_lines(health.stdout)
    assert lines[0] == "0 of 3 schools need attention"
    # The queue's schedules, each with its last good run: none yet, and a new platform is given a day.
    assert [line.split()[1] for line in lines[1:]] == ["backups", "prune", "refresh_figures"]
    assert all("last ran well never" in line and "STALE" not in line for line in lines[1:])
    assert run_cli("schools", "suspend", "accra").returncode == 0
    health = run_cli("schools", "health")
    assert health.returncode == 1
    assert [line for line in school_lines(health.stdout) if not line.startswith("schedule ")][1:] == [
        f"{'accra':<40}  suspended: its hosts answer 'temporarily unavailable'", "1 of 3 schools need attention: 1 suspended"]


def test_report_formats_and_an_unwritable_output(schools, run_cli, tmp_path):
    assert refresh(run_cli, "--all").returncode == 0
    rows = list(csv.DictReader(report(run_cli, "--by", "school", "--format", "csv").splitlines()))
    assert [(row["school"], row["total"]) for row in rows] == [("accra", "7"), ("default", "3"), ("nairobi", "5")]
    assert report(run_cli, "--by", "cluster").splitlines()[1].split() == ["main", "3", "15"]
    assert json.loads(report(run_cli, "--by", "status", "--format", "json"))[0] == {"status": "active", "students": 15}
    workbook = tmp_path / "report.xlsx"
    report(run_cli, "--by", "school", "--format", "xlsx", "--output", str(workbook))
    from openpyxl import load_workbook

    sheet = load_workbook(workbook).active
    assert [cell.value for cell in sheet[4]][:5] == ["nairobi", "Nairobi School", "main", "active", 5]
    bad = run_cli("schools", "report", "--output", str(tmp_path / "missing" / "r.csv"), "--format", "csv")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "cannot write" in bad.stderr
    assert not (tmp_path / "missing").exists()
    no_file = run_cli("schools", "report", "--format", "xlsx")
    assert no_file.returncode == 2 and "--output" in no_file.stderr


def test_snapshots_one_a_day_pruned_after_the_retention(schools, settings):
    recount("nairobi")
    today = timezone.now().date()
    old = today - datetime.timedelta(days=settings.FIGURES_SNAPSHOT_DAYS + 1)
    kept = today - datetime.timedelta(days=settings.FIGURES_SNAPSHOT_DAYS)
    NationalSnapshot.objects.using("default").create(day=old, total=1)
    NationalSnapshot.objects.using("default").create(day=kept, total=2)
    national.take_snapshot()
    national.take_snapshot()
    assert list(NationalSnapshot.objects.using("default").values_list("day", "total")) == [(kept, 2), (today, 5)]


@pytest.mark.sqlite
def test_refresh_killed_mid_way_leaves_finished_schools_right_and_a_rerun_completes(platform, run_cli):
    platform.add_school("default", ["localhost"], "Default", [])
    for n in range(300):
        platform.add_school(f"s{n:03d}", [f"s{n:03d}.localhost"], students=students_of(f"S{n:03d}", n % 7))
    default = platform.db_dir / "default.sqlite3"

    def stored():
        with sqlite3.connect(default, timeout=30) as db:
            return db.execute("SELECT count(*) FROM platform_schoolfigures").fetchone()[0]

    process = subprocess.Popen(
        [sys.executable, str(ROOT / "school_manage.py"), "schools", "refresh-figures", "--all", "--jobs", "1", "--batch", "10"],
        cwd=ROOT, env=platform.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while stored() < 10:  # the first batch is committed: strike there
        assert process.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    finished = {row.school.name: row.total for row in SchoolFigures.objects.using("default").select_related("school")}
    assert 10 <= len(finished) < 301
    for name, total in finished.items():
        assert total == (int(name[1:]) % 7 if name != "default" else 0), name
    rerun = run_cli("schools", "refresh-figures", "--all", "--jobs", "2")
    assert rerun.returncode == 0, rerun.stderr
    assert SchoolFigures.objects.using("default").count() == 301
    assert national.national_totals()["total"] == sum(n % 7 for n in range(300))
    assert_no_foreign_students_in_default(("S001-", "S299first", "S150last"))


def test_figures_follow_writes_in_the_fan_out_workers(schools, run_cli, tmp_path):
    assert refresh(run_cli, "--all").returncode == 0
    path = tmp_path / "two.csv"
    path.write_text("registration_no,first_name,second_name,grade\nALL-1,Zawadi,One,Form 3\nALL-2,Zawadi,Two,Form 3\n")
    result = run_cli("--all", "--jobs", "2", "import_students", str(path))
    assert result.returncode == 0, result.stderr
    # Each worker recounted the schools it changed before it ended.
    assert [figures_of(name).total for name in ("default", "nairobi", "accra")] == [5, 7, 9]


def test_a_count_reads_each_table_of_the_school_once_for_the_figures_the_digests_and_the_indicators(schools):
    # The figures, the learner digests and the indicators' counts all need every
    # student: read apart, refresh-figures --all over 100,000 schools read them
    # three times (School/table_reads.py).
    from django.test.utils import CaptureQueriesContext

    from School.platform.figures import count_registered
    from School.school_year.calendar import current_year

    with tenant_context("nairobi"):
        current_year("nairobi")  # a year to count: the indicators read the enrolments and the classes too
    with CaptureQueriesContext(connections["nairobi"]) as reads:
        counted = count_registered("nairobi")
    assert counted.by_class and not counted.error
    tables = [next(word for word in query["sql"].split(" FROM ", 1)[1].split() if word.strip('"')).strip('"')
              for query in reads.captured_queries if query["sql"].startswith("SELECT")]
    read_twice = {table for table in tables if tables.count(table) > 1}
    assert "School_student" in tables and not read_twice, tables
