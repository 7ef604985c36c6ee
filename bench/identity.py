"""Benchmarks of the identity layer (issue 33) on the embedded default (SQLite).

    python bench/identity.py [--rounds 5] [--students 20000] [--schools 1000] [--per-school 300]
                             [--simulated 100000] [--simulated-per-school 30]

1. The student table at 20,000 students with the sex filter against the
   same page without it (one request of each in turn, median per kind; the
   pages a worker keeps are dropped before each request, as after a write).
   Twice: with the filter's count kept (the registrar pages or re-sorts it)
   and counted on every request (the filter chosen for the first time).
2. One student save with the learner digests following (School/identity/
   registry.py, run by the figures' deferred recount) vs the same save
   without them; what the deferred recount of a 300-student school costs
   with and without the digests; and one new student given a number (a
   block of 25 claimed in `default` at a time) vs one that brings its own.
3. `schools duplicates` over --schools SQLite schools of --per-school
   students (1% of them enrolled at a second school), digests built by
   `schools refresh-figures --all`; wall time of the command (goal <= 10 s).
4. The duplicates' search in `default` at --simulated schools: digest rows
   inserted straight into `default` (--simulated-per-school each, no school
   databases: the registration numbers' look-up, one query per school
   named, is left out), time and peak memory of the search.
"""

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import forget_search_counts, interleaved_medians, setup_django  # noqa: E402

DATA_DIR = setup_django("bench-identity-")

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from School.context import tenant_context  # noqa: E402
from School.models import Student  # noqa: E402
from School.operations.provisioning import add_school  # noqa: E402
from School.records.kept_pages import forget_pages  # noqa: E402
from bench.students import row, student_fields  # noqa: E402

# Roughly as schools record it: most say, some records do not.
SEXES = ["female", "male", "female", "male", ""]


def fill(school, count):
    with tenant_context(school):
        for start in range(0, count, 5000):
            Student.objects.bulk_create(
                Student(**student_fields(row(n, "S")), sex=SEXES[n % len(SEXES)]) for n in range(start, min(count, start + 5000))
            )


def page_times(pages, repeat=100, first_time=False):
    """Median seconds per request of each of `pages` ({name: params}), one request of each in turn."""
    client = Client(HTTP_HOST="large.localhost")

    def request(params):
        assert client.get("/", params).status_code == 200

    def forget():
        forget_pages()
        if first_time:
            forget_search_counts()

    for params in pages.values():
        request(params)  # warm
    return interleaved_medians({name: functools.partial(request, params) for name, params in pages.items()}, repeat, forget)


def bench_sex_filter(students, rounds):
    print(f"\n1. student table at {students:,} students: the sex filter vs the same page without it")
    print(f"{'page':<34} {'without':>9} {'with':>9} {'ratio':>6}")
    cases = {
        "default page (count kept)": ({}, {"sex": "female"}, False),
        "filter chosen (counted each time)": ({"status": "active"}, {"status": "active", "sex": "female"}, True),
        "sorted by name, page 3": ({"sort": "second_name", "page": "3"}, {"sort": "second_name", "page": "3", "sex": "male"}, False),
    }
    for name, (without, with_sex, first_time) in cases.items():
        ratios, befores, afters = [], [], []
        for _round in range(rounds):
            times = page_times({"without": without, "with": with_sex}, first_time=first_time)
            befores.append(times["without"])
            afters.append(times["with"])
            ratios.append(times["with"] / times["without"])
        print(f"{name:<34} {1000 * statistics.median(befores):>7.2f}ms {1000 * statistics.median(afters):>7.2f}ms"
              f" {statistics.median(ratios):>6.2f}")


def bench_saves(rounds, saves=200):
    from django.conf import settings

    from School.identity.registry import sync_school
    from School.platform.figures import COUNT_HOOKS, recount
    from School.platform.follow import follower

    print("\n2. one student save: the learner digests following vs not (the figures follow in both)")
    add_school("small", ["small.localhost"])
    fill("small", 300)
    settings.FIGURES_FOLLOW_DELAY = 5.0
    with tenant_context("small"):
        student = Student.objects.first()

    def save_all():
        with tenant_context("small"):
            for n in range(saves):
                student.grade = f"G{n}"
                student.save()

    def hooks(on):
        COUNT_HOOKS[:] = [sync_school] if on else []

    ratios, recounts = [], {True: [], False: []}
    for n in range(rounds):
        times = {}
        for on in ((True, False) if n % 2 else (False, True)):
            hooks(on)
            started = time.perf_counter()
            save_all()
            follower.flush()  # the deferred recount, timed apart
            times[on] = time.perf_counter() - started
            started = time.perf_counter()
            recount("small")
            recounts[on].append(time.perf_counter() - started)
        ratios.append(times[True] / times[False])
    hooks(True)
    print(f"{saves} saves and their recount, digests following vs not: median ratio {statistics.median(ratios):.3f}"
          f" (goal <= 1.1)")
    print(f"the deferred recount of a 300-student school: {1000 * statistics.median(recounts[False]):.1f} ms without the"
          f" digests, {1000 * statistics.median(recounts[True]):.1f} ms with them (once per school per"
          f" FIGURES_FOLLOW_DELAY, however many saves)")
    from School.identity.learner_number import new_number

    def create(number):
        with tenant_context("small"):
            for n in range(saves):
                Student.objects.create(registration_no=f"N/{time.perf_counter_ns()}/{n}", first_name="A", second_name="B",
                                       learner_no=new_number() if number else "")
    created = interleaved_medians({"issued": functools.partial(create, False), "brought": functools.partial(create, True)},
                                  rounds)
    print(f"a new student given a number vs one bringing its own: {1e6 * created['issued'] / saves:.0f} us vs"
          f" {1e6 * created['brought'] / saves:.0f} us a student, ratio {created['issued'] / created['brought']:.3f}")


DUPLICATES_PLATFORM = """
import datetime, random, sqlite3, sys
from pathlib import Path
from django.conf import settings
from School.identity.learner_number import new_number
count, per_school = int(sys.argv[1]), int(sys.argv[2])
random.seed(33)
shared = {}
for n in range(count):
    rows = []
    for i in range(per_school):
        if i < per_school // 100 and n % 2 == 1:  # 1%: the same child as at the previous school
            number, first, last, born = shared[(n - 1, i)]
        else:
            number, first, last = new_number(), f"First{random.randrange(5000)}", f"Last{random.randrange(5000)}"
            born = datetime.date(2008, 1, 1) + datetime.timedelta(days=random.randrange(3000))
            shared[(n, i)] = (number, first, last, born)
        rows.append((f"R{n}-{i}", first, last, born.isoformat(), number, first.lower(), last.lower(), f"r{n}-{i}"))
    with sqlite3.connect(Path(settings.SCHOOL_DB_DIR) / f"d{n:05d}.sqlite3") as db:
        db.executemany(
            "INSERT INTO School_student (registration_no, first_name, second_name, date_of_birth, grade, status, sex,"
            " learner_no, enrolment_date, created_at, updated_at, first_name_key, second_name_key, registration_key)"
            " VALUES (?, ?, ?, ?, '', 'active', 'female', ?, '2024-01-01', '2024-01-01', '2024-01-01', ?, ?, ?)", rows)
"""


def bench_duplicates(count, per_school, rounds):
    import shutil
    import subprocess

    from bench.common import env_for
    from bench.request_scale import make_platform

    print(f"\n3. schools duplicates over {count:,} SQLite schools of {per_school} students")
    data_dir = make_platform(0)
    try:
        env = env_for(data_dir)
        csv_path = Path(data_dir) / "schools.csv"
        csv_path.write_text("name,hosts,display_name\n" + "".join(f"d{n:05d},d{n:05d}.localhost,D {n}\n" for n in range(count)))
        subprocess.run([sys.executable, "school_manage.py", "schools", "import", str(csv_path)], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", f"import django; django.setup()\n{DUPLICATES_PLATFORM}", str(count),
                        str(per_school)], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "school_manage.py", "schools", "refresh-figures", "--all"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        print(f"digests of {count * per_school:,} students built by refresh-figures --all in"
              f" {time.perf_counter() - started:.1f} s ({os.cpu_count()} jobs)")
        walls, found = [], 0
        for _round in range(rounds):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "school_manage.py", "schools", "duplicates", "--format", "csv"],
                                    cwd=ROOT, env=env, check=True, capture_output=True, text=True)
            walls.append(time.perf_counter() - started)
            found = len(result.stdout.splitlines()) - 1
        print(f"schools duplicates --format csv: median {statistics.median(walls):.2f} s (goal <= 10 s; start-up"
              f" included), {found:,} children listed (expected {count // 2 * (per_school // 100):,})")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def bench_simulated(count, per_school):
    import resource
    import tracemalloc

    from django.db import DEFAULT_DB_ALIAS, connections, transaction

    from School.identity import duplicates
    from School.models import School
    from School.platform.models import StudentDigest

    print(f"\n4. the duplicates' search in `default` at {count:,} schools ({per_school} digest rows each, simulated)")
    first = School.objects.using(DEFAULT_DB_ALIAS).count()
    School.objects.using(DEFAULT_DB_ALIAS).bulk_create(
        (School(name=f"sim{n:06d}", display_name=f"Sim {n}") for n in range(count)), batch_size=5000)
    keys = list(School.objects.using(DEFAULT_DB_ALIAS).filter(name__startswith="sim").values_list("pk", flat=True))
    started = time.perf_counter()
    with transaction.atomic(using=DEFAULT_DB_ALIAS), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        table = StudentDigest._meta.db_table
        for start in range(0, len(keys), 1000):
            rows = []
            for index, key in enumerate(keys[start:start + 1000], start=start):
                for i in range(per_school):
                    # One child in a thousand also at the next school; everybody else unique.
                    shared = i == 0 and index % 1000 == 1
                    learner = f"L{index - 1}-0-" if shared else f"L{index}-{i}-"
                    rows.append((key, str(i), learner.ljust(64, "0"), ("F" + learner).ljust(64, "0"), True))
            cursor.executemany(f'INSERT INTO "{table}" (school_id, student, learner, fingerprint, active)'
                               " VALUES (%s, %s, %s, %s, %s)", rows)
    print(f"{count * per_school:,} digest rows inserted in {time.perf_counter() - started:.0f} s")
    duplicates._registration_numbers = lambda names, members, jobs: {}  # no school databases here
    tracemalloc.start()
    started = time.perf_counter()
    found = duplicates.find_duplicates()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    simulated = sum(pair.school.startswith("sim") for pair in found)
    print(f"search: {seconds:.2f} s, {simulated:,} of the simulated children found (expected {count // 1000:,};"
          f" {len(found) - simulated} more between this bench's own schools), Python peak"
          f" {peak / 2**20:.1f} MiB, process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB;"
          f" `default` holds {first + count:,} schools")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--per-school", type=int, default=300)
    parser.add_argument("--simulated", type=int, default=100_000)
    parser.add_argument("--simulated-per-school", type=int, default=30)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, Django {django.get_version()}")
    call_command("migrate", verbosity=0)
    add_school("large", ["large.localhost"])
    fill("large", args.students)
    bench_sex_filter(args.students, args.rounds)
    bench_saves(args.rounds)
    bench_duplicates(args.schools, args.per_school, min(args.rounds, 3))
    bench_simulated(args.simulated, args.simulated_per_school)


if __name__ == "__main__":
    main()
