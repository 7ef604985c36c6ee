"""Benchmarks of the student records on the embedded default (SQLite).

    python bench/students.py [--rounds 5]

1. The student table page with 20,000 students against 200 (same school
   layout, side by side: one request of each size in turn, median per
   size): the default page, a search, a filter and a sort, each as a ratio
   of times (lower is better; 1.0 means the size does not matter). A search
   is measured twice: repeated, as when the registrar pages or re-sorts it
   (its count is kept until the students change), and typed for the first
   time (counted on every request). Every request reads its rows: the pages
   a worker keeps (School/records/kept_pages.py) are dropped before each, as
   after a write; what keeping them gains is in bench/bare_page.py.
2. Importing a 50,000-row CSV file (check + all-or-nothing write) against a
   plain bulk_create of the same rows, in alternating rounds (which goes
   first alternates): rows per second of each and their median ratio, and
   the import's peak Python memory, to show it streams.
"""

import argparse
import csv
import functools
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import forget_search_counts, interleaved_medians, setup_django  # noqa: E402

DATA_DIR = setup_django("bench-students-")

import django  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from School.context import tenant_context  # noqa: E402
from School.models import Student  # noqa: E402
from School.operations.provisioning import add_school  # noqa: E402
from School.records.files import COLUMNS, StudentImport  # noqa: E402
from School.records.kept_pages import forget_pages  # noqa: E402

FIRST = ["Amina", "Kwame", "Wanjiru", "Kofi", "Njeri", "Ama", "Otieno", "Esi", "Baraka", "Yaw"]
LAST = ["Mwangi", "Mensah", "Odhiambo", "Owusu", "Kamau", "Boateng", "Achieng", "Asante", "Kiprop", "Appiah"]
GRADES = [f"Form {n}" for n in range(1, 5)]
STATUSES = ["active", "active", "active", "graduated", "transferred", "withdrawn"]


def row(n, prefix):
    return {
        "registration_no": f"{prefix}/{n:06d}",
        "first_name": FIRST[n % len(FIRST)] + str(n % 97),
        "second_name": LAST[(n // 7) % len(LAST)],
        "date_of_birth": f"20{10 + n % 5}-0{1 + n % 9}-1{n % 9}",
        "grade": GRADES[n % len(GRADES)],
        "enrolment_date": "2024-01-08",
        "status": STATUSES[n % len(STATUSES)],
        "guardian1_name": f"Guardian {n}",
        "guardian1_phone": f"+254 7{n % 10:02d} {n:06d}",
    }


def student_fields(record):
    """The Student fields of a row (its guardians are other records)."""
    return {key: value for key, value in record.items() if not key.startswith("guardian")}


def write_csv(path, count, prefix):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for n in range(count):
            writer.writerow(row(n, prefix))


def fill(school, count):
    with tenant_context(school):
        for start in range(0, count, 5000):
            Student.objects.bulk_create(
                Student(**student_fields(row(n, "S"))) for n in range(start, min(count, start + 5000))
            )


PAGES = {
    "default page": {},
    # A last name that one student in ten has: the count and the sort visit every match.
    "search": {"q": "kamau"},
    # A registration-number prefix with the same 100 matches at both sizes.
    "search number": {"q": "s/0001"},
    "filter": {"grade": "Form 2", "status": "active"},
    "sort, page 3": {"sort": "-first_name", "page": "3"},
    # The same search typed for the first time: its count is not known yet.
    "new search": {"q": "kamau"},
}
# A search's count is kept (under the school's students stamp) while the
# registrar pages and re-sorts it; "search" repeats one search as paging does.
FIRST_TIME = {"new search"}


def page_times(params, repeat=100, first_time=False):
    """Seconds per request of the page at both sizes, one request of each in turn.

    Interleaved request by request, so the machine's noise falls on both
    sizes alike; the median of each size's requests.
    """
    clients = {host: Client(HTTP_HOST=host) for host in ("small.localhost", "large.localhost")}
    for client in clients.values():
        client.get("/", params)  # warm

    def request(client):
        assert client.get("/", params).status_code == 200

    def forget():
        forget_pages()
        if first_time:
            forget_search_counts()

    times = interleaved_medians(
        {host: functools.partial(request, client) for host, client in clients.items()}, repeat, forget)
    return times["small.localhost"], times["large.localhost"]


def bench_pages(rounds):
    print("\n1. student table page: 20,000 students vs 200 (median time per request, the two sizes in turn)")
    print(f"{'page':<14} {'200':>9} {'20,000':>9} {'ratio':>6}")
    # (the search finds names and registration numbers starting with the text)
    for name, params in PAGES.items():
        ratios, smalls, larges = [], [], []
        for _round in range(rounds):
            small, large = page_times(params, first_time=name in FIRST_TIME)
            smalls.append(small)
            larges.append(large)
            ratios.append(large / small)
        print(f"{name:<14} {1000 * statistics.median(smalls):>7.1f}ms {1000 * statistics.median(larges):>7.1f}ms"
              f" {statistics.median(ratios):>6.2f}")


def bench_import(rows, rounds):
    path = DATA_DIR / "import.csv"
    write_csv(path, rows, "IMP")
    print(f"\n2. importing {rows:,} rows (check + one transaction) vs plain bulk_create of the same rows")
    print(f"{'round':>5} {'import rows/s':>14} {'bulk_create rows/s':>19} {'ratio':>6}")

    def ours():
        report = StudentImport(path).apply()
        assert report.written and report.new == rows, report.summary()

    def plain():
        with open(path, newline="", encoding="utf-8") as handle:
            records = list(csv.DictReader(handle))
        for start in range(0, rows, 1000):
            Student.objects.bulk_create(
                Student(**{k: (v or None) if k == "date_of_birth" else v for k, v in student_fields(r).items()})
                for r in records[start:start + 1000]
            )

    def rate(load):
        with tenant_context("importer"):
            Student.objects.all().delete()
            started = time.perf_counter()
            load()
            return rows / (time.perf_counter() - started)

    ratios = []
    for round_number in range(1, rounds + 1):
        # Alternating which goes first: the machine's drift falls on both.
        if round_number % 2:
            imported, bulk = rate(ours), rate(plain)
        else:
            bulk, imported = rate(plain), rate(ours)
        ratios.append(imported / bulk)
        print(f"{round_number:>5} {imported:>14,.0f} {bulk:>19,.0f} {imported / bulk:>6.2f}")
    print(f"median ratio: {statistics.median(ratios):.2f} (the import checks every row: one pass in one transaction on SQLite)")
    with tenant_context("importer"):
        Student.objects.all().delete()
        tracemalloc.start()
        StudentImport(path).apply()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    size = path.stat().st_size
    print(f"peak Python memory of the import: {peak / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB file")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=50_000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, Django {django.get_version()}")
    call_command("migrate", verbosity=0)
    for name, size in (("small", 200), ("large", 20_000)):
        add_school(name, [f"{name}.localhost"])
        fill(name, size)
    add_school("importer", ["importer.localhost"])
    bench_pages(args.rounds)
    bench_import(args.import_rows, args.rounds)


if __name__ == "__main__":
    main()
