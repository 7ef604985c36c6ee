"""Restore, clone and move one school, always into a NEW database.

Every operation follows the same order, so that `kill -9` at any moment
leaves either the old state or the new one, never a mix:

1. check the whole backup file (format, checksums, not truncated, migration
   state known to this code) before writing anything;
2. write into a new database under a name of its own (a new SQLite file, a
   new MongoDB database), migrated to the backup's migration state, then
   load the rows, then migrate it to this code's state;
3. switch the registry in one step (one row, or one transaction with the
   hosts): a crash before it leaves an unregistered database nobody serves.

Replacing and moving suspend the school (503) during the copy and wait out
SCHOOL_REGISTRY_TTL, so that no worker writes to the old database meanwhile.
Loading the rows into the new database: School.operations.loading.
"""

import logging
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from multitenant.databases import MONGODB
from School.accounts.invitations import withdraw_all
from School.connections import drop_database, ensure_alias, forget_alias, sqlite_file
from School.context import tenant_context
from School.documents.archive import copied_files_match
from School.documents.service import recount_school_usage
from School.events import school_data_replaced
from School.identity.registry import renumber
from School.models import School
from School.operations.backups import (
    BackupError,
    BackupFile,
    backup_path,
    backups_dir,
    school_models,
    table_digests,
    utc_stamp,
    write_backup,
)
from School.operations.loading import build_database
from School.operations.provisioning import (
    SchoolError,
    check_hosts_free,
    check_new_name,
    migration_graph_nodes,
    check_locale,
    register_school,
    set_suspended,
)
from School.utils import DEFAULT_SCHOOL, SchoolInfo, school_by_name

logger = logging.getLogger(__name__)


def new_location(name, directory=None):
    """A database place no school uses yet: a new SQLite file, or a new MongoDB database name."""
    suffix = f"{utc_stamp().lower()}_{uuid.uuid4().hex[:6]}"
    if settings.SCHOOL_ENGINE == MONGODB:
        return f"{settings.MONGODB_DB_PREFIX}{name}_{suffix}"
    return str(Path(directory or settings.SCHOOL_DB_DIR).resolve() / f"{name}-{suffix}.sqlite3")


def _target(name, location, mongodb_uri="", cluster=""):
    # The new database gets an alias of its own while it is built: the
    # school's alias keeps pointing at the data it serves now.
    return SchoolInfo(f"{name}__new_{uuid.uuid4().hex[:8]}", name, (), mongodb_uri, False, location, cluster)


def check_backup(path):
    """The verified BackupFile; BackupError if anything in it is wrong or too new."""
    backup = BackupFile(path)
    manifest = backup.verify()
    if manifest["engine"] == connections[DEFAULT_DB_ALIAS].vendor:
        lacking = sorted(tuple(node) for node in manifest["migrations"] if tuple(node) not in migration_graph_nodes())
        if lacking:
            names = ", ".join(f"{app}.{name}" for app, name in lacking)
            raise BackupError(f"{path} comes from newer code: this code lacks the migrations {names}")
    return backup


def _drop_new(target):
    try:
        drop_database(target)
    except Exception:  # the error that brought us here matters more
        logger.exception("could not drop the unfinished database %s", target.database)


def restore_as(path, name, hosts, display_name=""):
    """A new school `name` at `hosts` from the backup at `path`."""
    backup = check_backup(path)
    check_new_name(name)
    hosts = check_hosts_free(hosts)
    if not hosts:
        raise SchoolError(f"school {name!r} needs at least one --host")
    target = _target(name, new_location(name))
    _build_or_drop(backup, target)
    if not display_name and backup.school == name:  # a school put back under its own name
        display_name = backup.manifest.get("display_name", "")
    _register_or_drop(target, name, hosts, display_name, locale=backup.manifest.get("locale"))
    recount_school_usage(name)
    logger.info("restored from %s", path, extra={"school": name})
    return school_by_name(name)


def _build_or_drop(backup, target, schema_only=False):
    try:
        build_database(backup, target, schema_only)
    except BaseException:
        _drop_new(target)
        raise


def _register_or_drop(target, name, hosts, display_name, locale=None):
    """Serve the new database as school `name`, or (registry full, ...) leave no unserved copy behind."""
    try:
        register_school(name, hosts, display_name, database=target.database, locale=locale)
    except SchoolError:  # raised before anything was committed
        _drop_new(target)
        raise


def _registered(name):
    if name == DEFAULT_SCHOOL:
        raise SchoolError("the default school holds the registry: it cannot be replaced or moved")
    school = school_by_name(name)
    if school is None:
        raise SchoolError(f"unknown school {name!r}")
    return school


@contextmanager
def _suspended(school):
    """Suspend the school for the copy; resume it (old data) if the copy fails."""
    set_suspended(school.name, True)
    # Every worker sees the suspension within SCHOOL_REGISTRY_TTL: after
    # that, nobody writes to the old database any more.
    time.sleep(settings.SCHOOL_REGISTRY_TTL)
    try:
        yield
    except BaseException:
        set_suspended(school.name, False)
        raise


def _switch(name, database, mongodb_uri=None, locale=None):
    """Serve the school from its new database, resumed (with the backup's locale, if given): one row, one step."""
    row = School.objects.using(DEFAULT_DB_ALIAS).get(name=name)
    row.database, row.suspended = database, False
    fields = ["database", "suspended", "updated_at"]
    for field, value in check_locale(locale).items():
        setattr(row, field, value)
        fields.append(field)
    if mongodb_uri is not None:
        row.mongodb_uri = mongodb_uri
        fields.append("mongodb_uri")
    row.save(update_fields=fields)  # the save signal tells every worker
    school_data_replaced.send(sender=School, school=name)


def _old_database(school):
    # Under an alias of its own: the school's alias follows the switch.
    return SchoolInfo(f"{school.name}__old", school.name, (), school.mongodb_uri, False, _place(school), school.cluster)


def _place(school):
    if settings.SCHOOL_ENGINE == MONGODB:
        return school.database or f"{settings.MONGODB_DB_PREFIX}{school.name}"
    return str(sqlite_file(school))


def replace(path, name):
    """Put school `name` back as it was in the backup; returns the file keeping the replaced data."""
    backup = check_backup(path)
    school = _registered(name)
    if backup.school != name:
        raise SchoolError(f"{path} is a backup of school {backup.school!r}, not of {name!r}: restore it with --as")
    # On the school's own cluster: the registry keeps pointing there.
    target = _target(name, new_location(name), school.mongodb_uri, school.cluster)
    with _suspended(school):
        # Apart from the nightly backups, so that `backup --keep` never deletes it.
        kept = Path(write_backup(school, backup_path(backups_dir() / "replaced", name))["path"])
        try:
            _build_or_drop(backup, target)
        except BaseException:
            kept.unlink()  # the replaced data is still the school's
            raise
    _switch(name, target.database, locale=backup.manifest.get("locale"))
    recount_school_usage(name)
    drop_database(_old_database(school))  # its rows and files are in `kept`
    logger.info("replaced from %s; the replaced data is in %s", path, kept, extra={"school": name})
    return kept


def _withdraw_invitations(target):
    """A clone is a copy to look at or train on: nobody joins it through the source's invitations."""
    alias = ensure_alias(target)
    try:
        withdrawn = withdraw_all(alias)
    finally:
        forget_alias(target.alias)
    if withdrawn:
        logger.info("%d live invitation(s) of the source revoked in the clone", withdrawn, extra={"school": target.display_name})


def _new_learner_numbers(target):
    """A clone's children get new learner numbers: with the source's, each would be a certain duplicate of itself."""
    alias = ensure_alias(target)
    try:
        renumber(alias)
    finally:
        forget_alias(target.alias)


def clone(source, name, hosts, display_name="", schema_only=False):
    """A new school `name` with a copy of `source`'s data (or only its schema)."""
    origin = school_by_name(source)
    if origin is None:
        raise SchoolError(f"unknown school {source!r}")
    check_new_name(name)
    hosts = check_hosts_free(hosts)
    target = _target(name, new_location(name))
    with tempfile.TemporaryDirectory(dir=settings.SCHOOL_DATA_DIR) as scratch:
        backup = None
        if not schema_only:
            with tenant_context(origin):
                write_backup(origin, Path(scratch) / f"{source}.jsonl.gz")
            backup = check_backup(Path(scratch) / f"{source}.jsonl.gz")
        _build_or_drop(backup, target, schema_only)
        if not schema_only:
            _withdraw_invitations(target)
            _new_learner_numbers(target)
    locale = {"language": origin.language, "time_zone": origin.time_zone, "date_order": origin.date_order}
    _register_or_drop(target, name, hosts, display_name, locale=locale)
    recount_school_usage(name)
    logger.info("cloned from %s%s", source, " (schema only)" if schema_only else "", extra={"school": name})
    return school_by_name(name)


def parse_destination(destination):
    """(directory or None, mongodb_uri or None) from `sqlite`, `sqlite:DIR` or a cluster URI."""
    if destination == "sqlite" or destination.startswith("sqlite:"):
        if settings.SCHOOL_ENGINE == MONGODB:
            raise SchoolError("this deployment keeps schools on MongoDB: move to SQLite by backup here and restore there")
        directory = Path(destination.partition(":")[2] or settings.SCHOOL_DB_DIR)
        return directory, None
    if destination.startswith(("mongodb://", "mongodb+srv://")):
        if settings.SCHOOL_ENGINE != MONGODB:
            raise SchoolError("this deployment keeps schools in SQLite files: move to MongoDB by backup here and restore there")
        return None, destination
    raise SchoolError(f"bad destination {destination!r}: give sqlite, sqlite:DIRECTORY or a mongodb:// cluster URI")


def move(name, destination, drop_source=False):
    """Copy the school to `destination`, check it, serve it from there; returns (new place, seconds suspended)."""
    school = _registered(name)
    directory, cluster = parse_destination(destination)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    location = new_location(name, directory) if cluster is None else f"{settings.MONGODB_DB_PREFIX}{name}"
    target = _target(name, location, cluster) if cluster is not None else _target(
        name, location, school.mongodb_uri, school.cluster
    )
    source = _old_database(school)
    started = time.monotonic()
    with _suspended(school), tempfile.TemporaryDirectory(dir=settings.SCHOOL_DATA_DIR) as scratch:
        copy = Path(scratch) / f"{name}.jsonl.gz"
        with tenant_context(source):
            write_backup(source, copy)
        backup = check_backup(copy)
        _build_or_drop(backup, target)
        _verify_copy(backup, target)
    _switch(name, target.database, cluster)
    seconds = time.monotonic() - started
    recount_school_usage(name)
    if drop_source:
        drop_database(source)
    logger.info("moved to %s in %.1fs", _place(target), seconds, extra={"school": name})
    return _place(target), seconds


def _verify_copy(backup, target):
    alias = ensure_alias(target)
    try:
        with tenant_context(target):
            models = school_models(alias, include_sessions=backup.manifest.get("sessions", False))
            copied = table_digests(alias, models)
            files_match = copied_files_match(backup.files_summary, alias)
    finally:
        forget_alias(target.alias)
    for label, summary in backup.tables_summary.items():
        if copied.get(label) != (summary["rows"], summary["sha256"]):
            _drop_new(target)
            raise SchoolError(f"the copy of table {label} differs from the source: the move was undone")
    if not files_match:
        _drop_new(target)
        raise SchoolError("the copy of the students' files differs from the source: the move was undone")
