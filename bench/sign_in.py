"""What the second factor costs (issue 20), on the embedded default (SQLite).

    python bench/sign_in.py [--rounds 5] [--requests 10] [--hasher pbkdf2|md5]

Side by side in one process, alternating rounds, medians of ratios:

1. A complete sign-in at /accounts/login/ with a TOTP code (password page,
   then code page) against a sign-in with the password alone. Each sign-in
   is a new session; the TOTP clock is stepped 30 s per sign-in, so every
   code is fresh (a code is accepted once). With Django's own password
   hasher (pbkdf2, the default) this is what a person waits for; `--hasher
   md5` takes the hasher out and shows the steps' own overhead.
2. A signed-in page (/students/import/) for a session verified with a second
   factor against a password-only session: what django-otp's middleware
   adds to every request (one look-up of the session's device).
"""

import argparse
import os
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")

from bench.common import compare_in_process, setup_django  # noqa: E402

setup_django("bench-sign-in-")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django_otp.oath import TOTP  # noqa: E402
from django_otp.plugins.otp_totp import models as totp_models  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from School.context import tenant_context  # noqa: E402
from School.operations.provisioning import add_school  # noqa: E402

PASSWORD = "correct-horse-battery"
clock = types.SimpleNamespace(now=1_800_000_000.0)
totp_models.time = types.SimpleNamespace(time=lambda: clock.now)


def current_code(key):
    totp = TOTP(bytes.fromhex(key), 30, 0, 6, 0)
    totp.time = clock.now
    return f"{totp.token():06d}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--hasher", choices=["pbkdf2", "md5"], default="pbkdf2")
    options = parser.parse_args()
    if options.hasher == "md5":
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 10**6
    call_command("migrate", verbosity=0)
    add_school("nairobi", ["nairobi.localhost"])
    with tenant_context("nairobi"):
        users = get_user_model().objects
        users.create_user("plain", "", PASSWORD, is_staff=True, is_superuser=True)
        secured = users.create_user("secured", "", PASSWORD, is_staff=True, is_superuser=True)
        key = TOTPDevice.objects.create(user=secured, name="phone", confirmed=True).key
    print(f"password hasher: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[1]}")

    def sign_in(username):
        browser = Client(HTTP_HOST="nairobi.localhost")
        response = browser.post("/accounts/login/", {"username": username, "password": PASSWORD, "next": "/students/import/"})
        assert response.status_code == 302, response.status_code
        return browser, response

    def with_code():
        clock.now += 30
        browser, response = sign_in("secured")
        assert response.url == "/accounts/login/code/"
        done = browser.post("/accounts/login/code/", {"code": current_code(key)})
        assert done.status_code == 302 and done.url == "/students/import/", done.status_code
        return browser

    def password_alone():
        browser, response = sign_in("plain")
        assert response.url == "/students/import/"
        return browser

    compare_in_process("1. sign-in with a TOTP code vs with the password alone (time per sign-in)",
            with_code, password_alone, options.rounds, options.requests)

    verified, plain = with_code(), password_alone()

    def page(browser):
        return lambda: browser.get("/students/import/").status_code == 200 or sys.exit("page failed")

    compare_in_process("2. signed-in page, session verified by a second factor vs password-only session (time per request)",
            page(verified), page(plain), options.rounds, options.requests * 10)


if __name__ == "__main__":
    main()
