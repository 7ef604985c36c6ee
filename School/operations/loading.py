"""Loading a verified backup into a new, empty database (used by School.operations.restore).

The database is migrated to the backup's migration state (so the rows fit
the tables as they were), every table is inserted in batches, as it was (no
auto_now, no signals), and the database is then migrated to this code's
state. Between engines, auto ids that do not fit (integers vs ObjectIds) are
replaced and every foreign key to them is translated.
"""

import datetime
import functools
from contextlib import nullcontext
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models.query import QuerySet

from multitenant.databases import MONGODB
from School.connections import create_database_file, ensure_alias, forget_alias, sqlite_file
from School.context import tenant_context
from School.documents.archive import load_files
from School.operations.backups import BackupError, school_models
from School.operations.provisioning import migrate_school, pending_migrations
from School.sqlite_files import make_durable

BATCH = 1000


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
                damaged = load_files(backup, alias)
                if damaged:
                    raise BackupError(f"file {damaged} of the backup differs from its checksum")
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
    # (app, None): an app the backup's code did not have yet (e.g. documents in
    # a version 1 backup); it has no state to build, and no rows in the file.
    state_apps = executor.loader.project_state([node for node in targets if node[1] is not None], at_end=True).apps
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
    # Closing the last connection folds the WAL into the main file; if it
    # could not, the WAL stays beside it and is synced with it.
    connections[target.alias].close()
    make_durable(sqlite_file(target))
    # The stored files were made durable as they were loaded (School.documents.archive).
