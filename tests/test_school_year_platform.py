"""The platform calendar and national ladder (issue 32): set once by the operator, applied to schools,
and what each school then holds; what wins when a school changed its own; bad input writes nothing anywhere."""

import datetime
import json

import pytest
from django.db import DEFAULT_DB_ALIAS

from School.context import tenant_context
from School.platform.models import PlatformLadder, PlatformYear
from School.school_year.models import Grade, SchoolYear
from tests.test_school_year import NEXT, THIS_YEAR, add_students, migrate_school_year_again, one_error_line, snapshot

TODAY = datetime.date.today()
SPAN = f"{THIS_YEAR}/{str(THIS_YEAR + 1)[2:]}"  # a year running across the new year, containing today


def calendar(name):
    with tenant_context(name):
        return [
            (y.name, str(y.first_day), str(y.last_day), y.is_current,
             [(t.name, str(t.first_day), str(t.last_day)) for t in y.terms.all()],
             [(c.reason, str(c.first_day), str(c.last_day)) for c in y.closed_days.all()])
            for y in SchoolYear.objects.order_by("first_day")
        ]


def ladder(name):
    with tenant_context(name):
        return [(g.name, g.is_final, g.confirmed) for g in Grade.objects.order_by("position")]


@pytest.fixture
def two_schools(platform):
    """nairobi with students in Form 1..4 (an existing school), kisumu new and empty."""
    platform.add_school("nairobi", ["nairobi.localhost"])
    add_students("nairobi", [(f"N{n}", f"Form {n % 4 + 1}", "active") for n in range(8)])
    migrate_school_year_again("nairobi")
    platform.add_school("kisumu", ["kisumu.localhost"])
    return platform


NEXT_YEAR = ["--first", f"{NEXT}-01-11", "--last", f"{NEXT}-11-26",
             "--term", f"Term 1={NEXT}-01-11..{NEXT}-04-01", "--term", f"Term 2={NEXT}-05-03..{NEXT}-08-06",
             "--closed", f"Easter={NEXT}-03-26..{NEXT}-03-29"]
NEXT_ROW = (NEXT, f"{NEXT}-01-11", f"{NEXT}-11-26", False,
            [("Term 1", f"{NEXT}-01-11", f"{NEXT}-04-01"), ("Term 2", f"{NEXT}-05-03", f"{NEXT}-08-06")],
            [("Easter", f"{NEXT}-03-26", f"{NEXT}-03-29")])


def test_calendar_set_for_all_schools_gives_each_the_year_and_a_rerun_writes_nothing(two_schools, run_cli):
    result = run_cli("schools", "calendar", "set", NEXT, *NEXT_YEAR, "--all", "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 applied" in result.stdout  # default, nairobi, kisumu
    for name in ("nairobi", "kisumu"):
        years = calendar(name)
        assert years[-1] == NEXT_ROW
        assert years[0][0] == str(THIS_YEAR) and years[0][3]  # the current year stays current
    shown = json.loads(run_cli("schools", "calendar", "--format", "json").stdout)
    assert [(y["name"], len(y["terms"]), len(y["closed"])) for y in shown] == [(NEXT, 2, 1)]
    again = run_cli("schools", "calendar", "set", NEXT, *NEXT_YEAR, "--all", "--jobs", "1")
    assert again.returncode == 0 and "3 up to date" in again.stdout, again.stdout


def test_a_school_list_or_cluster_gets_it_and_no_other(two_schools, run_cli):
    result = run_cli("schools", "calendar", "set", NEXT, *NEXT_YEAR, "--school", "kisumu")
    assert result.returncode == 0, result.stderr
    assert calendar("kisumu")[-1] == NEXT_ROW
    assert [y[0] for y in calendar("nairobi")] == [str(THIS_YEAR)]


def test_the_school_changes_its_own_and_the_platforms_next_change_leaves_it(two_schools, run_cli):
    assert run_cli("schools", "calendar", "set", NEXT, *NEXT_YEAR, "--all").returncode == 0
    # A private school with other term dates:
    own = run_cli("nairobi", "calendar", "set", NEXT, "--first", f"{NEXT}-01-04", "--last", f"{NEXT}-11-26",
                  "--term", f"Term 1={NEXT}-01-04..{NEXT}-03-26")
    assert own.returncode == 0, own.stderr
    later = NEXT_YEAR[:3] + [f"{NEXT}-11-30"] + NEXT_YEAR[4:]
    result = run_cli("schools", "calendar", "set", NEXT, *later, "--all", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "nairobi: kept its own" in result.stderr and "1 kept its own" in result.stdout
    assert calendar("nairobi")[-1][1:3] == (f"{NEXT}-01-04", f"{NEXT}-11-26")
    assert calendar("kisumu")[-1][2] == f"{NEXT}-11-30"  # kisumu never changed it: the platform's change reaches it
    forced = run_cli("schools", "calendar", "set", NEXT, *later, "--school", "nairobi", "--override")
    assert forced.returncode == 0, forced.stderr
    assert calendar("nairobi")[-1][1:3] == (f"{NEXT}-01-11", f"{NEXT}-11-30")


def test_the_migrations_default_year_becomes_the_platforms_year_containing_today(two_schools, run_cli):
    result = run_cli("schools", "calendar", "set", SPAN, "--first", f"{THIS_YEAR}-01-01", "--last", f"{THIS_YEAR + 1}-01-31",
                     "--school", "nairobi")
    assert result.returncode == 0, result.stdout + result.stderr
    assert calendar("nairobi") == [(SPAN, f"{THIS_YEAR}-01-01", f"{THIS_YEAR + 1}-01-31", True, [], [])]
    with tenant_context("nairobi"):
        assert SchoolYear.objects.get().enrolments.count() == 8


def test_a_new_school_starts_in_the_platform_year_containing_today_on_the_national_ladder(platform, run_cli):
    first, last = TODAY - datetime.timedelta(days=100), TODAY + datetime.timedelta(days=100)
    assert run_cli("schools", "calendar", "set", "Now", "--first", str(first), "--last", str(last), "--all").returncode == 0
    assert run_cli("schools", "grades", "set", "Std 1", "Std 2", "--final", "Std 2", "--all").returncode == 0
    result = run_cli("schools", "add", "mombasa", "--host", "mombasa.localhost")
    assert result.returncode == 0, result.stderr
    assert calendar("mombasa") == [("Now", str(first), str(last), True, [], [])]
    assert ladder("mombasa") == [("Std 1", False, True), ("Std 2", True, True)]


def test_calendar_import_reads_csv_and_xlsx(two_schools, run_cli, tmp_path):
    rows = [["year", "kind", "name", "first", "last"],
            [NEXT, "year", "", f"{NEXT}-01-11", f"{NEXT}-11-26"],
            [NEXT, "term", "Term 1", f"{NEXT}-01-11", f"{NEXT}-04-01"],
            [NEXT, "term", "Term 2", f"{NEXT}-05-03", f"{NEXT}-08-06"],
            [NEXT, "closed", "Easter", f"{NEXT}-03-26", f"{NEXT}-03-29"]]
    csv_file = tmp_path / "calendar.csv"
    csv_file.write_text("\n".join(",".join(row) for row in rows) + "\n")
    result = run_cli("schools", "calendar", "import", str(csv_file), "--school", "kisumu")
    assert result.returncode == 0, result.stderr
    assert calendar("kisumu")[-1] == NEXT_ROW
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([datetime.date.fromisoformat(c) if c[:2] == "20" and len(c) == 10 else c for c in row])
    book.save(tmp_path / "calendar.xlsx")
    result = run_cli("schools", "calendar", "import", str(tmp_path / "calendar.xlsx"), "--school", "nairobi")
    assert result.returncode == 0, result.stderr
    assert calendar("nairobi")[-1] == NEXT_ROW


def test_a_school_whose_own_years_leave_no_room_is_listed_and_the_others_go_on(two_schools, run_cli):
    # nairobi's own 2-year span: the platform's NEXT overlaps it.
    assert run_cli("nairobi", "calendar", "set", "Long", "--first", f"{NEXT}-01-01", "--last", f"{THIS_YEAR + 2}-12-31").returncode == 0
    result = run_cli("schools", "calendar", "set", NEXT, *NEXT_YEAR, "--all", "--jobs", "1")
    assert result.returncode == 1
    assert f"nairobi: refused: year {NEXT}" in result.stderr and "overlaps year Long" in result.stderr
    assert calendar("kisumu")[-1] == NEXT_ROW


@pytest.mark.parametrize("args, message", [
    (["--first", f"{NEXT}-05-01", "--last", f"{NEXT}-01-01", "--all"], "after the last day"),
    (NEXT_YEAR[:4] + ["--term", f"T1={NEXT}-01-01..{NEXT}-03-01", "--all"], "not inside year"),
    (NEXT_YEAR[:4] + ["--term", f"T1={NEXT}-01-11..{NEXT}-04-01", "--term", f"T2={NEXT}-03-01..{NEXT}-06-01", "--all"],
     "terms T1 and T2 overlap"),
    (["--first", f"{NEXT}-06-01", "--last", f"{THIS_YEAR + 2}-05-31", "--all"], f"overlaps year {NEXT} ({NEXT}-01-11..{NEXT}-11-26) of the platform calendar"),
    (NEXT_YEAR[:4] + ["--school", "nowhere"], "unknown school 'nowhere'"),
    (NEXT_YEAR[:4] + ["--cluster", "nowhere"], "no school is on cluster 'nowhere'"),
    (["--first", "11/01/2027", "--last", f"{NEXT}-11-26", "--all"], "is not a date"),
])
def test_bad_platform_calendars_are_one_line_exit_2_and_nothing_written_anywhere(two_schools, run_cli, args, message):
    assert run_cli("schools", "calendar", "set", NEXT, *NEXT_YEAR[:4], "--school", "kisumu").returncode == 0
    before = (snapshot("nairobi"), snapshot("kisumu"), list(PlatformYear.objects.using(DEFAULT_DB_ALIAS).values()))
    name = f"{THIS_YEAR + 2}" if "of the platform calendar" in message else NEXT
    assert message in one_error_line(run_cli("schools", "calendar", "set", name, *args))
    assert (snapshot("nairobi"), snapshot("kisumu"), list(PlatformYear.objects.using(DEFAULT_DB_ALIAS).values())) == before


@pytest.mark.parametrize("content, message", [
    ("year,kind,name,first,last\n2027,year,,2027-01-11,2027-11-26\n2027,term,T1,2027-01-01,2027-02-01\n", "calendar.csv:3: "),
    ("year,kind,name,first,last\n2027,year,,2027-01-11,2027-11-26\n2027,holiday,X,2027-02-01,2027-02-01\n",
     "calendar.csv:3: kind 'holiday'"),
    ("year,kind,first,last\n", "calendar.csv:1: the columns must be"),
    ("year,kind,name,first,last\n2028,term,T1,2028-01-11,2028-02-01\n", "year 2028 has terms or closed days but no year row"),
])
def test_bad_calendar_files_name_the_line_and_write_nothing(two_schools, run_cli, tmp_path, content, message):
    path = tmp_path / "calendar.csv"
    path.write_text(content)
    before = snapshot("kisumu")
    assert message in one_error_line(run_cli("schools", "calendar", "import", str(path), "--all"))
    assert snapshot("kisumu") == before and not PlatformYear.objects.using(DEFAULT_DB_ALIAS).exists()


def test_the_national_ladder_replaces_a_guessed_one_keeps_a_schools_own_and_refuses_a_grade_in_use(two_schools, run_cli):
    add_students("kisumu", [("K1", "Red", "active")])
    migrate_school_year_again("kisumu")  # "Red": a ladder guessed from the records, not confirmed
    two_schools.add_school("accra", ["accra.localhost"])
    assert run_cli("accra", "grades", "set", "P1", "P2", "--final", "P2").returncode == 0  # accra's own
    result = run_cli("schools", "grades", "set", "Form 1", "Form 2", "Form 3", "Form 4", "--final", "Form 4",
                     "--school", "nairobi", "accra", "kisumu", "--jobs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert ladder("nairobi") == [("Form 1", False, True), ("Form 2", False, True), ("Form 3", False, True), ("Form 4", True, True)]
    assert "accra: kept its own" in result.stderr and ladder("accra") == [("P1", False, True), ("P2", True, True)]
    assert "kisumu: refused: grade Red has enrolments" in result.stderr
    shown = run_cli("schools", "grades").stdout
    assert "Form 4" in shown and "yes" in shown


def test_a_ladder_with_a_loop_is_refused_before_anything_is_written(two_schools, run_cli):
    before = ladder("nairobi")
    line = one_error_line(run_cli("schools", "grades", "set", "Form 1", "Form 2", "Form 1", "--all"))
    assert "named twice" in line
    assert ladder("nairobi") == before and not PlatformLadder.objects.using(DEFAULT_DB_ALIAS).exists()


def test_platform_operators_edit_the_calendar_in_the_admin_and_apply_it(two_schools, run_cli):
    from tests.test_admin import make_superuser, signed_in_client

    two_schools.add_school("default", ["localhost"], "Default School")
    make_superuser("default", "root")
    root, _ = signed_in_client("localhost", "root")
    form = {"name": NEXT, "first_day": f"{NEXT}-01-11", "last_day": f"{NEXT}-11-26",
            "terms": json.dumps([{"name": "Term 1", "first": f"{NEXT}-01-01", "last": f"{NEXT}-04-01"}]), "closed": "[]"}
    refused = root.post("/admin/platform/platformyear/add/", form)
    assert refused.status_code == 200 and "is not inside year" in refused.content.decode()
    assert not PlatformYear.objects.using(DEFAULT_DB_ALIAS).exists()
    form["terms"] = json.dumps([{"name": "Term 1", "first": f"{NEXT}-01-11", "last": f"{NEXT}-04-01"}])
    assert root.post("/admin/platform/platformyear/add/", form).status_code == 302
    result = run_cli("schools", "calendar", "apply", "--school", "kisumu")
    assert result.returncode == 0, result.stderr
    assert calendar("kisumu")[-1][:5] == (NEXT, f"{NEXT}-01-11", f"{NEXT}-11-26", False, [("Term 1", f"{NEXT}-01-11", f"{NEXT}-04-01")])
    # A school's staff do not see it.
    make_superuser("kisumu", "head")
    head, _ = signed_in_client("kisumu.localhost", "head")
    assert head.get("/admin/platform/platformyear/").status_code == 403
