"""A student's page with six years of history against the same page with one, side by side in one process.

    python bench/student_history.py [--rounds 7] [--requests 200]

One school of 2,000 students (SQLite, the embedded default), its current
year and five earlier ones, each with a grade ladder class. Student "six" has
an enrolment in each of the six years (five closed "promoted", the current one
still enrolled); student "one" only the current year's. Both pages are fetched
and checked first (the history table shows 6 rows and 1 row), then timed in
alternating rounds through Django's test client, signed in as a School admin.
The history costs a fixed number of queries whatever the years (issue 32's goal:
six years <= 1.1x one year).
"""

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import compare_in_process, make_school, setup_django  # noqa: E402

setup_django("bench-history-")

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from School.context import tenant_context  # noqa: E402
from School.models import Student  # noqa: E402
from School.school_year.calendar import current_year  # noqa: E402
from School.school_year.ladder import set_ladder  # noqa: E402
from School.school_year.models import Enrolment, Grade, SchoolYear  # noqa: E402

SCHOOL = "bench_history"
HOST = "bench-history.localhost"
PASSWORD = "bench-password-1"


def prepare():
    make_school(SCHOOL, 2000)
    with tenant_context(SCHOOL):
        this = current_year(SCHOOL)
        set_ladder(SCHOOL, ["Form 1", "Form 2", "Form 3", "Form 4"], finals=["Form 4"])
        grade = Grade.objects.get(name="Form 1")
        years = [
            SchoolYear.objects.create(name=str(this.first_day.year - back), first_day=this.first_day.replace(year=this.first_day.year - back),
                                      last_day=this.last_day.replace(year=this.last_day.year - back))
            for back in range(5, 0, -1)
        ]
        six, one = Student.objects.order_by("pk")[:2]
        for year in years:
            Enrolment.objects.create(student=six, year=year, grade=grade, first_day=year.first_day, last_day=year.last_day,
                                     outcome=Enrolment.Outcome.PROMOTED)
        for student in (six, one):
            Enrolment.objects.get_or_create(student=student, year=this, defaults={"grade": grade, "first_day": this.first_day})
        get_user_model().objects.create_superuser("head", "", PASSWORD)
        return six.pk, one.pk


def history_rows(client, pk):
    page = client.get(f"/students/{pk}/")
    assert page.status_code == 200, page.status_code
    table = re.search(r'id="student-history">.*?</table>', page.content.decode(), re.S)
    return len(re.findall(r"<tr>", table.group(0))) - 1 if table else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    six, one = prepare()
    client = Client(HTTP_HOST=HOST)
    signed = client.post("/accounts/login/", {"username": "head", "password": PASSWORD})
    assert signed.status_code == 302, signed.content.decode()[-500:]
    shown = (history_rows(client, six), history_rows(client, one))
    if shown != (6, 1):
        raise SystemExit(f"the pages show {shown[0]} and {shown[1]} years, not 6 and 1")
    compare_in_process("a student's page: 6 years of history vs 1 year (time per request)",
                       lambda: client.get(f"/students/{six}/"), lambda: client.get(f"/students/{one}/"),
                       options.rounds, options.requests, ("6 years", "1 year"))


if __name__ == "__main__":
    main()
