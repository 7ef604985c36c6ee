"""Promotion day of one school: `NAME promote --to YEAR` as a whole CLI process, on the embedded default (SQLite);
and of every school: `--all promote --to YEAR` over many schools.

    python bench/promotion.py [--rounds 5] [--students 2000] [--schools 1000] [--school-students 300] [--all-rounds 3]

A school of 2,000 students in Form 1..Form 4 (Form 4 final), next year in its
calendar. Each round times, side by side and in alternating order, two fresh
school_manage.py processes on the same school:

  promote:  `NAME promote --to YEAR` (every student moved: 2,000 enrolments
            closed, about 1,500 opened, the student rows rewritten, the audit
            record), then, untimed, `NAME promote --undo YEAR` to set it back;
  baseline: `NAME export_students --output /dev/null`: a process of the same
            CLI that reads every student of the same school once. It is what
            any command touching the whole school costs (interpreter, Django,
            settings, the school's connection, one pass over its rows), so the
            ratio says what promotion costs beyond reading the school.

A warm-up promote + undo first gives every student an enrolment in the
current year, as the data migration does for an existing school. Absolute
times drift on a shared machine; the goal in issue 32 is <= 2 s per promote.

Then `--all promote --to YEAR` over --schools schools of --school-students
students each (copies of one prepared school's SQLite file, registered),
timed side by side with `--all export_students --output /dev/null` over the
same schools (the fan-out's own cost, and one pass over each school's rows);
`--all promote --undo YEAR`, untimed, sets them back between rounds. The goal
in issue 32 is >= 50 schools/s. The copies are made like a live platform's
schools before the first round: in WAL mode, counted once (`schools
refresh-figures --all`: their figures and digests in `default`), on disk.
"""

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import setup_django  # noqa: E402

DATA_DIR = setup_django("bench-promotion-")

from bench.common import env_for, make_school  # noqa: E402
from School.context import tenant_context  # noqa: E402
from School.school_year.calendar import current_year, set_year  # noqa: E402
from School.school_year.ladder import set_ladder  # noqa: E402

ENV = env_for(DATA_DIR)
SCHOOL = "bench_promotion"


def cli(*args):
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "school_manage.py"), SCHOOL, *args],
                            cwd=ROOT, env=ENV, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return time.perf_counter() - started


def prepare(students):
    import datetime

    make_school(SCHOOL, students)
    with tenant_context(SCHOOL):
        this = current_year(SCHOOL)
        following = this.last_day.year + 1
        set_year(SCHOOL, str(following), datetime.date(following, 1, 10), datetime.date(following, 11, 30))
        set_ladder(SCHOOL, ["Form 1", "Form 2", "Form 3", "Form 4"], finals=["Form 4"])
    return str(following)


def every_school(*args):
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "school_manage.py"), "--all", *args],
                            cwd=ROOT, env=ENV, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"--all {' '.join(args)} failed: {(result.stderr or result.stdout).strip()[-2000:]}")
    return time.perf_counter() - started


def prepare_many(count, students, year):
    """`count` schools like SCHOOL, of `students` students each: one made, then its file copied and registered."""
    import datetime
    import shutil

    from django.conf import settings

    from School.connections import forget_alias
    from School.models import School, SchoolHost
    from School.sqlite_files import make_self_contained

    first = "bench_many_0000"
    make_school(first, students)
    for name in ("default", first):  # `default` is one of every school: it is promoted too (it has no students)
        with tenant_context(name):
            this = current_year(name)
            set_year(name, year, datetime.date(int(year), 1, 10), datetime.date(int(year), 11, 30))
            set_ladder(name, ["Form 1", "Form 2", "Form 3", "Form 4"], finals=["Form 4"])
    cli_as(first, "promote", "--to", year)  # every student gets its enrolment, as in an existing school
    cli_as(first, "promote", "--undo", year)
    forget_alias(first)
    source = Path(settings.SCHOOL_DB_DIR) / f"{first}.sqlite3"
    make_self_contained(source)  # everything in the main file (no -wal beside it), so that a copy is whole
    for n in range(1, count):
        name = f"bench_many_{n:04d}"
        copy = source.with_name(f"{name}.sqlite3")
        shutil.copy(source, copy)
        as_live_school(copy)
        school = School.objects.create(name=name, display_name=f"School {n}")
        SchoolHost.objects.create(school=school, host=f"{name.replace('_', '-')}.localhost")
    as_live_school(source)
    # A live platform has counted every school (its figures and its students' digests in `default` follow each
    # write, and the nightly refresh-figures): without this the first timed round would also be the first count ever
    # of every copy (300 digests inserted per school), which no promotion day on a live platform pays.
    subprocess.run([sys.executable, str(ROOT / "school_manage.py"), "schools", "refresh-figures", "--all"],
                   cwd=ROOT, env=ENV, check=True, capture_output=True)
    os.sync()  # the copies' pages on disk: their write-back must not fall on the timed fsyncs
    return this


def as_live_school(path):
    """A live school's file is in WAL mode (every connection of the project sets it); the copy left it to be copied whole."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def cli_as(school, *args):
    subprocess.run([sys.executable, str(ROOT / "school_manage.py"), school, *args], cwd=ROOT, env=ENV, check=True,
                   capture_output=True)


def measure_all(args, year):
    prepare_many(args.schools, args.school_students, year)
    # The two schools of the one-school measure are promoted too: set back above.
    schools = args.schools + 2
    print(f"\n`--all promote --to {year}` over {schools} schools ({args.schools} of {args.school_students} students) "
          f"vs `--all export_students --output /dev/null`, alternating rounds")
    print(f"{'round':>5} {'promote':>10} {'baseline':>10} {'ratio':>6}")
    promotes, baselines = [], []
    for number in range(1, args.all_rounds + 1):
        def promote():
            seconds = every_school("promote", "--to", year)
            every_school("promote", "--undo", year)
            return seconds

        order = [(promotes, promote), (baselines, lambda: every_school("export_students", "--output", "/dev/null"))]
        for timings, run in order if number % 2 else reversed(order):
            timings.append(run())
        print(f"{number:>5} {promotes[-1]:>9.2f}s {baselines[-1]:>9.2f}s {promotes[-1] / baselines[-1]:>6.2f}")
    seconds = statistics.median(promotes)
    print(f"--all promote: {schools / seconds:.0f} schools/s (median {seconds:.1f} s; goal >= 50 schools/s), "
          f"vs export ratio {statistics.median(p / b for p, b in zip(promotes, baselines)):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--schools", type=int, default=1000, help="schools of --all promote (0: skip it)")
    parser.add_argument("--school-students", type=int, default=300)
    parser.add_argument("--all-rounds", type=int, default=3)
    args = parser.parse_args()
    year = prepare(args.students)
    cli("promote", "--to", year)
    cli("promote", "--undo", year)

    def promote():
        seconds = cli("promote", "--to", year)
        cli("promote", "--undo", year)
        return seconds

    def baseline():
        return cli("export_students", "--output", "/dev/null")

    print(f"`{SCHOOL} promote --to {year}` of {args.students} students vs `export_students` of the same school, "
          f"whole CLI processes, alternating rounds")
    print(f"{'round':>5} {'promote':>10} {'baseline':>10} {'ratio':>6}")
    promotes, baselines = [], []
    for number in range(1, args.rounds + 1):
        order = [(promotes, promote), (baselines, baseline)]
        for timings, run in order if number % 2 else reversed(order):
            timings.append(run())
        print(f"{number:>5} {promotes[-1]:>9.2f}s {baselines[-1]:>9.2f}s {promotes[-1] / baselines[-1]:>6.2f}")
    print(f"median: promote {statistics.median(promotes):.2f} s (goal <= 2 s), baseline {statistics.median(baselines):.2f} s, "
          f"ratio {statistics.median(p / b for p, b in zip(promotes, baselines)):.2f}")
    if args.schools:
        measure_all(args, year)


if __name__ == "__main__":
    main()
