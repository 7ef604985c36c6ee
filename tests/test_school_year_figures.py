"""The platform's figures by school year (issue 32): `schools report --by grade` counts each school's current
year's enrolments by grade, `--year` an earlier year's, as of the last count."""

import json
import re

from School.platform import dashboard
from tests.test_platform_dashboard import signed_in, user
from tests.test_school_year import NEXT, THIS_YEAR, ready, secondary  # noqa: F401 (fixtures)


def report(run_cli, *args):
    result = run_cli("schools", "report", "--by", "grade", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return {row["grade"]: (row["enrolments"], row["schools"]) for row in json.loads(result.stdout)}


def test_the_report_counts_the_current_years_enrolments_by_grade_and_an_earlier_year_on_request(ready, run_cli):
    assert run_cli("nairobi", "promote", "--to", NEXT, "--repeat", "F1-00").returncode == 0
    assert run_cli("schools", "refresh-figures", "--all", "--jobs", "1").returncode == 0
    # Last year Form 1..4 had 6, 5 (and one withdrawn), 6 and 5 students: Form 4 graduated, F1-00 repeats Form 1.
    assert report(run_cli) == {"Form 1": (1, 1), "Form 2": (5, 1), "Form 3": (5, 1), "Form 4": (6, 1)}
    earlier = report(run_cli, "--year", str(THIS_YEAR))
    assert earlier == {"Form 1": (6, 1), "Form 2": (6, 1), "Form 3": (6, 1), "Form 4": (5, 1)}
    assert report(run_cli, "--year", "1999") == {}
    refused = run_cli("schools", "report", "--by", "school", "--year", str(THIS_YEAR))
    assert refused.returncode == 2 and "--year is for --by grade" in refused.stderr


def test_the_platform_dashboard_shows_the_current_years_enrolments_by_grade(ready, run_cli):
    ready.add_school("default", ["localhost"], "Default School")  # where the dashboard is
    assert run_cli("nairobi", "promote", "--to", NEXT, "--repeat", "F1-00").returncode == 0
    assert run_cli("schools", "refresh-figures", "--all", "--jobs", "1").returncode == 0
    dashboard.forget()
    user("default", "operator", is_staff=True, is_superuser=True)
    html = signed_in("localhost", "operator").get("/platform/").content.decode()
    dashboard.forget()
    table = re.search(r'<table class="table" id="enrolments-by-grade">.*?</table>', html, re.S).group(0)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="number">(\d+)</td><td class="number">(\d+)</td></tr>', table)
    assert rows == [("Form 1", "1", "1"), ("Form 2", "5", "1"), ("Form 3", "5", "1"), ("Form 4", "6", "1")]


def test_students_enrolled_since_the_year_began_count_in_their_current_grade(ready, run_cli):
    """The current year's grade is kept on the student rows; a student added or moved since the year's enrolments
    were written (the migration or the last promotion) counts where the student table shows them."""
    from School.context import tenant_context
    from School.models import Student

    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NEW/1", first_name="Neema", second_name="Mwangi", grade="Form 2")
        Student.objects.filter(registration_no="F1-01").update(grade="Form 3")
    assert run_cli("schools", "refresh-figures", "--all", "--jobs", "1").returncode == 0
    # This year's Form 1..4: 6, 6 (one withdrawn: 5 enrolled), 6 and 5, then one new in Form 2 and one moved 1 -> 3.
    assert report(run_cli) == {"Form 1": (5, 1), "Form 2": (7, 1), "Form 3": (7, 1), "Form 4": (5, 1)}
    national = run_cli("schools", "indicators", "--by", "grade", "--format", "json")
    assert national.returncode == 0, national.stderr
    enrolled = {line["name"]: line["figures"]["enrolled"] for line in json.loads(national.stdout)["lines"]}
    assert {grade: enrolled[grade] for grade in ("Form 1", "Form 2", "Form 3", "Form 4")} == {
        "Form 1": 5, "Form 2": 7, "Form 3": 7, "Form 4": 5}
