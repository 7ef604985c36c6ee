"""The same project with tenancy switched off: one database, no school resolution or router.

The baseline of bench/tenancy.py: a plain single-school Django deployment
serving the very same database file. SINGLE_SCHOOL_DB names the SQLite file.
Pages show the school's name as the multi-school ones do, from a constant
(no registry look-up, no context, no router), so both render the same HTML.
"""

import os

from multitenant.databases import sqlite_name
from multitenant.settings import *  # noqa: F403
from multitenant.settings import MIDDLEWARE

MIDDLEWARE = [
    "bench.single_db_settings.FixedSchoolMiddleware" if name == "School.middleware.SchoolMiddleware" else name
    for name in MIDDLEWARE
]
DATABASE_ROUTERS = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": sqlite_name(os.environ["SINGLE_SCHOOL_DB"]),
        "OPTIONS": {"timeout": 20},
    }
}


class FixedSchoolMiddleware:
    def __init__(self, get_response):
        from School.utils import SchoolInfo

        self.get_response = get_response
        self.school = SchoolInfo("nairobi", "Nairobi School", ("nairobi.localhost",))

    def __call__(self, request):
        request.school = self.school
        return self.get_response(request)
