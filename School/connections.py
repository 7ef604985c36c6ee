"""Database aliases of schools, added to Django's connections at run time.

Only `default` is in settings.DATABASES when the process starts; a school's
alias is added the first time a request or command needs it, with a complete
configuration (Django fills TIME_ZONE, OPTIONS, TEST, ... only for aliases it
reads at start-up, so an alias added later must get them here).
"""

import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from asgiref.local import Local
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from multitenant.databases import MAIN_CLUSTER, MONGODB, files_dir, school_database, sqlite_path
from School.sqlite_files import remove_database_files

logger = logging.getLogger(__name__)
_lock = threading.Lock()


def sqlite_file(school):
    """The SQLite file of a school (on the embedded default)."""
    return Path(school.database) if school.database else sqlite_path(settings.SCHOOL_DB_DIR, school.name)


def database_config(school):
    return school_database(
        school.name,
        engine=settings.SCHOOL_ENGINE,
        db_dir=settings.SCHOOL_DB_DIR,
        mongodb_uri=cluster_uri(school),
        db_prefix=settings.MONGODB_DB_PREFIX,
        timeout_ms=settings.MONGODB_TIMEOUT_MS,
        offline=settings.SCHOOL_DATABASES_OFFLINE,
        location=school.database,
        conn_max_age=settings.SCHOOL_CONN_MAX_AGE,
        busy_timeout=settings.SCHOOL_SQLITE_BUSY_TIMEOUT,
        synchronous=settings.SCHOOL_SQLITE_SYNCHRONOUS,
        heap_mib=settings.SCHOOL_SQLITE_HEAP_MIB,
    )


def cluster_uri(school):
    """The URI of the cluster holding the school's database (MongoDB)."""
    if school.mongodb_uri:
        return school.mongodb_uri
    return settings.MONGODB_CLUSTERS.get(school.cluster or MAIN_CLUSTER, settings.MONGODB_URI)


# alias -> (database, mongodb_uri) its configuration was made for: a school
# restored with --replace or moved keeps its alias but changes place.
_locations = {}


def _location(school):
    return (school.database, cluster_uri(school))


def ensure_alias(school):
    """Make `school.alias` a usable database alias in this process, for where its data is now."""
    alias = school.alias
    if alias in connections.settings and _locations.get(alias, _location(school)) == _location(school):
        _drop_stale_connection(alias)
        return alias
    with _lock:
        if alias not in connections.settings or _locations.get(alias, _location(school)) != _location(school):
            if settings.SCHOOL_ENGINE != MONGODB:
                settings.SCHOOL_DB_DIR.mkdir(parents=True, exist_ok=True)
            complete = connections.configure_settings(
                {DEFAULT_DB_ALIAS: connections.settings[DEFAULT_DB_ALIAS], alias: database_config(school)}
            )[alias]
            connections.settings[alias] = complete
            _locations[alias] = _location(school)
            logger.debug("database alias configured", extra={"school": alias})
    _drop_stale_connection(alias)
    return alias


def _drop_stale_connection(alias):
    # Connections are per thread and keep the settings they were made with:
    # after the school changed place, this thread's old one must go.
    # (connections._connections is Django's per-thread store; reading it
    # does not open a connection.)
    connection = getattr(connections._connections, alias, None)
    if connection is None:
        return
    if connection.settings_dict is not connections.settings[alias]:
        connection.close()
        delattr(connections._connections, alias)
    elif not _close_if_stale(connection):
        _mark_used(alias)


def create_database_file(school):
    """Create the school's SQLite file (aliases open existing files only)."""
    if settings.SCHOOL_ENGINE == MONGODB:
        return  # MongoDB creates a database with its first collection
    path = sqlite_file(school)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()


def forget_alias(name):
    """Close this thread's connection to the school and remove its alias."""
    if name == DEFAULT_DB_ALIAS or name not in connections.settings:
        return
    with _lock:
        connections[name].close()
        _opened_aliases().pop(name, None)
        del connections[name]
        connections.settings.pop(name, None)
        _locations.pop(name, None)


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
    path = sqlite_file(school)
    remove_database_files(path)
    # The students' photos and documents (School.documents) go with the data.
    shutil.rmtree(files_dir(path), ignore_errors=True)


# Django closes finished connections around every request by visiting every
# alias the process has ever used (close_old_connections): with one alias per
# school that is O(schools served) twice per request - 0.1 ms at 50 schools,
# 0.4 ms at 200. Kept connections would make even "the aliases this thread has
# open" that long (up to SCHOOL_KEPT_CONNECTIONS). So a request visits the
# connections it used; the rest of the thread's open connections are swept
# (expired, stale, or errors left behind) at most once every SWEEP_INTERVAL.
_opened = Local()
SWEEP_INTERVAL = 1.0  # seconds


def _this_thread(name, factory):
    try:
        return getattr(_opened, name)
    except AttributeError:
        value = factory()
        setattr(_opened, name, value)
        return value


def _opened_aliases():
    """This thread's aliases with an open connection, least recently used first."""
    return _this_thread("aliases", OrderedDict)


def _used_aliases():
    """The aliases used since the last request ended."""
    return _this_thread("used", set)


def _mark_used(alias):
    try:
        _opened_aliases().move_to_end(alias)
    except KeyError:
        return
    _used_aliases().add(alias)


def _sweep_due():
    now = time.monotonic()
    if now < getattr(_opened, "sweep_at", 0.0):
        return False
    _opened.sweep_at = now + SWEEP_INTERVAL
    return True


# A kept SQLite connection (SCHOOL_CONN_MAX_AGE) must not outlive what it was
# opened for. Two things can change under it without its settings changing:
# its file can be deleted or replaced (SQLite would go on reading the old
# file through its open descriptor), and the registry can change (a school
# removed and added again under the same name and path). The first is seen by
# the file's identity, checked with one stat() per request; the second by an
# epoch that every registry change this process sees moves on.
_epoch = 0


def registry_changed():
    """Retire every kept connection of this process (all threads): the registry changed."""
    global _epoch
    _epoch += 1


def registry_epoch():
    """Moves on with every registry change this process sees: what is kept per school is stale once it has."""
    return _epoch


def alias_sqlite_file(alias):
    """The SQLite file a configured alias opens (its files directory is beside it)."""
    return Path(_sqlite_file(connections.settings[alias]))


def _sqlite_file(settings_dict):
    name = str(settings_dict["NAME"])
    return url2pathname(urlparse(name).path) if name.startswith("file:") else name


def _file_identity(path):
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _kept_connection_is_stale(connection):
    kept = getattr(connection, "school_kept", None)
    if kept is None:
        return False
    epoch, path, identity = kept
    return epoch != _epoch or _file_identity(path) != identity


def _close_if_stale(connection):
    """Close a kept connection whose file or registry changed under it (never inside a transaction)."""
    if connection.connection is not None and not connection.in_atomic_block and _kept_connection_is_stale(connection):
        connection.close()
        return True
    return False


def note_opened_connection(sender, connection, **kwargs):
    aliases = _opened_aliases()
    aliases.pop(connection.alias, None)
    aliases[connection.alias] = True
    _used_aliases().add(connection.alias)
    if connection.vendor == "sqlite" and connection.settings_dict["CONN_MAX_AGE"]:
        path = _sqlite_file(connection.settings_dict)
        connection.school_kept = (_epoch, path, _file_identity(path))


def close_request_connections(**kwargs):
    """close_old_connections, for the connections this request used.

    Connections with CONN_MAX_AGE stay open (their page cache warm) for the
    next request, SCHOOL_KEPT_CONNECTIONS of them at most per thread.
    """
    aliases = _opened_aliases()
    used = _used_aliases()
    sweep = _sweep_due()
    visit = list(aliases) if sweep else [alias for alias in used if alias in aliases]
    used.clear()
    for alias in visit:
        if alias not in connections.settings:
            aliases.pop(alias, None)
            continue
        connection = connections[alias]
        connection.close_if_unusable_or_obsolete()
        if sweep:
            _close_if_stale(connection)  # a kept file removed elsewhere: let its disk space go
        # Keep watching persistent connections only; without CONN_MAX_AGE the
        # connection is closed now (or, for MongoDB's shared client, never
        # closed per request, so there is nothing to watch).
        if connection.connection is None or not connection.settings_dict["CONN_MAX_AGE"]:
            aliases.pop(alias, None)
    # (pop, not del: under ASGI, requests in several threads can share this record)
    for alias in list(aliases)[:max(0, len(aliases) - settings.SCHOOL_KEPT_CONNECTIONS)]:
        aliases.pop(alias, None)
        connections[alias].close()


def install_request_connection_handling():
    from django.core import signals
    from django.db import close_old_connections
    from django.db.backends.signals import connection_created

    connection_created.connect(note_opened_connection, dispatch_uid="school-opened-connection")
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
        signal.connect(close_request_connections, dispatch_uid="school-close-connections")
