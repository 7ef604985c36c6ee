"""Where a school's data lives: the database configuration of one school.

Every school (the root `default` school included) gets its own database: a
SQLite file under the data directory on the embedded default, or a MongoDB
database `<prefix><name>` when MONGODB_URI is set. This module is pure (no
app or model imports) so that settings.py and the runtime alias registration
in School.connections build configurations with the same code.
"""

from pathlib import Path

SQLITE = "sqlite"
MONGODB = "mongodb"


def engine_for(mongodb_uri):
    """The storage engine the deployment runs on."""
    return MONGODB if mongodb_uri else SQLITE


def sqlite_path(db_dir, name):
    return Path(db_dir) / f"{name}.sqlite3"


def school_database(name, *, engine, db_dir, mongodb_uri="", db_prefix="school_", options=None):
    """A complete-enough DATABASES entry for the school called `name`.

    Django fills the remaining keys (TIME_ZONE, TEST, ...) itself for aliases
    it reads from settings; aliases added at run time get them from
    School.connections, which passes this through the same defaults.
    """
    if engine == MONGODB:
        return {
            "ENGINE": "django_mongodb_backend",
            "HOST": mongodb_uri,
            "NAME": f"{db_prefix}{name}",
            "OPTIONS": dict(options or {}),
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(sqlite_path(db_dir, name)),
        # A registrar's save and a page load from another worker must not
        # trip over each other: wait for the lock instead of failing at once.
        "OPTIONS": {"timeout": 20, **(options or {})},
    }
