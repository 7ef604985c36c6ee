"""What bounding SQLite's memory in a worker costs the student page (SCHOOL_SQLITE_HEAP_MIB).

One process (Django's test client, kept connections, as a worker) serving a
school of 20,000 students and --others schools of 2,000, one request to
another school before each request to the large one, so that their page
caches compete as in a worker rotating over many schools. Alternating
rounds with SQLite's soft heap limit at SCHOOL_SQLITE_HEAP_MIB (the
platform's bound) and at 1 GiB (in effect none: each connection keeps up to
SQLite's 2,000 KiB). Time ratio bounded / unbounded for the large school's
default page, a search typed for the first time (it counts every match) and
a re-sorted page (each read from the database: the pages a worker keeps
are dropped before each request), plus SQLite's memory in the process after each. Its gain,
a worker's memory held flat, is in bench/soak.py.

Usage: python bench/page_cache.py [--rounds 7] [--requests 100] [--others 30]
"""

import argparse
import ctypes
import ctypes.util
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import compare_in_process, forget_search_counts, make_school, setup_django  # noqa: E402

setup_django("bench-page-cache-")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from School.records.kept_pages import forget_pages  # noqa: E402


UNBOUNDED_MIB = 1024
PAGES = {
    "default page": {},
    "new search, 1 in 89 match": {"q": "last1"},
    "sort, page 3": {"sort": "-first_name", "page": "3"},
}
sqlite = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
sqlite.sqlite3_memory_used.restype = ctypes.c_int64


def set_heap_limit(mib):
    # Process-wide, whichever connection sets it.
    with connections["large"].cursor() as cursor:
        cursor.execute(f"PRAGMA soft_heap_limit={mib * 2**20}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--others", type=int, default=30)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    make_school("large", 20_000)
    others = [f"other{n}" for n in range(options.others)]
    for name in others:
        make_school(name, 2_000)
    large = Client(HTTP_HOST="large.localhost")
    rotation = itertools.cycle([Client(HTTP_HOST=f"{name}.localhost") for name in others])
    print(f"a school of 20,000 students among {options.others} of 2,000; SQLite's memory bounded at"
          f" {settings.SCHOOL_SQLITE_HEAP_MIB} MiB vs {UNBOUNDED_MIB} MiB a process")
    memory = {}

    def page(mib, params):
        def send():
            set_heap_limit(mib)
            forget_search_counts()
            forget_pages()
            assert next(rotation).get("/", {"sort": "second_name"}).status_code == 200
            assert large.get("/", params).status_code == 200
            memory[mib] = sqlite.sqlite3_memory_used() / 2**20
        return send

    bounded = settings.SCHOOL_SQLITE_HEAP_MIB
    for number, (label, params) in enumerate(PAGES.items(), 1):
        compare_in_process(f"{number}. another school's page, then the large school's {label}",
                           page(bounded, params), page(UNBOUNDED_MIB, params),
                           options.rounds, options.requests, ("bounded", "unbounded"))
        # Above the bound all along (31 connections' schemas alone come near
        # it): in the bounded rounds SQLite reuses cached pages instead of
        # allocating more; the pages these requests read fit in either.
        print(f"   SQLite's memory in the process after the last round of each: {memory[bounded]:.1f} MiB bounded,"
              f" {memory[UNBOUNDED_MIB]:.1f} MiB unbounded")


if __name__ == "__main__":
    main()
