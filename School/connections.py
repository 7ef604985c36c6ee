"""Database aliases of schools, added to Django's connections at run time.

Only `default` is in settings.DATABASES when the process starts; a school's
alias is added the first time a request or command needs it, with a complete
configuration (Django fills TIME_ZONE, OPTIONS, TEST, ... only for aliases it
reads at start-up, so an alias added later must get them here).
"""

import logging
import sqlite3
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from multitenant.databases import MONGODB, school_database, sqlite_path

logger = logging.getLogger(__name__)
_lock = threading.Lock()


def database_config(school):
    return school_database(
        school.name,
        engine=settings.SCHOOL_ENGINE,
        db_dir=settings.SCHOOL_DB_DIR,
        mongodb_uri=school.mongodb_uri or settings.MONGODB_URI,
        db_prefix=settings.MONGODB_DB_PREFIX,
        timeout_ms=settings.MONGODB_TIMEOUT_MS,
        offline=settings.SCHOOL_DATABASES_OFFLINE,
    )


def ensure_alias(school):
    """Make `school.alias` a usable database alias in this process."""
    alias = school.alias
    if alias in connections.settings:
        return alias
    with _lock:
        if alias not in connections.settings:
            if settings.SCHOOL_ENGINE != MONGODB:
                settings.SCHOOL_DB_DIR.mkdir(parents=True, exist_ok=True)
            complete = connections.configure_settings(
                {DEFAULT_DB_ALIAS: connections.settings[DEFAULT_DB_ALIAS], alias: database_config(school)}
            )[alias]
            connections.settings[alias] = complete
            logger.debug("database alias added", extra={"school": alias})
    return alias


def create_database_file(school):
    """Create the school's SQLite file (aliases open existing files only)."""
    if settings.SCHOOL_ENGINE == MONGODB:
        return  # MongoDB creates a database with its first collection
    path = sqlite_path(settings.SCHOOL_DB_DIR, school.name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()


def forget_alias(name):
    """Close this thread's connection to the school and remove its alias."""
    if name == DEFAULT_DB_ALIAS or name not in connections.settings:
        return
    with _lock:
        connections[name].close()
        del connections[name]
        connections.settings.pop(name, None)


def drop_database(school):
    """Delete the school's data for good (schools remove --drop-data)."""
    if settings.SCHOOL_ENGINE == MONGODB:
        alias = ensure_alias(school)
        connection = connections[alias]
        connection.ensure_connection()
        connection.connection.drop_database(connection.settings_dict["NAME"])
        forget_alias(school.name)
        return
    forget_alias(school.name)
    path = sqlite_path(settings.SCHOOL_DB_DIR, school.name)
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
