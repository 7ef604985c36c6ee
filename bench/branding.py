"""What a school's branding costs the hot student page, side by side in one process.

1. The table at a school with a logo, colours and a welcome against the same
   school's table with the branding's context processor patched to the
   platform's look (what the page cost before School/branding/). Two schools
   are not compared: with no branding at all, two schools of the same 2,000
   students differed by a third on this loaded machine, in either direction.
2. The table at a school that set nothing (the platform's look) against the
   same, patched out: what the branding costs schools that do not use it.
3. Queries a request sends for the branding once the worker has read it: 0
   (the look is kept per worker until the registry's change log says otherwise).
4. The branding's context processor alone, per request, in microseconds.

Alternating rounds, Django's test client (no network), sqlite files.
Usage: python bench/branding.py [--rounds 7] [--requests 300]
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import compare_in_process, make_school, setup_django  # noqa: E402

setup_django("bench-branding-")

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import School.context_processors  # noqa: E402
from School.branding.looks import PLATFORM_LOOK  # noqa: E402
from School.branding.service import set_branding  # noqa: E402
from School.utils import school_by_name  # noqa: E402


def logo():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (480, 160), (26, 94, 32)).save(out, "PNG")
    return "image/png", out.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    for name in ("plain", "crested"):
        make_school(name, 2000)
    set_branding("crested", logo=logo(), colours=("#1a5e20", "#ffffff"), welcome={"en": "Welcome"})
    plain, crested = Client(HTTP_HOST="plain.localhost"), Client(HTTP_HOST="crested.localhost")
    assert "brand-logo" in crested.get("/").content.decode() and "brand-logo" not in plain.get("/").content.decode()

    def page(client):
        return lambda: client.get("/", {"sort": "second_name"})

    kept = School.context_processors.look_of

    def without_branding(client):
        def send():
            School.context_processors.look_of = lambda school: PLATFORM_LOOK
            try:
                page(client)()
            finally:
                School.context_processors.look_of = kept
        return send

    compare_in_process("1. student table (branded school): with the branding vs patched out", page(crested),
                       without_branding(crested), options.rounds, options.requests, ("branding", "none"))
    compare_in_process("2. student table (school on the platform's look): with the branding vs patched out", page(plain),
                       without_branding(plain), options.rounds, options.requests, ("plain", "none"))

    with CaptureQueriesContext(connections["crested"]) as queries:
        for _ in range(20):
            page(crested)()
    branding_queries = [query for query in queries.captured_queries if "branding" in query["sql"]]
    print(f"\n3. branding queries in 20 requests of a worker that has read the look: {len(branding_queries)}")

    request = type("Request", (), {"school": school_by_name("crested")})()
    count = 100000
    started = time.perf_counter()
    for _ in range(count):
        School.context_processors.branding(request)
    print(f"\n4. branding context processor: {1e6 * (time.perf_counter() - started) / count:.2f} µs per request")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    main()
