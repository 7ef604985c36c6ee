"""The same project with tenancy switched off: one database, no school middleware or router.

The baseline of bench/tenancy.py: a plain single-school Django deployment
serving the very same database file and pages. SINGLE_SCHOOL_DB names the
SQLite file.
"""

import os

from multitenant.databases import sqlite_name
from multitenant.settings import *  # noqa: F403
from multitenant.settings import MIDDLEWARE

MIDDLEWARE = [name for name in MIDDLEWARE if name != "School.middleware.SchoolMiddleware"]
DATABASE_ROUTERS = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": sqlite_name(os.environ["SINGLE_SCHOOL_DB"]),
        "OPTIONS": {"timeout": 20},
    }
}
