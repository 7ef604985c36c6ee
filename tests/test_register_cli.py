"""`register` and `attendance --today` (issue 35): the page's rules from the command line, one line per refusal."""

import datetime
import json

import pytest

from School.context import tenant_context
from School.register.models import Mark, RegisterTaken
from School.security.models import AuditEvent
from tests.register_world import CLOSED, TODAY, register_school


@pytest.fixture
def school(platform):
    register_school(platform)
    return platform


def stored():
    with tenant_context("nairobi"):
        return (sorted(RegisterTaken.objects.values_list("class_name", "date", "version")),
                sorted(Mark.objects.values_list("student__registration_no", "code", "reason")))


def test_register_then_attendance_today(school, run_cli):
    result = run_cli("nairobi", "register", "Form 1 East", "--absent", "E-01", "--late", "E-02", "--excused", "E-03=sick")
    assert result.returncode == 0, result.stderr
    assert "Register of Form 1 East on" in result.stdout and "1 absent, 1 excused, 1 late" in result.stdout
    again = run_cli("nairobi", "register", "Form 1 East", "--absent", "E-01", "--late", "E-02", "--excused", "E-03=sick")
    assert "unchanged" in again.stdout and "version 1" in again.stdout
    assert stored()[1] == [("E-01", "absent-unexcused", ""), ("E-02", "late", ""), ("E-03", "absent-excused", "sick")]

    today = run_cli("nairobi", "attendance", "--today", "--format", "json")
    assert today.returncode == 0, today.stderr
    found = json.loads(today.stdout)
    assert {"class": "Form 1 West", "session": "day"} in found["missing"]
    assert [row["regno"] for row in found["absent"]] == ["E-01", "E-03"]
    table = run_cli("nairobi", "attendance", "--today").stdout
    assert "1 taken, 2 not taken yet" in table and "E-01" in table


@pytest.mark.parametrize("arguments, message", [
    (["Form 1 East", "--date", CLOSED.isoformat()], f"the school is closed on {CLOSED}"),
    (["Form 1 East", "--date", (TODAY + datetime.timedelta(days=1)).isoformat()], "is in the future"),
    (["Form 1 North"], "belongs to year Old"),
    (["Form 1 East", "--absent", "W-01"], "student W-01 is not in this class"),
    (["Form 1 East", "--excused", "E-01=football"], "reason 'football' is not in the school's list"),
    (["Form 1 East", "--excused", "E-01"], "write --excused REGNO=REASON"),
    (["Form 1 East", "--absent", "E-01", "--late", "E-01"], "student E-01 is named twice"),
    (["Form 1 East", "--date", "yesterday"], "is not a date"),
    (["Form 1 East", "--date", (TODAY - datetime.timedelta(days=1)).isoformat()], "corrected with a reason"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(school, run_cli, arguments, message):
    result = run_cli("nairobi", "register", *arguments)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert stored() == ([], [])


def test_an_earlier_day_is_corrected_with_a_reason_and_audited(school, run_cli):
    day = (TODAY - datetime.timedelta(days=1)).isoformat()
    result = run_cli("nairobi", "register", "Form 2", "--date", day, "--absent", "T-01", "--reason", "paper register")
    assert result.returncode == 0, result.stderr
    with tenant_context("nairobi"):
        event = AuditEvent.objects.get(action="register_fix")
    assert event.target == f"Form 2 {day} day T-01: present -> absent-unexcused" and event.result == "paper register"
    assert event.username.startswith("operator:")
