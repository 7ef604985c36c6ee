"""The hot student page with each school's locale, side by side in one process.

1. The table at a school on the platform defaults (English, UTC) against the
   same table (same students) at a school in French, Africa/Nairobi, day first.
2. The table with the per-request activation of language and time zone
   against the same table with that activation patched out (what the page
   cost before School/locale/; the rest of this branch's changes, the
   translated template texts, are in both).
3. The activation alone: entering and leaving School.locale.activation.school_locale.

Alternating rounds, Django's test client (no network), sqlite files.
Usage: python bench/locale_page.py [--rounds 7] [--requests 300]
"""

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import compare_in_process, setup_django  # noqa: E402

setup_django("bench-locale-")

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

import School.middleware  # noqa: E402
from School.context import tenant_context  # noqa: E402
from School.locale.activation import school_locale  # noqa: E402
from School.models import Student  # noqa: E402
from School.operations.provisioning import add_school  # noqa: E402
from School.utils import school_by_name  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    add_school("plain", ["plain.localhost"])
    add_school("dakar", ["dakar.localhost"], locale={"language": "fr", "time_zone": "Africa/Nairobi", "date_order": "dmy"})
    for name in ("plain", "dakar"):
        with tenant_context(name):
            Student.objects.bulk_create(
                Student(registration_no=f"B/{n:05d}", first_name=f"First{n}", second_name=f"Last{n}", grade=f"Form {n % 4}")
                for n in range(2000)
            )
    plain, dakar = Client(HTTP_HOST="plain.localhost"), Client(HTTP_HOST="dakar.localhost")
    assert "Élèves" in dakar.get("/").content.decode() and "Students" in plain.get("/").content.decode()

    def page(client):
        return lambda: client.get("/", {"sort": "second_name"})

    compare_in_process("1. student table: school with a locale vs school on the defaults", page(dakar), page(plain),
            options.rounds, options.requests, ("fr/Nairobi", "en/UTC"))

    activating = School.middleware.school_locale

    def without_activation():
        School.middleware.school_locale = lambda school: contextlib.nullcontext()
        try:
            page(dakar)()
        finally:
            School.middleware.school_locale = activating

    compare_in_process("2. student table (fr/Nairobi school): with the locale activation vs patched out", page(dakar),
            without_activation, options.rounds, options.requests, ("activated", "not"))

    school = school_by_name("dakar")
    count = 20000
    started = time.perf_counter()
    for _ in range(count):
        with school_locale(school):
            pass
    print(f"\n3. school_locale enter+exit: {1e6 * (time.perf_counter() - started) / count:.1f} µs per request")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    main()
