"""A migrated template database that new SQLite schools are copied from.

Running every migration on a new school costs ~190 ms; copying a file that
is already at the current migration state costs a few. The template is named
after a hash of the project's migration graph (`.template-<hash>.sqlite3` in
the data directory), so code with new or renamed migrations builds a new one
on first use and never copies a stale one. It is built under a temporary
name and renamed into place, and a school's file appears under its own name
only once complete (hard link of a synced copy), so a crash at any point
leaves either nothing or a whole, migrated database.

On MongoDB there is no file to copy: provisioning runs `migrate` in process,
with the migration graph already loaded (see School.operations.migrating.migrate_school).
"""

import hashlib
import logging
import os
import shutil
import uuid

from django.conf import settings

from multitenant.databases import sqlite_path
from School.connections import forget_alias
from School.operations.durable import fsync
from School.operations.migrating import migrate_school, migration_graph_nodes
from School.sqlite_files import make_self_contained, remove_database_files

logger = logging.getLogger(__name__)

TEMPLATE_PREFIX = ".template-"


def migration_state():
    """A short hash of every migration of the project and of the standard groups: changes when either does.

    The groups are made by post_migrate (School/accounts/groups.py), not by a
    migration: a permission given to a group without a new migration (the
    school year's pages gave School admins two) must still not be missing
    from schools copied from a template built before it.
    """
    from School.accounts.groups import SPECS

    nodes = "\n".join(sorted(f"{app}.{name}" for app, name in migration_graph_nodes()))
    return hashlib.sha256(f"{nodes}\n{SPECS!r}".encode()).hexdigest()[:16]


def template_path():
    # Names of schools start with a letter: a leading dot can never collide.
    return sqlite_path(settings.SCHOOL_DB_DIR, f"{TEMPLATE_PREFIX}{migration_state()}")


def ensure_template():
    """The path of the template at the current migration state, built if missing."""
    from School.utils import SchoolInfo

    path = template_path()
    if path.exists():
        return path
    building = SchoolInfo(f"{path.stem}.building-{uuid.uuid4().hex[:8]}", "template")
    building_path = sqlite_path(settings.SCHOOL_DB_DIR, building.name)
    try:
        migrate_school(building)
        forget_alias(building.name)
        # Out of WAL mode: the template is then one file, which copy_template
        # may copy as it is (a WAL-mode file copied without its -wal is not
        # the database). Each school switches to WAL on its first connection.
        make_self_contained(building_path)
        fsync(building_path)
        # Two processes building at once both produce a valid template: the
        # last rename wins, and a copy in progress keeps its open file.
        os.replace(building_path, path)
    finally:
        forget_alias(building.name)
        remove_database_files(building_path)
    logger.info("template database built at %s", path.name)
    for stale in path.parent.glob(f"{TEMPLATE_PREFIX}*.sqlite3"):
        if stale != path and ".building-" not in stale.name:
            stale.unlink(missing_ok=True)
    return path


def copy_template(name):
    """Create school `name`'s database as a copy of the template; False if it already exists."""
    target = sqlite_path(settings.SCHOOL_DB_DIR, name)
    if target.exists():
        return False
    source = ensure_template()
    partial = target.with_name(f".{target.name}.copy-{uuid.uuid4().hex[:8]}")
    try:
        shutil.copyfile(source, partial)
        fsync(partial)
        # A hard link never replaces an existing file: a school's data is
        # never overwritten, even by a provisioning that raced another.
        os.link(partial, target)
        fsync(target.parent)
    except FileExistsError:
        return False
    finally:
        partial.unlink(missing_ok=True)
    return True

