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


def test_the_class_sheet_is_the_months_grid_as_table_csv_and_xlsx(school, run_cli, tmp_path):
    from openpyxl import load_workbook

    day = TODAY - datetime.timedelta(days=1)
    assert run_cli("nairobi", "register", "Form 1 East", "--date", day.isoformat(), "--absent", "E-01", "--reason", "paper").returncode == 0
    assert run_cli("nairobi", "register", "Form 1 East", "--late", "E-02").returncode == 0
    month = TODAY.strftime("%Y-%m")
    csv_text = run_cli("nairobi", "attendance", "--class", "Form 1 East", "--month", month, "--format", "csv").stdout
    rows = [line.split(",") for line in csv_text.splitlines()]
    header, first, second, totals = rows[0], rows[1], rows[2], rows[-1]
    assert header[:3] == ["No.", "Registration number", "Name"] and header[-3:] == ["Present", "Absent", "Late"]
    today_column = header.index(str(TODAY.day))
    assert first[1] == "E-01" and first[today_column] == "/" and first[-3:] == (["1", "1", "0"] if day.month == TODAY.month else ["1", "0", "0"])
    assert second[today_column] == "L" and second[-1] == "1"
    assert totals[today_column] == "5"  # the late one came
    assert str(CLOSED.day) not in header[3:-3] or CLOSED.month != TODAY.month  # a closed day has no column
    output = tmp_path / "sheet.xlsx"
    result = run_cli("nairobi", "attendance", "--class", "Form 1 East", "--month", month, "--format", "xlsx", "--output", str(output))
    assert result.returncode == 0, result.stderr
    grid = [[("" if cell is None else str(cell)) for cell in row] for row in load_workbook(output).active.iter_rows(values_only=True)]
    assert grid[1][today_column] == "/" and grid[2][today_column] == "L"
    table = run_cli("nairobi", "attendance", "--class", "Form 1 East", "--month", month).stdout
    assert "FirstE-02 LastE-02" in table


@pytest.mark.parametrize("arguments, message", [
    (["--class", "Form 1 East", "--month", "May"], "'May' is not a month"),
    (["--class", "Form 1 East"], "write: attendance --today, or"),
    (["--class", "Form 9", "--month", "2026-01"], "there is no class Form 9"),
    (["--class", "Form 1 East", "--month", "2026-01", "--format", "xlsx"], "needs --output FILE"),
])
def test_a_bad_sheet_request_is_one_line(school, run_cli, arguments, message):
    result = run_cli("nairobi", "attendance", *arguments)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr


def test_a_school_turns_on_two_registers_a_day_and_adds_a_reason(school, run_cli):
    result = run_cli("nairobi", "register_settings", "--sessions", "two", "--add-reason", "Harvest", "--absence-mails", "on",
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["sessions"] == ["am", "pm"] and "Harvest" in shown["reasons"] and shown["weekdays"] == "1234567"
    assert shown["absence_mails"] is True
    assert run_cli("nairobi", "register", "Form 1 East", "--session", "am", "--excused", "E-01=Harvest").returncode == 0
    unnamed = run_cli("nairobi", "register", "Form 1 East")  # a school with two a day: which one must be said
    assert unnamed.returncode == 2 and "this school takes am and pm" in unnamed.stderr
    assert stored()[1] == [("E-01", "absent-excused", "Harvest")]
    bad = run_cli("nairobi", "register_settings", "--weekdays", "12x")
    assert bad.returncode == 2 and "School days: at least one of the ISO digits" in bad.stderr
