"""The school year (issue 32, first slice): calendar, grade ladder, enrolments and promotion day,
as a school office and an operator see them: through school_manage.py, and in what the records then say."""

import datetime
import json
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from School.context import tenant_context
from School.models import Student, StudentsStamp
from School.school_year import promotion as promotion_module
from School.school_year.calendar import current_year
from School.school_year.ladder import guessed_order, set_ladder
from School.school_year.models import ClosedDay, Enrolment, Grade, Promotion, SchoolYear, Term
from School.school_year.promotion import PromotionError, promote
from School.security.models import AuditEvent
from School.utils import school_by_name
from tests.conftest import ON_MONGODB, outlive_registry_ttl

FIXTURES = Path(__file__).parent / "fixtures"
THIS_YEAR = datetime.date.today().year
NEXT = str(THIS_YEAR + 1)


def add_students(name, rows):
    """rows: (regno, grade, status)."""
    with tenant_context(name):
        Student.objects.bulk_create(
            Student(registration_no=reg, first_name="F" + reg, second_name="L" + reg, grade=grade, status=status)
            for reg, grade, status in rows
        )


def migrate_school_year_again(name):
    """Run the school_year migrations on a school that already has students, as on an existing school."""
    alias = school_by_name(name).alias
    with tenant_context(name):
        connection = connections[alias]
        executor = MigrationExecutor(connection)
        executor.migrate([("school_year", None)])
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def secondary(platform):
    """A school of Form 1..Form 4 (22 active students, one withdrawn), migrated as an existing school."""
    platform.add_school("nairobi", ["nairobi.localhost"], "Nairobi School")
    rows = [(f"F{form}-{n:02d}", f"Form {form}", "active") for form in (1, 2, 3, 4) for n in range(5 + form % 2)]
    add_students("nairobi", [*rows, ("OLD-1", "Form 2", "withdrawn")])
    migrate_school_year_again("nairobi")
    return platform


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stdout + result.stderr
    return lines[0]


def snapshot(name):
    """What the school-year tables and the students hold, to show nothing was written."""
    with tenant_context(name):
        return (
            sorted(SchoolYear.objects.values_list("name", "first_day", "last_day", "is_current")),
            sorted(Term.objects.values_list("name", "first_day")),
            sorted(ClosedDay.objects.values_list("first_day", "last_day")),
            sorted(Grade.objects.values_list("name", "position", "is_final", "confirmed")),
            sorted(Enrolment.objects.values_list("student__registration_no", "year__name", "grade__name", "outcome")),
            sorted(Student.objects.values_list("registration_no", "grade", "status")),
            Promotion.objects.count(),
        )


# --- existing records into the new shape -------------------------------------------------


def test_existing_students_get_a_current_year_a_ladder_and_an_enrolment_each(secondary):
    with tenant_context("nairobi"):
        year = SchoolYear.objects.get()
        assert (year.name, year.first_day, year.last_day, year.is_current) == (
            str(THIS_YEAR), datetime.date(THIS_YEAR, 1, 1), datetime.date(THIS_YEAR, 12, 31), True
        )
        ladder = [(g.name, g.next_grade.name if g.next_grade else None, g.is_final, g.confirmed) for g in Grade.objects.all()]
        # The order is read from the numbers; which grade is final cannot be, so none is.
        assert ladder == [("Form 1", "Form 2", False, True), ("Form 2", "Form 3", False, True),
                          ("Form 3", "Form 4", False, True), ("Form 4", None, False, True)]
        assert Enrolment.objects.count() == Student.objects.count() == 23
        old = Enrolment.objects.get(student__registration_no="OLD-1")
        assert (old.outcome, old.grade.name, old.year_id) == ("withdrawn", "Form 2", year.pk)


def test_grades_whose_order_cannot_be_read_are_unconfirmed_and_promotion_says_so(platform, run_cli):
    platform.add_school("accra", ["accra.localhost"])
    add_students("accra", [("A1", "Red", "active"), ("A2", "Blue", "active"), ("A3", "", "active")])
    migrate_school_year_again("accra")
    with tenant_context("accra"):
        assert list(Grade.objects.values_list("name", "confirmed")) == [("Blue", False), ("Red", False)]
        assert Enrolment.objects.get(student__registration_no="A3").grade is None
    assert run_cli("accra", "calendar", "set", NEXT, "--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30").returncode == 0
    line = one_error_line(run_cli("accra", "promote", "--to", NEXT))
    assert "not confirmed" in line and "school_manage.py accra grades set" in line
    shown = run_cli("accra", "grades")
    assert "NO" in shown.stdout and "guessed from the records" in shown.stdout


def test_guessed_order():
    assert guessed_order(["Grade 10", "Grade 9", "Grade 1"]) == (["Grade 1", "Grade 9", "Grade 10"], True)
    assert guessed_order(["Form 1", "Grade 2"])[1] is False
    assert guessed_order(["Grade 7A", "Grade 7B"])[1] is False


def test_a_school_with_no_students_gets_its_default_year_on_first_use(platform, run_cli):
    platform.add_school("kisumu", ["kisumu.localhost"])
    with tenant_context("kisumu"):
        assert not SchoolYear.objects.exists()
    result = run_cli("kisumu", "calendar", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{
        "name": str(THIS_YEAR), "first": f"{THIS_YEAR}-01-01", "last": f"{THIS_YEAR}-12-31", "current": True,
        "terms": [], "closed": [],
    }]


@pytest.mark.sqlite  # the fixture is a SQLite backup; across engines a backup must come from the same code
def test_a_backup_made_before_the_school_year_restores_into_the_new_shape(platform, run_cli):
    result = run_cli("schools", "restore", str(FIXTURES / "backup-v1-nairobi.jsonl.gz"), "--as", "old", "--host", "old.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    with tenant_context("old"):
        assert SchoolYear.objects.get(is_current=True).name == str(THIS_YEAR)
        assert Enrolment.objects.count() == Student.objects.count() > 0
        for student in Student.objects.all():
            enrolment = student.enrolments.get()
            assert (enrolment.grade.name if enrolment.grade else "") == student.grade


# --- the calendar -------------------------------------------------------------------------


def test_calendar_set_writes_a_year_with_its_terms_and_closed_days(secondary, run_cli):
    result = run_cli("nairobi", "calendar", "set", NEXT, "--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30",
                     "--term", f"Term 1={NEXT}-01-10..{NEXT}-04-01", "--term", f"Term 2={NEXT}-05-02..{NEXT}-08-05",
                     "--closed", f"Easter={NEXT}-03-26..{NEXT}-03-29", "--closed", f"{NEXT}-06-01")
    assert result.returncode == 0, result.stderr
    assert f"Created year {NEXT} of nairobi" in result.stdout and "not current" in result.stdout
    rows = json.loads(run_cli("nairobi", "calendar", "--format", "json").stdout)
    assert [(row["name"], row["current"]) for row in rows] == [(str(THIS_YEAR), True), (NEXT, False)]
    assert [term["name"] for term in rows[1]["terms"]] == ["Term 1", "Term 2"]
    assert rows[1]["closed"] == [{"reason": "Easter", "first": f"{NEXT}-03-26", "last": f"{NEXT}-03-29"},
                                 {"reason": "", "first": f"{NEXT}-06-01", "last": f"{NEXT}-06-01"}]
    table = run_cli("nairobi", "calendar").stdout
    assert "Term 1" in table and "Easter" in table


def test_the_migrations_year_is_corrected_and_renamed_by_the_school(secondary, run_cli):
    result = run_cli("nairobi", "calendar", "set", str(THIS_YEAR), "--first", f"{THIS_YEAR}-09-01",
                     "--last", f"{THIS_YEAR + 1}-07-15", "--rename", f"{THIS_YEAR}/{str(THIS_YEAR + 1)[2:]}")
    assert result.returncode == 0, result.stderr
    assert f"Changed year {THIS_YEAR}/{str(THIS_YEAR + 1)[2:]} of nairobi" in result.stdout
    with tenant_context("nairobi"):
        year = SchoolYear.objects.get()
        assert (year.name, year.first_day, year.is_current) == (
            f"{THIS_YEAR}/{str(THIS_YEAR + 1)[2:]}", datetime.date(THIS_YEAR, 9, 1), True
        )
        assert Enrolment.objects.filter(year=year).count() == 23  # the enrolments stay with it


@pytest.mark.parametrize("args, message", [
    (["--first", f"{THIS_YEAR}-06-01", "--last", f"{NEXT}-05-31"], f"overlaps year {THIS_YEAR}"),
    (["--first", f"{NEXT}-05-01", "--last", f"{NEXT}-01-01"], "after the last day"),
    (["--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30", "--term", f"T1={NEXT}-01-01..{NEXT}-03-01"], "not inside year"),
    (["--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30", "--term", f"T1={NEXT}-01-10..{NEXT}-04-01",
      "--term", f"T2={NEXT}-03-01..{NEXT}-06-01"], "terms T1 and T2 overlap"),
    (["--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30", "--term", f"{NEXT}-01-10..{NEXT}-04-01"], "NAME=FIRST..LAST"),
    (["--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30", "--closed", f"{NEXT}-12-25"], "not inside year"),
    (["--first", "10/01/2027", "--last", f"{NEXT}-11-30"], "is not a date"),
    (["--first", f"{NEXT}-01-10"], "calendar set YEAR --first"),
    (["--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30", "--rename", "2099"], f"there is no year {NEXT} to rename"),
])
def test_bad_calendars_are_one_line_exit_2_and_nothing_written(secondary, run_cli, args, message):
    before = snapshot("nairobi")
    assert message in one_error_line(run_cli("nairobi", "calendar", "set", NEXT, *args))
    assert snapshot("nairobi") == before


# --- the grade ladder -----------------------------------------------------------------------


def test_grades_set_replaces_and_confirms_the_ladder(secondary, run_cli):
    result = run_cli("nairobi", "grades", "set", "Form 1", "Form 2", "Form 3", "Form 4", "--final", "Form 4")
    assert result.returncode == 0, result.stderr
    assert "Form 1 -> Form 2 -> Form 3 -> Form 4 (final: Form 4)" in result.stdout
    rows = json.loads(run_cli("nairobi", "grades", "--format", "json").stdout)
    assert [(r["name"], r["next"], r["final"], r["confirmed"]) for r in rows] == [
        ("Form 1", "Form 2", False, True), ("Form 2", "Form 3", False, True),
        ("Form 3", "Form 4", False, True), ("Form 4", "", True, True),
    ]


@pytest.mark.parametrize("args, message", [
    (["Form 1", "Form 2", "Form 1"], "named twice"),
    (["Form 1", "Form 2", "--final", "Form 9"], "--final Form 9 is not one of the grades"),
    (["Form 1", "Form 2"], "grade Form 3 has enrolments"),
    ([], "name the grades"),
])
def test_bad_ladders_are_one_line_exit_2_and_nothing_written(secondary, run_cli, args, message):
    before = snapshot("nairobi")
    assert message in one_error_line(run_cli("nairobi", "grades", "set", *args))
    assert snapshot("nairobi") == before


# --- promotion day ------------------------------------------------------------------------


@pytest.fixture
def ready(secondary, run_cli):
    """Nairobi with next year in its calendar and a confirmed ladder whose Form 4 graduates."""
    assert run_cli("nairobi", "calendar", "set", NEXT, "--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30").returncode == 0
    assert run_cli("nairobi", "grades", "set", "Form 1", "Form 2", "Form 3", "Form 4", "--final", "Form 4").returncode == 0
    return secondary


def test_dry_run_previews_by_grade_and_writes_nothing(ready, run_cli):
    before = snapshot("nairobi")
    result = run_cli("nairobi", "promote", "--to", NEXT, "--repeat", "F1-00", "--leave", "F2-00", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Would promote nairobi from {THIS_YEAR} into {NEXT} (dry run: nothing written)",
        "  Form 1: 5 promoted to Form 2, 1 repeating",
        "  Form 2: 4 promoted to Form 3, 1 leaving",
        "  Form 3: 6 promoted to Form 4",
        "  Form 4: 5 graduating",
        "  total: 15 promoted, 5 graduating, 1 repeating, 1 leaving",
    ]
    assert snapshot("nairobi") == before


def test_promotion_moves_everyone_records_history_and_changes_the_tables_stamp(ready, run_cli):
    with tenant_context("nairobi"):
        stamp = StudentsStamp.current("nairobi")
    result = run_cli("nairobi", "promote", "--to", NEXT, "--repeat", "F1-00", "--leave", "F2-00")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Promoted nairobi from {THIS_YEAR} into {NEXT}"
    with tenant_context("nairobi"):
        assert StudentsStamp.current("nairobi") != stamp  # the table's cached classes and counts follow
        students = {s.registration_no: (s.grade, s.status) for s in Student.objects.all()}
        assert students["F1-01"] == ("Form 2", "active")
        assert students["F1-00"] == ("Form 1", "active")  # repeats
        assert students["F2-00"] == ("Form 2", "withdrawn")  # leaves
        assert students["F4-00"] == ("Form 4", "graduated")
        assert students["OLD-1"] == ("Form 2", "withdrawn")  # not active: untouched
        assert SchoolYear.objects.get(is_current=True).name == NEXT
        history = {
            (e.student.registration_no, e.year.name): (e.grade.name, e.outcome)
            for e in Enrolment.objects.select_related("student", "year", "grade")
        }
        assert history[("F1-01", str(THIS_YEAR))] == ("Form 1", "promoted")
        assert history[("F1-01", NEXT)] == ("Form 2", "enrolled")
        assert history[("F1-00", NEXT)] == ("Form 1", "enrolled")
        assert history[("F1-00", str(THIS_YEAR))] == ("Form 1", "repeated")
        assert history[("F4-00", str(THIS_YEAR))] == ("Form 4", "graduated") and ("F4-00", NEXT) not in history
        assert history[("F2-00", str(THIS_YEAR))] == ("Form 2", "withdrawn") and ("F2-00", NEXT) not in history
        event = AuditEvent.objects.get(action="promotion")
        assert (event.target, event.rows, event.result) == (
            f"{THIS_YEAR} -> {NEXT}", 22, "15 promoted, 5 graduating, 1 repeating, 1 leaving"
        )
        assert event.username.startswith("operator")
    # Once is enough: the same command again says what happened and how to undo it.
    line = one_error_line(run_cli("nairobi", "promote", "--to", NEXT))
    assert f"already promoted into {NEXT}" in line and f"promote --undo {NEXT}" in line
    assert run_cli("nairobi", "verify_audit").returncode == 0


def test_a_repeat_mark_does_not_carry_into_the_next_year(ready, run_cli):
    year_after = str(THIS_YEAR + 2)
    assert run_cli("nairobi", "promote", "--to", NEXT, "--repeat", "F1-00").returncode == 0
    assert run_cli("nairobi", "calendar", "set", year_after, "--first", f"{year_after}-01-10",
                   "--last", f"{year_after}-11-30").returncode == 0
    result = run_cli("nairobi", "promote", "--to", year_after, "--dry-run")
    # The repeater of last year is promoted like anyone else unless marked again.
    assert "Form 1: 1 promoted to Form 2\n" in result.stdout and "0 repeating" in result.stdout


def test_students_added_or_moved_since_the_migration_are_promoted_from_their_rows(ready, run_cli):
    add_students("nairobi", [("NEW-1", "Form 3", "active")])
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="F1-01").update(grade="Form 3")
    assert run_cli("nairobi", "promote", "--to", NEXT).returncode == 0
    with tenant_context("nairobi"):
        assert Student.objects.get(registration_no="NEW-1").grade == "Form 4"
        assert Student.objects.get(registration_no="F1-01").grade == "Form 4"
        assert Enrolment.objects.filter(student__registration_no="NEW-1").count() == 2


@pytest.mark.parametrize("setup, args, message", [
    (None, ["--to", "2099"], "year 2099 does not exist: create it first with `school_manage.py nairobi calendar set 2099"),
    (["grades", "set", "Form 1", "Form 2", "Form 3", "Form 4"], ["--to", NEXT], "grade Form 4 is not final and has no next grade"),
    (None, ["--to", NEXT, "--repeat", "NOBODY"], "--repeat NOBODY: no active student"),
    (None, ["--to", NEXT, "--leave", "OLD-1"], "--leave OLD-1: no active student"),
    (None, ["--to", NEXT, "--repeat", "F1-00", "--leave", "F1-00"], "F1-00 is given to both"),
    (None, ["--to", str(THIS_YEAR)], "already the current year"),
    (None, ["--undo", NEXT], f"no promotion of nairobi into {NEXT} to undo"),
    (None, ["--undo", NEXT, "--dry-run"], "--undo takes no other option"),
])
def test_refused_promotions_are_one_line_exit_2_and_write_nothing(ready, run_cli, setup, args, message):
    if setup:
        assert run_cli("nairobi", *setup).returncode == 0
    add_students("nairobi", [("NEW-1", "Form 3", "active")])  # would get an enrolment if anything were written
    before = snapshot("nairobi")
    assert message in one_error_line(run_cli("nairobi", "promote", *args))
    assert snapshot("nairobi") == before


def test_a_student_with_an_unknown_grade_stops_the_promotion(ready, run_cli):
    add_students("nairobi", [("X-1", "Form 9", "active")])
    before = snapshot("nairobi")
    line = one_error_line(run_cli("nairobi", "promote", "--to", NEXT))
    assert "'Form 9' (1)" in line and "grades set" in line
    assert snapshot("nairobi") == before


def test_undo_puts_everything_back_while_nothing_else_was_written(ready, run_cli):
    before = snapshot("nairobi")
    assert run_cli("nairobi", "promote", "--to", NEXT, "--repeat", "F1-00", "--leave", "F2-00").returncode == 0
    result = run_cli("nairobi", "promote", "--undo", NEXT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Promotion of nairobi into {NEXT} undone: 22 students back in their grades"
    assert snapshot("nairobi") == before
    with tenant_context("nairobi"):
        assert AuditEvent.objects.filter(action="promotion_undo", rows=22).exists()
    # ... and the promotion can be done again.
    assert run_cli("nairobi", "promote", "--to", NEXT).returncode == 0


def test_undo_refuses_once_a_student_it_moved_was_changed(ready, run_cli):
    assert run_cli("nairobi", "promote", "--to", NEXT).returncode == 0
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="F1-01")
        student.grade = "Form 3"
        student.save()
    before = snapshot("nairobi")
    line = one_error_line(run_cli("nairobi", "promote", "--undo", NEXT))
    assert "cannot be undone: 1 students were changed after the promotion (e.g. F1-01)" in line
    assert snapshot("nairobi") == before


# --- crashes and races (the MongoDB path: no transaction) ---------------------------------------


class Crash(Exception):
    pass


def test_a_promotion_cut_short_without_a_transaction_is_finished_by_the_rerun(ready, monkeypatch):
    """Without a transaction (as on MongoDB), a crash after some steps leaves a state the rerun completes."""
    monkeypatch.setattr(promotion_module, "transaction", SimpleNamespace(atomic=lambda **kwargs: nullcontext()))
    real_move = promotion_module._move_students
    monkeypatch.setattr(promotion_module, "_move_students", lambda *a: (_ for _ in ()).throw(Crash()))
    with tenant_context("nairobi"), pytest.raises(Crash):
        promote("nairobi", "nairobi", NEXT, repeat=["F1-00"])
    with tenant_context("nairobi"):
        assert Promotion.objects.get().state == "started"
        # A second process while the first one's lease runs: a clear refusal.
        with pytest.raises(PromotionError, match="is running; if that process died, rerun after"):
            promote("nairobi", "nairobi", NEXT)
        Promotion.objects.update(lease_until=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))
        monkeypatch.setattr(promotion_module, "_move_students", real_move)
        done = promote("nairobi", "nairobi", NEXT)  # the rerun: the choices it started with
        assert done.resumed and done.counts() == {"promoted": 16, "graduated": 5, "repeated": 1}
        assert Enrolment.objects.filter(year__name=NEXT).count() == 17  # nobody twice
        assert Student.objects.get(registration_no="F1-00").grade == "Form 1"
        assert Student.objects.get(registration_no="F1-01").grade == "Form 2"
        assert SchoolYear.objects.get(is_current=True).name == NEXT
        assert Promotion.objects.get().state == "done"


def test_an_undo_cut_short_without_a_transaction_is_finished_by_the_rerun(ready, monkeypatch):
    from School.school_year import undo as undo_module

    before = snapshot("nairobi")
    with tenant_context("nairobi"):
        promote("nairobi", "nairobi", NEXT, leave=["F2-00"])
    monkeypatch.setattr(undo_module, "transaction", SimpleNamespace(atomic=lambda **kwargs: nullcontext()))
    monkeypatch.setattr(undo_module, "switch_current", lambda *a: (_ for _ in ()).throw(Crash()))
    with tenant_context("nairobi"):
        with pytest.raises(Crash):
            undo_module.undo("nairobi", "nairobi", NEXT)
        with pytest.raises(PromotionError, match=f"the undo of the promotion into {NEXT} was interrupted"):
            promote("nairobi", "nairobi", NEXT)
        Promotion.objects.update(lease_until=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))
        monkeypatch.setattr(undo_module, "switch_current", promotion_module.switch_current)
        undo_module.undo("nairobi", "nairobi", NEXT)
    assert snapshot("nairobi") == before


def test_two_promotions_racing_one_wins_the_other_is_told(ready):
    """The loser's Promotion row collides with the winner's (unique per year): it stops with a message."""
    with tenant_context("nairobi"):
        first = promotion_module.plan("nairobi", "nairobi", NEXT)
        second = promotion_module.plan("nairobi", "nairobi", NEXT)  # both read the same state
        promotion_module._claim("nairobi", first, [], [], "operator:a")
        with pytest.raises(PromotionError, match=r"another promotion of nairobi .* started .* by operator:a\) is running"):
            promotion_module._claim("nairobi", second, [], [], "operator:b")


# --- every school at once -------------------------------------------------------------------


@pytest.mark.skipif(ON_MONGODB, reason="counts processes on the embedded default")
def test_all_promote_goes_on_past_a_school_that_refuses(ready, run_cli):
    ready.add_school("accra", ["accra.localhost"])
    add_students("accra", [("A1", "Grade 1", "active")])
    with tenant_context("accra"):
        set_ladder("accra", ["Grade 1", "Grade 2"], finals=["Grade 2"])
        current_year("accra")  # no year NEXT at accra: it refuses
    result = run_cli("--all", "--jobs", "1", "promote", "--to", NEXT)
    assert result.returncode == 1, result.stdout + result.stderr
    # accra (and `default`, with no such year either) refuse with their reason; nairobi is promoted.
    assert f"accra: CommandError: year {NEXT} does not exist" in result.stderr
    failed = next(line for line in result.stdout.splitlines() if "failed schools:" in line)
    assert "accra" in failed and "nairobi" not in failed
    with tenant_context("nairobi"):
        assert SchoolYear.objects.get(is_current=True).name == NEXT


@pytest.mark.skipif(ON_MONGODB, reason="counts processes on the embedded default")
def test_all_promote_in_worker_processes_leaves_every_schools_figures_and_digests_right(ready, run_cli):
    """Workers keep `default` open from one school to the next and store what followed each promotion (the
    figures, the graduates' digests no longer active) a batch at a time: when they end, all of it is stored."""
    from School.identity.registry import digests_of, store_digests
    from School.platform.models import SchoolFigures, StudentDigest

    ready.add_school("accra", ["accra.localhost"])
    add_students("accra", [("A1", "Grade 1", "active"), ("A2", "Grade 2", "active"), ("A3", "Grade 2", "active")])
    with tenant_context("accra"):
        set_ladder("accra", ["Grade 1", "Grade 2"], finals=["Grade 2"])
        current_year("accra")
    assert run_cli("accra", "calendar", "set", NEXT, "--first", f"{NEXT}-01-10", "--last", f"{NEXT}-11-30").returncode == 0
    assert run_cli("schools", "refresh-figures", "--all", "--jobs", "1").returncode == 0  # every digest in `default`
    result = run_cli("--all", "--jobs", "2", "promote", "--to", NEXT)
    assert result.returncode == 1 and "default: CommandError" in result.stderr, result.stdout + result.stderr
    graduated = {"nairobi": 5, "accra": 2}  # nairobi's Form 4, accra's Grade 2
    for name, leavers in graduated.items():
        with tenant_context(name):
            assert Student.objects.filter(status=Student.Status.GRADUATED).count() == leavers
            active = Student.objects.filter(status=Student.Status.ACTIVE).count()
        digests = StudentDigest.objects.using("default").filter(school__name=name)
        assert digests.filter(active=True).count() == active and digests.filter(active=False).count() > 0
        assert store_digests(name, digests_of(school_by_name(name).alias)) == 0  # what a full count would write
        figures = SchoolFigures.objects.using("default").get(school__name=name)
        assert figures.current_year == NEXT and figures.graduated == leavers
