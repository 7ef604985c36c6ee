"""What the security of issue 14 costs per request, on the embedded default (SQLite).

    python bench/security.py [--rounds 7] [--requests 200]

Side by side in one process, alternating rounds, medians of ratios:

1. An API read with a hashed token (`GET /api/students/`, 50 rows): with the
   audit record and the per-token throttle, against the same request with
   both switched off. The token lookup (one indexed digest) is in both.
2. A failed admin sign-in with django-axes counting it, against the same
   with axes disabled (AXES_ENABLED=False): the price of lock-outs per
   wrong password (successful sign-ins pay a reset query only).
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SCHOOL_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-security-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")
os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")
os.environ["API_RATE_LIMIT"] = "1000000/min"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from School.context import tenant_context  # noqa: E402
from School.models import Student  # noqa: E402
from School.operations.provisioning import add_school  # noqa: E402
from School.records.api import StudentViewSet  # noqa: E402
from School.security.tokens import create_token  # noqa: E402
from bench.common import compare  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    add_school("nairobi", ["nairobi.localhost"])
    with tenant_context("nairobi"):
        Student.objects.bulk_create(Student(registration_no=f"B/{n:05d}", first_name="A", second_name="B") for n in range(500))
        user = get_user_model().objects.create_superuser("bench", "", "correct-horse-battery")
        key, _ = create_token(user)

    api = Client(HTTP_HOST="nairobi.localhost", HTTP_AUTHORIZATION=f"Token {key}")

    def read():
        assert api.get("/api/students/").status_code == 200

    def read_without():
        with mock.patch("School.security.audit.record"), mock.patch.object(StudentViewSet, "throttle_classes", []):
            read()

    compare("1. API read with audit record + throttle vs without (time per request)",
            read, read_without, options.rounds, options.requests)

    browser = Client(HTTP_HOST="nairobi.localhost")
    addresses = iter(range(10**9))

    def wrong_password():
        # A new address and user name each time: counted, never locked out.
        n = next(addresses)
        browser.post("/admin/login/", {"username": f"u{n}", "password": "wrong"}, REMOTE_ADDR=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")

    def wrong_password_without():
        with override_settings(AXES_ENABLED=False):
            wrong_password()

    compare("2. failed admin sign-in with django-axes vs without (time per request)",
            wrong_password, wrong_password_without, options.rounds, options.requests // 4)


if __name__ == "__main__":
    main()
