"""The register's speed: saving 40 vs 1, the busy morning, the class sheet vs the student table, a year's size.

    python bench/register.py [--rounds 7] [--saves 40] [--morning-rounds 5] [--sheet-requests 60]

One school on the embedded default (SQLite), today in its current year. Each
round times, side by side and in alternating order, `--saves` saves of:

  forty: the register of a class of 40 students, every student's mark changed
         at each save (absent, then late, then absent ...): 40 marks replaced;
  one:   the register of a class of one student, its mark changed the same way.

Both run School/register/service.py's `take` whole: the class, the day, the
students, the permission, the checks, then the write in one transaction. The
issue's goal: forty <= 2x one.

The busy morning: 40 classes of 30 at one school each POST their register to
/api/registers/ at the same instant (a barrier), --morning-rounds times, to
gunicorn in deploy/gunicorn.conf.py's shape on the embedded default (2 x
cores + 1 sync workers, 1 thread, the app preloaded; the development
profile, so that no TLS proxy is needed in front). Goal: 0 failures, the
p99 of those saves <= 4x the median of one save alone (the same requests
sent one after the other).

The class sheet: one class of 60 students with a month of 23 registers
(/register/sheet/) vs the student table (/), in-process, alternating; goal
<= 1.5x. Both pages are kept per worker between writes (the sheet by
School/register/kept_sheets.py); the sheet computed afresh, as after a
write, is printed beside them. A year of registers: a school of 1,000 students in 34 classes, one
register a class per school day of a 190-day year, 5% absent and 2% late:
the database's size added (after VACUUM), measured.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import setup_django  # noqa: E402

DATA_DIR = setup_django("bench-register-")

from bench.common import make_school  # noqa: E402
from School.context import tenant_context  # noqa: E402
from School.models import Student  # noqa: E402
from School.register import service  # noqa: E402
from School.register.codes import ABSENT, LATE  # noqa: E402
from School.school_year.calendar import current_year, set_year  # noqa: E402

SCHOOL = "bench_register"
ACTOR = service.Actor(name="bench")


def prepare():
    import datetime

    make_school(SCHOOL, 0)
    with tenant_context(SCHOOL):
        today = service.school_today()
        year = current_year(SCHOOL)
        set_year(SCHOOL, year.name, today - datetime.timedelta(days=100), today + datetime.timedelta(days=100))
        service.change_settings(SCHOOL, weekdays="1234567")
        Student.objects.bulk_create([Student(registration_no=f"BIG-{n:02d}", first_name=f"F{n}", second_name=f"L{n}", grade="Big")
                                     for n in range(40)] + [Student(registration_no="ONE-01", first_name="F", second_name="L", grade="One")])
    return today


def saves(class_name, regnos, day, count):
    started = time.perf_counter()
    with tenant_context(SCHOOL):
        for n in range(count):
            code = ABSENT if n % 2 else LATE
            result = service.take(SCHOOL, ACTOR, class_name, day, {regno: (code, "") for regno in regnos})
            assert result.changed
    return (time.perf_counter() - started) / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--morning-rounds", type=int, default=5)
    parser.add_argument("--sheet-requests", type=int, default=60)
    args = parser.parse_args()
    day = prepare()
    forty = [f"BIG-{n:02d}" for n in range(40)]
    saves("Big", forty, day, 2)  # warm-up: the registers exist, caches are warm
    saves("One", ["ONE-01"], day, 2)
    big, one = [], []
    for round_number in range(args.rounds):
        order = [("big", "Big", forty), ("one", "One", ["ONE-01"])]
        for name, class_name, regnos in order if round_number % 2 == 0 else reversed(order):
            (big if name == "big" else one).append(saves(class_name, regnos, day, args.saves))
    ratios = [b / o for b, o in zip(big, one)]
    print(f"register save, 40 marks changed: median {statistics.median(big) * 1000:.2f} ms")
    print(f"register save, 1 mark changed:   median {statistics.median(one) * 1000:.2f} ms")
    print(f"median ratio forty / one: {statistics.median(ratios):.2f} (goal <= 2)")
    from bench import register_more

    register_more.busy_morning(DATA_DIR, args.morning_rounds)
    register_more.class_sheet(args.sheet_requests)
    register_more.year_size()


if __name__ == "__main__":
    main()
