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
"""

import datetime
import functools
import logging
import tempfile
import time
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models.query import QuerySet

from multitenant.databases import MONGODB
from School.connections import create_database_file, drop_database, ensure_alias, forget_alias, sqlite_file
from School.context import tenant_context
from School.models import School
from School.operations.backups import (
    BackupError,
    BackupFile,
    backup_path,
    backups_dir,
    fsync,
    school_models,
    table_digests,
    utc_stamp,
    write_backup,
)
from School.operations.provisioning import (
    SchoolError,
    check_hosts_free,
    check_new_name,
    migrate_school,
    pending_migrations,
    register_school,
    set_suspended,
)
from School.utils import DEFAULT_SCHOOL, SchoolInfo, school_by_name

logger = logging.getLogger(__name__)

BATCH = 1000


def new_location(name, directory=None):
    """A database place no school uses yet: a new SQLite file, or a new MongoDB database name."""
    suffix = f"{utc_stamp().lower()}_{uuid.uuid4().hex[:6]}"
    if settings.SCHOOL_ENGINE == MONGODB:
        return f"{settings.MONGODB_DB_PREFIX}{name}_{suffix}"
    return str(Path(directory or settings.SCHOOL_DB_DIR).resolve() / f"{name}-{suffix}.sqlite3")


def _target(name, location, mongodb_uri=""):
    # The new database gets an alias of its own while it is built: the
    # school's alias keeps pointing at the data it serves now.
    return SchoolInfo(f"{name}__new_{uuid.uuid4().hex[:8]}", name, (), mongodb_uri, False, location)


def check_backup(path):
    """The verified BackupFile; BackupError if anything in it is wrong or too new."""
    backup = BackupFile(path)
    manifest = backup.verify()
    if manifest["engine"] == connections[DEFAULT_DB_ALIAS].vendor:
        from School.operations.provisioning import migration_graph_nodes

        lacking = sorted(tuple(node) for node in manifest["migrations"] if tuple(node) not in migration_graph_nodes())
        if lacking:
            names = ", ".join(f"{app}.{name}" for app, name in lacking)
            raise BackupError(f"{path} comes from newer code: this code lacks the migrations {names}")
    return backup


def _migration_targets(executor, manifest):
    """Per app, the last migration the backup's database had (same engine), else every leaf."""
    graph = executor.loader.graph
    if manifest["engine"] != executor.connection.vendor:
        # Another engine has another migration tree: load into this code's
        # current schema (a cross-engine backup must come from the same version).
        return graph.leaf_nodes()
    applied = {tuple(node) for node in manifest["migrations"]}
    targets = []
    for app in sorted(executor.loader.migrated_apps):
        nodes = [node for node in applied if node[0] == app]
        targets.append(max(nodes, key=lambda node: len(graph.forwards_plan(node))) if nodes else (app, None))
    return targets


def _pk_value_maker(pk):
    if pk.get_internal_type() == "ObjectIdAutoField":
        from bson import ObjectId

        return ObjectId
    counter = iter(range(1, 1 << 62))
    return lambda: next(counter)


def _keeps(field, value):
    try:
        field.to_python(value)
        return True
    except (ValidationError, TypeError, ValueError):
        return False


# Fields whose Python value is already what the SQL drivers take: not calling
# get_db_prep_save() for each of their values halves the time of a restore.
_PLAIN = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "IntegerField", "SmallIntegerField",
    "PositiveBigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "BooleanField",
    "CharField", "TextField", "EmailField", "SlugField", "URLField",
})


# Text a backup holds for these, read back without Django's slower parsers.
_READERS = {"DateTimeField": datetime.datetime.fromisoformat, "DateField": datetime.date.fromisoformat}
# ... and what SQL drivers take for them, without the per-value checks.
_ADAPTERS = {"DateTimeField": "adapt_datetimefield_value", "DateField": "adapt_datefield_value"}


def _kind(field):
    return (field.target_field if field.is_relation else field).get_internal_type()


def _reader(field, same_ids):
    """How a value of the file becomes the field's Python value (None: JSON already made it)."""
    kind = _kind(field)
    if kind in _PLAIN and same_ids:
        return None
    return _READERS.get(kind, field.to_python)


def _sql_writer(connection, model, fields):
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields), ", ".join(["%s"] * len(fields))
    )
    preps = [
        None if _kind(field) in _PLAIN
        else getattr(connection.ops, _ADAPTERS[_kind(field)]) if _kind(field) in _ADAPTERS
        else functools.partial(field.get_db_prep_save, connection=connection)
        for field in fields
    ]

    def write(batch):
        with connection.cursor() as cursor:
            cursor.executemany(
                sql, [[v if prep is None or v is None else prep(v) for prep, v in zip(preps, values)] for values in batch]
            )

    return write


def _orm_writer(connection, model, fields):
    # MongoDB has no SQL: the ORM's own insert, raw (no auto_now, no signals).
    queryset, attnames = QuerySet(model, using=connection.alias), [field.attname for field in fields]

    def write(batch):
        objs = [SimpleNamespace(**dict(zip(attnames, values))) for values in batch]
        queryset._insert(objs, fields=fields, using=connection.alias, raw=True)

    return write


def _load_table(connection, model, names, rows, translated, referenced, same_ids):
    """Insert one table's rows in batches, as they were."""
    label = model._meta.label_lower
    fields = list(model._meta.concrete_fields)
    unknown = set(names) - {field.attname for field in fields}
    if unknown:
        raise BackupError(f"table {label} of the backup has fields this schema lacks: {', '.join(sorted(unknown))}")
    pk = model._meta.pk
    pk_index, pk_position = names.index(pk.attname), fields.index(pk)
    # Per field of the table: where its value is in a row of the file (None:
    # a field added since the backup, which gets its default).
    sources = [
        (names.index(field.attname) if field.attname in names else None, _reader(field, same_ids),
         field.related_model._meta.label_lower if field.is_relation else None, field.get_default)
        for field in fields
    ]
    write = (_orm_writer if connection.vendor == "mongodb" else _sql_writer)(connection, model, fields)
    batch, new_pk, mapping = [], None, None
    for row in rows:
        if new_pk is None:
            # Ids of one engine may not fit the other (integers vs ObjectIds):
            # then rows get new ids, and references to them are translated.
            # (An ObjectId's hex text can be all digits: only the engine says what it is.)
            keeps = same_ids or pk is not model._meta.auto_field  # natural keys (a token's key) stay
            new_pk = False if keeps and _keeps(pk, row[pk_index]) else _pk_value_maker(pk)
            if new_pk and label in referenced:
                mapping = translated.setdefault(label, {})
        values = []
        for index, to_python, target, default in sources:
            if index is None:
                values.append(default())
                continue
            value = row[index]
            if value is not None and not (new_pk and index == pk_index):
                if target in translated:
                    value = translated[target].get(value)
                elif to_python is not None:
                    value = to_python(value)
            values.append(value)
        if new_pk:
            values[pk_position] = new_pk()
            if mapping is not None:
                mapping[row[pk_index]] = values[pk_position]
        batch.append(values)
        if len(batch) >= BATCH:
            write(batch)
            batch = []
    if batch:
        write(batch)


def build_database(backup, target, schema_only=False):
    """Create `target`'s database from a verified backup, migrated to this code's state."""
    alias = ensure_alias(target)
    try:
        if schema_only:
            migrate_school(target)
        else:
            create_database_file(target)
            with tenant_context(target):
                _unsynced(connections[alias])
                _load(backup, connections[alias])
            if pending_migrations(target):  # an older backup; else there is nothing to run
                migrate_school(target)
        _make_durable(target)
    finally:
        forget_alias(target.alias)


def _load(backup, connection):
    """Migrate the empty database to the backup's state and insert every row."""
    executor = MigrationExecutor(connection)
    connection.prepare_database()
    targets = _migration_targets(executor, backup.manifest)
    executor.migrate(targets)
    state_apps = executor.loader.project_state(targets, at_end=True).apps
    models = {model._meta.label_lower: model for model in school_models(connection.alias, state_apps, True)}
    referenced = {
        field.related_model._meta.label_lower
        for model in models.values()
        for field in model._meta.concrete_fields
        if field.is_relation
    }
    translated = {}
    same_ids = (backup.manifest["engine"] == "mongodb") == (connection.vendor == "mongodb")
    with transaction.atomic(using=connection.alias) if connection.vendor == "sqlite" else nullcontext():
        for label, names, rows in backup.tables():
            if label not in models:
                raise BackupError(f"table {label} of the backup has no place in this code's schema")
            _load_table(connection, models[label], names, rows, translated, referenced, same_ids)


def _unsynced(connection):
    # A database nobody serves yet need not survive a power cut step by step:
    # one fsync once it is complete (_make_durable) instead of one per
    # migration and commit, which is most of a restore's time on a busy disk.
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.execute("PRAGMA synchronous=OFF")


def _make_durable(target):
    """On disk before the registry points at it (MongoDB acknowledges writes itself)."""
    if settings.SCHOOL_ENGINE == MONGODB:
        return
    connections[target.alias].close()
    path = sqlite_file(target)
    fsync(path)
    fsync(path.parent)


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
    register_school(name, hosts, display_name, database=target.database)
    logger.info("restored from %s", path, extra={"school": name})
    return school_by_name(name)


def _build_or_drop(backup, target, schema_only=False):
    try:
        build_database(backup, target, schema_only)
    except BaseException:
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


def _switch(name, database, mongodb_uri=None):
    """Serve the school from its new database, resumed: one row, one step."""
    row = School.objects.using(DEFAULT_DB_ALIAS).get(name=name)
    row.database, row.suspended = database, False
    fields = ["database", "suspended", "updated_at"]
    if mongodb_uri is not None:
        row.mongodb_uri = mongodb_uri
        fields.append("mongodb_uri")
    row.save(update_fields=fields)  # the save signal tells every worker


def _old_database(school):
    # Under an alias of its own: the school's alias follows the switch.
    return SchoolInfo(f"{school.name}__old", school.name, (), school.mongodb_uri, False, _place(school))


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
    target = _target(name, new_location(name))
    with _suspended(school):
        # Apart from the nightly backups, so that `backup --keep` never deletes it.
        kept = Path(write_backup(school, backup_path(backups_dir() / "replaced", name))["path"])
        try:
            _build_or_drop(backup, target)
        except BaseException:
            kept.unlink()  # the replaced data is still the school's
            raise
    _switch(name, target.database)
    drop_database(_old_database(school))  # its rows are in `kept`
    logger.info("replaced from %s; the replaced data is in %s", path, kept, extra={"school": name})
    return kept


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
    register_school(name, hosts, display_name, database=target.database)
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
    target = _target(name, location, cluster if cluster is not None else school.mongodb_uri)
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
    finally:
        forget_alias(target.alias)
    for label, summary in backup.tables_summary.items():
        if copied.get(label) != (summary["rows"], summary["sha256"]):
            _drop_new(target)
            raise SchoolError(f"the copy of table {label} differs from the source: the move was undone")
