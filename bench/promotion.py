"""Promotion day of one school: `NAME promote --to YEAR` as a whole CLI process, on the embedded default (SQLite).

    python bench/promotion.py [--rounds 5] [--students 2000]

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
"""

import argparse
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--students", type=int, default=2000)
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


if __name__ == "__main__":
    main()
