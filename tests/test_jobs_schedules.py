"""Nightly work on the queue's own scheduler: each schedule a setting, each run recorded, a stale one flagged."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from School.jobs import schedules
from School.jobs.broker import _broker
from School.jobs.models import Job, ScheduledRun
from School.operations.backups import backups_dir
from School.platform import schedule  # noqa: F401  (registers the platform's schedules)
from School.utils import all_schools


def test_each_schedule_is_a_setting_and_becomes_a_periodic_task_of_the_queue(platform, settings):
    settings.JOB_SCHEDULES = {"backups": "15 1 * * *", "refresh_figures": "off", "prune": "0 3 * * 0"}
    huey = _broker("", str(platform.data_dir / "elsewhere"), False)
    periodic = {task.__name__: task() for task in huey._registry._periodic_tasks}
    assert set(periodic) == {"schedule.backups", "schedule.prune"}  # "off" is off
    backups = periodic["schedule.backups"]
    assert backups.validate_datetime(datetime.datetime(2026, 5, 4, 1, 15))
    assert not backups.validate_datetime(datetime.datetime(2026, 5, 4, 1, 16))
    with pytest.raises(schedules.BadSchedule):
        schedules.validator("every night")


def test_nightly_backups_are_a_job_per_school_keeping_the_newest_and_health_says_when_each_ran(three_schools, settings):
    settings.BACKUP_KEEP = 2
    schedules.run("backups")
    schedules.run("backups")  # another worker's scheduler, the same minute: runs nothing
    assert Job.objects.filter(kind="operations.backup").count() == 3
    for _night in range(2):
        schedules.run("backups", force=True)
    jobs = Job.objects.filter(kind="operations.backup")
    assert jobs.count() == 9 and set(jobs.values_list("state", flat=True)) == {"done"}
    assert {job.school for job in jobs} == {school.name for school in all_schools()}
    for name in ("default", "nairobi", "accra"):
        assert len(list(backups_dir().glob(f"{name}-*.jsonl.gz"))) <= 2  # the kept count
    schedules.run("prune")
    states = {state["name"]: state for state in schedules.states()}
    assert not states["backups"]["stale"] and states["backups"]["last_message"] == "3 backups queued"
    assert states["prune"]["last_ok"] is not None and states["refresh_figures"]["last_ok"] is None
    # A night missed: the last good run is older than SCHEDULE_STALE_HOURS.
    ScheduledRun.objects.filter(name="backups").update(last_ok=timezone.now() - datetime.timedelta(hours=settings.SCHEDULE_STALE_HOURS + 1))
    assert {state["name"]: state["stale"] for state in schedules.states()}["backups"] is True


def test_a_schedule_that_fails_is_recorded_and_stays_stale(three_schools, monkeypatch):
    def broken():
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(schedules._scheduled, "prune", broken)
    with pytest.raises(RuntimeError):
        schedules.run("prune")
    row = ScheduledRun.objects.get(name="prune")
    assert row.last_ok is None and "disk on fire" in row.last_message


def test_health_lists_each_schedule_and_flags_a_stale_one(three_schools, capsys):
    ScheduledRun.objects.create(name="refresh_figures", last_ok=timezone.now() - datetime.timedelta(days=3))
    with pytest.raises(CommandError) as exit_status:
        call_command("schools", "health")
    assert exit_status.value.returncode == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("schedule refresh_figures"))
    assert "STALE" in line
