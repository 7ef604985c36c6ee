"""Promotion day meeting the platform calendar and transfers (issue 32): a year the school lacks but the
platform holds is made for the promotion; a pending transfer of one of its students stops it."""

import pytest

from School.context import tenant_context
from School.models import Student
from School.school_year.models import Enrolment, SchoolYear
from tests.test_school_year import NEXT, one_error_line, secondary, snapshot  # noqa: F401 (a fixture)


@pytest.fixture
def ladder_set(secondary, run_cli):
    """nairobi (Form 1..4, 22 active students) with a confirmed ladder, and no year NEXT of its own."""
    assert run_cli("nairobi", "grades", "set", "Form 1", "Form 2", "Form 3", "Form 4", "--final", "Form 4").returncode == 0
    return secondary


def test_a_year_only_the_platform_holds_is_made_by_the_promotion_the_dry_run_makes_nothing(ladder_set, run_cli):
    platform_year = ["--first", f"{NEXT}-01-11", "--last", f"{NEXT}-11-26", "--term", f"Term 1={NEXT}-01-11..{NEXT}-04-01"]
    # Stored in the platform calendar, applied to no school yet (kisumu only).
    ladder_set.add_school("kisumu", ["kisumu.localhost"])
    assert run_cli("schools", "calendar", "set", NEXT, *platform_year, "--school", "kisumu").returncode == 0
    before = snapshot("nairobi")
    preview = run_cli("nairobi", "promote", "--to", NEXT, "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert f"year {NEXT} ({NEXT}-01-11..{NEXT}-11-26) would be created from the platform calendar" in preview.stdout
    assert snapshot("nairobi") == before
    result = run_cli("nairobi", "promote", "--to", NEXT)
    assert result.returncode == 0, result.stderr
    assert "was created from the platform calendar" in result.stdout
    with tenant_context("nairobi"):
        year = SchoolYear.objects.get(name=NEXT)
        assert year.is_current and [t.name for t in year.terms.all()] == ["Term 1"]
        assert Enrolment.objects.filter(year=year).count() == 17  # 22 active, 5 in Form 4 graduate


def test_a_year_neither_holds_is_refused_naming_the_command(ladder_set, run_cli):
    line = one_error_line(run_cli("nairobi", "promote", "--to", NEXT))
    assert f"school_manage.py nairobi calendar set {NEXT} --first" in line


def test_a_platform_year_overlapping_the_schools_own_is_refused(ladder_set, run_cli):
    assert run_cli("nairobi", "calendar", "set", "Mine", "--first", f"{NEXT}-02-01", "--last", f"{NEXT}-12-15").returncode == 0
    assert run_cli("schools", "calendar", "set", NEXT, "--first", f"{NEXT}-01-11", "--last", f"{NEXT}-11-26",
                   "--school", "default").returncode == 0
    before = snapshot("nairobi")
    line = one_error_line(run_cli("nairobi", "promote", "--to", NEXT))
    assert f"year {NEXT} of the platform calendar" in line and "overlaps nairobi's year Mine" in line
    assert snapshot("nairobi") == before


def test_a_pending_transfer_stops_the_promotion_naming_the_students(ladder_set, run_cli):
    ladder_set.add_school("kisumu", ["kisumu.localhost"])
    assert run_cli("nairobi", "calendar", "set", NEXT, "--first", f"{NEXT}-01-11", "--last", f"{NEXT}-11-26").returncode == 0
    sent = run_cli("schools", "transfer", "nairobi", "F2-01", "F3-00", "--to", "kisumu")
    assert sent.returncode == 0, sent.stderr
    before = snapshot("nairobi")
    line = one_error_line(run_cli("nairobi", "promote", "--to", NEXT))
    assert "2 students have a transfer waiting for an answer (F2-01, F3-00)" in line and "nobody was promoted" in line
    assert snapshot("nairobi") == before
    # Once answered (here: accepted), the promotion goes ahead without them.
    accepted = run_cli("schools", "transfer", "nairobi", "F2-01", "F3-00", "--to", "kisumu", "--accept")
    assert accepted.returncode == 0, accepted.stderr
    result = run_cli("nairobi", "promote", "--to", NEXT)
    assert result.returncode == 0, result.stderr
    with tenant_context("nairobi"):
        assert Student.objects.get(registration_no="F2-01").status == Student.Status.TRANSFERRED
        assert not Enrolment.objects.filter(year__name=NEXT, student__registration_no="F2-01").exists()


def test_a_ladder_that_loops_stops_the_promotion_naming_the_grade(ladder_set, run_cli):
    """A loop the command line cannot make (it names each grade once), made in the admin: Form 3 -> Form 2."""
    from School.school_year.calendar import set_year
    from School.school_year.models import Grade

    with tenant_context("nairobi"):
        import datetime

        set_year("nairobi", NEXT, datetime.date(int(NEXT), 1, 10), datetime.date(int(NEXT), 11, 30))
        Grade.objects.filter(name="Form 3").update(next_grade=Grade.objects.get(name="Form 2"))
    before = snapshot("nairobi")
    line = one_error_line(run_cli("nairobi", "promote", "--to", NEXT))
    assert "the grade ladder loops at Form" in line and "school_manage.py nairobi grades set" in line
    assert snapshot("nairobi") == before
