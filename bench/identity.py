"""Benchmarks of the identity layer (issue 33) on the embedded default (SQLite).

    python bench/identity.py [--rounds 5] [--students 20000]

1. The student table at 20,000 students with the sex filter against the
   same page without it (one request of each in turn, median per kind; the
   pages a worker keeps are dropped before each request, as after a write).
   Twice: with the filter's count kept (the registrar pages or re-sorts it)
   and counted on every request (the filter chosen for the first time).
"""

import argparse
import functools
import os
import statistics
import sys
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--students", type=int, default=20_000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, Django {django.get_version()}")
    call_command("migrate", verbosity=0)
    add_school("large", ["large.localhost"])
    fill("large", args.students)
    bench_sex_filter(args.students, args.rounds)


if __name__ == "__main__":
    main()
