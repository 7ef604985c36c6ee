"""Benchmark: the ministry's numbers (issue 36) and the platform's attendance (issue 35) at a national registry.

    python bench/indicators.py [--schools 100000] [--rounds 3] [--requests 20] [--students 1000]

A platform whose registry holds --schools schools (rows inserted in bulk, as
bench/operator_view.py does), each with figures and two years of
YearAggregates (2025 closed, 2026 current; 8 grades of two levels, ages,
terms, attendance). Measured, medians of --rounds runs:

* `schools indicators --by national --year 2025` (a subprocess, start-up included, the project's modules
  compiled first as a deploy does; goal <= 1 s), beside `schools --help`, the start-up alone;
* `schools census --year 2025 --output FILE` (goal <= 30 s);
* `schools indicators --by national` again once a population by age is loaded (GER and NER, from the levels'
  counts each row keeps, School/indicators/levels.py; goal <= 1 s);
* the platform attendance rate and "schools with no register today" in one
  process, as `schools health` and the dashboard read them (goal <= 1 s);
* the dashboard page with the new charts under a one-worker gunicorn (goal median <= 300 ms);
* on a platform of its own: one school of --students students with two years,
  a promotion done and a term of daily registers for 25 classes: its
  aggregates counted and stored (what follows a promotion or a day's
  register; goal <= 50 ms), beside the figures' own recount it rides on.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for  # noqa: E402
from bench.operator_view import FILL, cli_seconds, get_ms, medians, one_worker  # noqa: E402
from bench.request_scale import make_platform  # noqa: E402

AGGREGATES = """
import datetime, random
from django.utils import timezone
from School.indicators.aggregate import sums
from School.indicators.levels import level_counts
from School.models import School
from School.platform.models import YearAggregates, YearDetail
random.seed(36)
LADDER = [[f"Grade {n}", "primary" if n <= 6 else "lower-secondary", "", n == 8] for n in range(1, 9)]
YEARS = {"2025": (datetime.date(2025, 1, 6), datetime.date(2025, 11, 28)), "2026": (datetime.date(2026, 1, 5), datetime.date(2026, 11, 27))}
today = timezone.localdate()

def one(key, year):
    flows, ages = {}, {}
    for n, (grade, *_rest) in enumerate(LADDER, start=1):
        flow, age = {}, {}
        for sex in ("female", "male"):
            enrolled = random.randint(20, 40)
            repeated, withdrawn, moved = random.randint(0, 4), random.randint(0, 3), random.randint(0, 1)
            flow.setdefault("enrolled", {})[sex] = enrolled
            flow.setdefault("repeated", {})[sex] = repeated
            flow.setdefault("withdrawn", {})[sex] = withdrawn
            flow.setdefault("transferred", {})[sex] = moved
            flow.setdefault("graduated" if n == 8 else "promoted", {})[sex] = enrolled - repeated - withdrawn - moved
            flow.setdefault("repeaters", {})[sex] = random.randint(0, 4)
            age[sex] = {str(5 + n + d): random.randint(2, 12) for d in range(4)}
        flows[grade], ages[grade] = flow, age
    first, last = YEARS[year]
    possible = random.randint(20000, 40000)
    teachers = random.randint(5, 20) if year == "2026" else 0
    detail = YearDetail(school_id=key, year=year, closed=year == "2025", teachers=teachers, ladder=LADDER, flows=flows,
                        ages=ages, terms=[{"term": "Term 1", "first": "2026-01-05", "last": "2026-03-31",
                                           "present": possible - 900, "possible": possible, "students": 500, "persistent": 40}])
    return detail, YearAggregates(
        school_id=key, year=year, first_day=first, last_day=last, is_current=year == "2026", closed=year == "2025",
        teachers=teachers,
        present=possible - random.randint(500, 2000), possible=possible, persistent=random.randint(0, 80), persistent_of=500,
        register_classes=16, last_register_day=today - datetime.timedelta(days=random.randint(0, 1)),
        counted_at=timezone.now(), **sums(flows, LADDER), **level_counts(ages, LADDER))

YearAggregates.objects.all().delete()  # the demo schools' own: every school gets the same shape
YearDetail.objects.all().delete()
rows, details = [], []
for key in School.objects.values_list("pk", flat=True).iterator():
    for year in YEARS:
        detail, row = one(key, year)
        rows.append(row); details.append(detail)
    if len(rows) >= 5000:
        YearAggregates.objects.bulk_create(rows); YearDetail.objects.bulk_create(details); rows, details = [], []
YearAggregates.objects.bulk_create(rows); YearDetail.objects.bulk_create(details)
# What the nightly `schools refresh-figures` does after counting: the dashboard's rates by grade kept.
import json, time
from School.indicators.dashboard import take_snapshot
started = time.perf_counter()
take_snapshot()
print(json.dumps({"snapshot": time.perf_counter() - started}))
"""

ATTENDANCE = """
import json, statistics, time
from School.indicators.attendance import national_rate, no_register_today, rates_by
def once():
    started = time.perf_counter()
    national_rate(); no_register_today()
    national = time.perf_counter() - started
    started = time.perf_counter()
    rates_by("cluster")
    return national, time.perf_counter() - started
runs = [once() for _ in range(5)]
print(json.dumps({"national": statistics.median(r[0] for r in runs), "cluster": statistics.median(r[1] for r in runs)}))
"""

ONE_SCHOOL = """
import datetime, json, random, statistics, sys, time
from django.utils import timezone
from School.context import tenant_context
from School.indicators.aggregate import count_years
from School.indicators.store import store_years
from School.models import School, Student
from School.platform.figures import recount
from School.register.models import Mark, RegisterTaken
from School.school_year.models import Enrolment, Grade, Promotion, SchoolYear, Term
random.seed(36)
students, rounds = int(sys.argv[1]), int(sys.argv[2])
with tenant_context("nairobi"):
    Enrolment.objects.all().delete(); Promotion.objects.all().delete(); SchoolYear.objects.all().delete()
    Grade.objects.all().delete(); Student.objects.all().delete()
    grades = [Grade.objects.create(name=f"Grade {n}", position=n, level="primary", is_final=n == 5) for n in range(1, 6)]
    y1 = SchoolYear.objects.create(name="2025", first_day=datetime.date(2025, 1, 6), last_day=datetime.date(2025, 11, 28))
    y2 = SchoolYear.objects.create(name="2026", first_day=datetime.date(2026, 1, 5), last_day=datetime.date(2026, 11, 27), is_current=True)
    Term.objects.create(year=y2, name="Term 1", first_day=datetime.date(2026, 1, 5), last_day=datetime.date(2026, 3, 31))
    now = timezone.now()
    Promotion.objects.create(from_year=y1, to_year=y2, state="done", started_at=now, finished_at=now, lease_until=now)
    Student.objects.bulk_create(Student(registration_no=f"B{n:05d}", first_name="A", second_name="B",
                                        sex=random.choice(["female", "male", ""]), date_of_birth=datetime.date(2014 + n % 6, 1 + n % 12, 1),
                                        grade=f"Grade {1 + n % 5} {'ABCDE'[(n // 5) % 5]}") for n in range(students))
    pks = list(Student.objects.values_list("pk", "grade"))
    Enrolment.objects.bulk_create(
        [Enrolment(student_id=pk, year=y1, grade=grades[max(0, int(g.split()[1]) - 2)], outcome=random.choice(["promoted"] * 8 + ["repeated", "withdrawn"])) for pk, g in pks]
        + [Enrolment(student_id=pk, year=y2, grade=grades[int(g.split()[1]) - 1]) for pk, g in pks])
    classes = sorted({g for _pk, g in pks})
    day, registers = datetime.date(2026, 1, 5), []
    while len(registers) < 60 * len(classes) and day < datetime.date(2026, 3, 31):
        if day.weekday() < 5:
            registers += [RegisterTaken(year=y2, class_name=c, date=day, taken_at=now) for c in classes]
        day += datetime.timedelta(days=1)
    RegisterTaken.objects.bulk_create(registers)
    by_class = {}
    for pk, g in pks:
        by_class.setdefault(g, []).append(pk)
    marks = [Mark(register_id=r.pk, student_id=pk, code="absent-unexcused") for r in RegisterTaken.objects.all()
             for pk in random.sample(by_class[r.class_name], 2)]
    Mark.objects.bulk_create(marks)
key = School.objects.get(name="nairobi").pk
recount("nairobi")
counting, recounting = [], []
for _ in range(rounds):
    with tenant_context("nairobi"):
        started = time.perf_counter()
        years = count_years("nairobi")
        store_years(key, years)
        counting.append(time.perf_counter() - started)
    started = time.perf_counter()
    recount("nairobi")
    recounting.append(time.perf_counter() - started)
print(json.dumps({"aggregates_ms": statistics.median(counting) * 1e3, "recount_ms": statistics.median(recounting) * 1e3,
                  "registers": len(registers), "marks": len(marks)}))
"""


def run_code(data_dir, code, *args):
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup()\n{code}", *map(str, args)], cwd=ROOT,
                            env=env_for(data_dir), capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return result.stdout


def compile_tree():
    """Compile the project's modules, as a deploy does (docs/operators.md): where the code cannot be written (a
    service's read-only tree, PYTHONDONTWRITEBYTECODE) every command otherwise compiles them again as it starts."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "School", "multitenant", "school_manage.py", "manage.py"],
                   cwd=ROOT, check=True, capture_output=True)


def national(size, rounds, requests):
    data_dir = make_platform(size - 3)
    try:
        session = run_code(data_dir, FILL).split()[-1]
        snapshot = json.loads(run_code(data_dir, AGGREGATES).splitlines()[-1])["snapshot"]
        compile_tree()
        indicators, floor = [], []
        for _ in range(rounds):
            indicators.append(cli_seconds(data_dir, "schools", "indicators", "--by", "national", "--year", "2025"))
            floor.append(cli_seconds(data_dir, "schools", "--help"))
        output = Path(data_dir) / "census.xlsx"
        census = [cli_seconds(data_dir, "schools", "census", "--year", "2025", "--output", str(output))
                  for _ in range(max(1, rounds - 1))]
        # GER and NER need the operator's population by age: with one loaded, the national line reads every
        # school's ages by grade (YearDetail) too.
        population = Path(data_dir) / "population.csv"
        population.write_text("year,age,female,male\n" + "".join(f"2025,{age},90000,91000\n" for age in range(4, 21)))
        cli_seconds(data_dir, "schools", "population", "load", str(population))
        with_population = [cli_seconds(data_dir, "schools", "indicators", "--by", "national", "--year", "2025")
                           for _ in range(rounds)]
        attendance = json.loads(run_code(data_dir, ATTENDANCE).splitlines()[-1])
        print(f"{size} schools with two years of aggregates")
        print(f"the dashboard's rates, parity and ages by grade taken (nightly, after refresh-figures): {snapshot:.1f} s")
        print("schools indicators --by national: median {:.2f} s (goal <= 1), CPU {:.2f} s".format(*medians(indicators)))
        print("... its floor, the start-up alone (`schools --help`): median {:.2f} s, CPU {:.2f} s".format(*medians(floor)))
        print("schools census workbook ({:.1f} MB): median {:.2f} s (goal <= 30), CPU {:.2f} s".format(
            output.stat().st_size / 1e6, *medians(census)))
        print("... with a population by age loaded (GER, NER from the levels' counts kept with each row): median {:.2f} s, CPU {:.2f} s"
              .format(*medians(with_population)))
        print(f"platform attendance rate and schools with no register today: median {attendance['national'] * 1e3:.0f} ms"
              f" (goal <= 1 s); by cluster {attendance['cluster'] * 1e3:.0f} ms")
        with one_worker(data_dir) as port:
            cookie = f"sessionid={session}"
            first = get_ms(port, "/platform/", cookie)
            page = [get_ms(port, "/platform/", cookie) for _ in range(requests)]
            chart = [get_ms(port, "/platform/charts/ages.svg", cookie) for _ in range(requests)]
        print(f"dashboard page with the indicators: median {statistics.median(page):.1f} ms (goal <= 300); the first"
              f" request, which computes what the worker keeps, {first:.0f} ms; the age chart {statistics.median(chart):.1f} ms")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def one_school(students, rounds):
    data_dir = make_platform(0)
    try:
        found = json.loads(run_code(data_dir, ONE_SCHOOL, students, rounds).splitlines()[-1])
        print(f"one school of {students} students, 2 years, {found['registers']} registers, {found['marks']} marks:"
              f" aggregates counted and stored: median {found['aggregates_ms']:.1f} ms (goal <= 50);"
              f" the whole recount they ride on (figures too) {found['recount_ms']:.1f} ms")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--students", type=int, default=1000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    one_school(args.students, args.rounds * 3)
    national(args.schools, args.rounds, args.requests)


if __name__ == "__main__":
    main()
