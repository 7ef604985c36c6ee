"""A school's SQLite database is up to three files: NAME.sqlite3, -wal and -shm.

In WAL mode (multitenant.databases.sqlite_init_command) committed changes
live in NAME.sqlite3-wal until a checkpoint copies them into the main file,
and NAME.sqlite3-shm indexes the WAL for the connections sharing it. A copy
of the main file alone is therefore not the database: code that copies,
moves or deletes a school's file goes through here.
"""

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from django.db import connections, transaction

from School.operations.durable import fsync

# "-journal": the rollback journal a database left in that mode may still have.
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def database_files(path):
    """The main file and every side file SQLite may keep beside it."""
    path = Path(path)
    return [path, *(path.with_name(path.name + suffix) for suffix in SIDE_SUFFIXES)]


def remove_database_files(path):
    for file in database_files(path):
        file.unlink(missing_ok=True)


def make_self_contained(path):
    """Fold the WAL into the main file and leave WAL mode: a plain copy of the file is then the database.

    For files nobody else has open (a template being built): switching the
    journal mode needs the only connection. Schools copied from it switch back
    to WAL on their first connection.
    """
    connection = sqlite3.connect(path, timeout=60)
    try:
        mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    finally:
        connection.close()
    if mode.lower() != "delete":
        raise sqlite3.OperationalError(f"{Path(path).name} is still in {mode} mode: another process has it open")


def make_durable(path):
    """Sync every file of the database, and the directory's entries, before it is trusted."""
    path = Path(path)
    for file in database_files(path):
        if file.exists():
            fsync(file)
    fsync(path.parent)


@contextmanager
def read_snapshot(alias):
    """One read transaction: every query inside sees the same moment, and no writer waits for it.

    School databases begin transactions IMMEDIATE (they take the write lock);
    a long read such as a backup must not hold that lock, so its transaction
    begins DEFERRED. (MongoDB reads each collection as of its own moment.)
    """
    connection = connections[alias]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()  # opening a connection sets transaction_mode
    mode, connection.transaction_mode = connection.transaction_mode, None
    try:
        with transaction.atomic(using=alias):
            connection.transaction_mode = mode
            yield
    finally:
        connection.transaction_mode = mode
