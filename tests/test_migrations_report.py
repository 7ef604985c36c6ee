"""`schools migrations` shows what each school has applied and lacks; `--all migrate` survives kill -9."""

import json
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command

from School.context import tenant_context
from django.db.migrations.loader import MigrationLoader

from tests.conftest import ROOT

# Every School migration after 0002 and every migration of another app that
# needs one of them (unapplied with them), whatever later branches add.
GRAPH = MigrationLoader(None, ignore_no_migrations=True).graph
PENDING_AFTER_ROLLBACK = sorted(f"{app}.{name}" for app, name in GRAPH.backwards_plan(("School", "0003_student_records")))


def roll_back(name):
    """Unapply School's last migrations on one school, as if its code were older."""
    with tenant_context(name):
        call_command("migrate", "School", "0002", database=name, verbosity=0)


def report(run_cli, *args):
    result = run_cli("schools", "migrations", "--format", "json", *args)
    return result, json.loads(result.stdout)


def test_report_lists_applied_and_pending_per_school_and_counts_per_state(three_schools, run_cli):
    roll_back("nairobi")
    result, data = report(run_cli)
    assert result.returncode == 0, result.stderr
    by_name = {row["name"]: row for row in data["schools"]}
    assert list(by_name) == ["default", "accra", "nairobi"]
    assert by_name["nairobi"]["state"] == "pending"
    assert by_name["nairobi"]["pending"] == PENDING_AFTER_ROLLBACK
    assert "School.0002_school_suspended" in by_name["nairobi"]["applied"]
    assert by_name["accra"]["pending"] == [] and set(PENDING_AFTER_ROLLBACK) <= set(by_name["accra"]["applied"])
    assert data["counts"] == {"up to date": 2, "pending": 1, "failed": 0}
    assert data["pending_by_migration"] == {name: 1 for name in PENDING_AFTER_ROLLBACK}

    _result, pending_only = report(run_cli, "--pending")
    assert [row["name"] for row in pending_only["schools"]] == ["nairobi"]
    table = run_cli("schools", "migrations").stdout
    assert "2 up to date, 1 pending, 0 failed" in table
    assert f"{PENDING_AFTER_ROLLBACK[0]}: pending in 1 schools" in table


@pytest.mark.sqlite  # removes a school's file to make it unreadable
def test_an_unreadable_school_is_reported_failed_and_the_others_still_are(three_schools, run_cli):
    (three_schools.db_dir / "accra.sqlite3").unlink()
    result, data = report(run_cli)
    assert result.returncode == 1
    states = {row["name"]: row["state"] for row in data["schools"]}
    assert states == {"default": "up to date", "accra": "failed", "nairobi": "up to date"}
    assert data["counts"] == {"up to date": 2, "pending": 0, "failed": 1}


def test_all_migrate_killed_mid_way_then_rerun_applies_only_what_is_pending(three_schools, run_cli):
    names = [f"m{n:02d}" for n in range(10)]
    for name in names:
        three_schools.add_school(name, [f"{name}.localhost"])
        roll_back(name)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "school_manage.py"), "--all", "--jobs", "1", "migrate"],
        cwd=ROOT, env=three_schools.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    # The progress line of the first migrated school: it is done, the others may not be.
    for line in process.stdout:
        if line.startswith("[1/10]"):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(30)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    _result, before = report(run_cli)
    still_pending = before["counts"]["pending"]
    assert still_pending < 10  # at least the first school was migrated before the kill
    rerun = run_cli("--all", "--jobs", "1", "migrate")
    assert rerun.returncode == 0, rerun.stderr
    assert f"migrated    {still_pending}\n" in rerun.stdout
    assert f"up to date  {13 - still_pending}\n" in rerun.stdout
    _result, after = report(run_cli)
    assert after["counts"] == {"up to date": 13, "pending": 0, "failed": 0}
