"""Adding, preparing and removing schools: used by the CLI and the admin.

Order matters for "nothing half-made is ever served": a school's database is
created and migrated first (on SQLite: copied from a migrated template, see
School.operations.templates), and only then is the school registered, in one
transaction, with its hosts. A failure before registration leaves the
registry as it was (a migrated but unregistered database is harmless and is
reused by the next attempt).
"""

import functools
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from multitenant.databases import MONGODB
from School.connections import create_database_file, drop_database, ensure_alias, forget_alias
from School.context import tenant_context
from School.events import school_data_replaced
from School.models import School, SchoolHost
from School.operations.clusters import ClusterError, place
from School.operations.templates import copy_template
from School.transactions import atomic
from School.uri import redact_uri
from School.utils import DEFAULT_SCHOOL, SchoolInfo, registry, school_by_name, table_exists
from School.validation import normalize_host, validate_school_name

logger = logging.getLogger(__name__)


class SchoolError(Exception):
    """A request about schools that cannot be done; the message says why."""


def _message(error):
    return "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def migrate_school(school, verbosity=0, stdout=None):
    """Create the school's database if needed and apply pending migrations."""
    create_database_file(school)
    with tenant_context(school):
        call_command(
            "migrate", database=school.alias, interactive=False, verbosity=verbosity, stdout=stdout
        )
    logger.info("database migrated", extra={"school": school.name})


@functools.cache
def migration_graph_nodes():
    """Every migration of the project, read from disk once per process."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def applied_migrations(school):
    """(app, name) of every migration recorded as applied in the school's database."""
    connection = connections[ensure_alias(school)]
    try:
        # One query; MigrationRecorder.applied_migrations() would first list
        # every table to see whether its own exists.
        return set(MigrationRecorder(connection).migration_qs.values_list("app", "name"))
    except DatabaseError:
        if table_exists(connection, MigrationRecorder.Migration._meta.db_table):
            raise
        return set()  # a database never migrated


def pending_migrations(school):
    """Migrations not yet recorded as applied in the school's database."""
    return sorted(migration_graph_nodes() - applied_migrations(school))


def school_migrations(school):
    """(applied, pending) of one school, leaving no alias behind.

    For walks over every school: 100,000 aliases (and open files) kept in
    one process would grow its memory with the number of schools.
    """
    try:
        applied = applied_migrations(school)
    finally:
        forget_alias(school.name)
    return sorted(applied), sorted(migration_graph_nodes() - applied)


def ensure_registry():
    """Bring the registry in `default` up to date (created on a fresh machine).

    Run before anything reads the registry after a deploy: new code may read
    registry columns that only its migrations add.
    """
    default = school_by_name(DEFAULT_SCHOOL)
    if pending_migrations(default):
        migrate_school(default)
        registry.invalidate()


def prepare_database(name, mongodb_uri="", cluster=""):
    """Create and migrate the database of a school that is not served yet.

    On SQLite a new school's file is a copy of the migrated template; an
    existing file (left by an interrupted attempt, or kept by `schools remove`)
    is migrated instead, so its data is kept.
    """
    if settings.SCHOOL_ENGINE != MONGODB and copy_template(name):
        logger.info("database copied from the migrated template", extra={"school": name})
        return
    migrate_school(SchoolInfo(name, name, (), mongodb_uri, cluster=cluster))


def check_hosts_free(hosts, owner=None):
    """Normalised hosts; SchoolError if one is malformed or owned by another school."""
    normalised = []
    for host in hosts:
        try:
            normalised.append(normalize_host(host))
        except ValidationError as error:
            raise SchoolError(_message(error)) from None
    taken = dict(
        SchoolHost.objects.using(DEFAULT_DB_ALIAS)
        .filter(host__in=normalised)
        .exclude(school__name=owner)
        .values_list("host", "school__name")
    )
    for host in normalised:
        if host in taken:
            raise SchoolError(f"host {host!r} already belongs to school {taken[host]!r}")
    return list(dict.fromkeys(normalised))


def check_mongodb_uri(uri):
    if not uri:
        return
    if settings.SCHOOL_ENGINE != MONGODB:
        raise SchoolError("--mongodb-uri needs MONGODB_URI: this deployment keeps schools in SQLite files")
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise SchoolError(f"bad MongoDB URI {redact_uri(uri)!r}: it must start with mongodb:// or mongodb+srv://")


def add_school(name, hosts, display_name="", mongodb_uri="", cluster=""):
    """Create, migrate and register a school; returns its SchoolInfo."""
    check_new_name(name)
    if not hosts:
        raise SchoolError(f"school {name!r} needs at least one --host")
    check_mongodb_uri(mongodb_uri)
    if mongodb_uri and cluster:
        raise SchoolError("give --mongodb-uri (a cluster of its own) or --cluster (one of the pool), not both")
    hosts = check_hosts_free(hosts)
    try:
        cluster = "" if mongodb_uri else place(cluster)
    except ClusterError as error:
        raise SchoolError(str(error)) from None

    try:
        prepare_database(name, mongodb_uri, cluster)
    except Exception as error:
        raise SchoolError(f"could not create the database of school {name!r}: {error}") from error
    register_school(name, hosts, display_name, mongodb_uri, cluster=cluster)
    logger.info("school added with hosts %s", ", ".join(hosts), extra={"school": name})
    return school_by_name(name)


def check_new_name(name):
    """SchoolError unless `name` is a valid name no school has yet."""
    try:
        validate_school_name(name)
    except ValidationError as error:
        raise SchoolError(_message(error)) from None
    ensure_registry()
    if School.objects.using(DEFAULT_DB_ALIAS).filter(name=name).exists():
        raise SchoolError(f"school {name!r} already exists")


def register_school(name, hosts, display_name="", mongodb_uri="", database="", cluster=""):
    """Serve a school whose database is ready: the school and its hosts in one step."""
    try:
        with atomic(using=DEFAULT_DB_ALIAS):
            school = School.objects.using(DEFAULT_DB_ALIAS).create(
                name=name,
                display_name=display_name or name.replace("_", " ").title(),
                mongodb_uri=mongodb_uri,
                database=database,
                cluster=cluster,
            )
            for host in hosts:
                SchoolHost.objects.using(DEFAULT_DB_ALIAS).create(school=school, host=host)
    except Exception as error:
        # Without transactions (a standalone MongoDB server) undo by hand, so
        # that a retry does not find a school without hosts in the way.
        School.objects.using(DEFAULT_DB_ALIAS).filter(name=name).delete()
        raise SchoolError(f"could not register school {name!r} (its database is ready; retry): {error}") from error
    school_data_replaced.send(sender=School, school=name)


def remove_school(name, drop_data=False):
    """Stop serving a school; its data is kept unless drop_data."""
    if name == DEFAULT_SCHOOL:
        raise SchoolError("the default school holds the registry and cannot be removed")
    school = school_by_name(name)
    if school is None:
        raise SchoolError(f"unknown school {name!r}")
    School.objects.using(DEFAULT_DB_ALIAS).filter(name=name).delete()
    if drop_data:
        drop_database(school)
        logger.warning("school removed and its data dropped", extra={"school": name})
    else:
        forget_alias(name)
        logger.info("school removed; its data is kept", extra={"school": name})
    return school


def _registered(name):
    school = School.objects.using(DEFAULT_DB_ALIAS).filter(name=name).first()
    if school is None:
        raise SchoolError(f"unknown school {name!r}")
    return school


def set_suspended(name, suspended):
    """Suspend (or resume) serving a school; its data stays where it is."""
    school = _registered(name)
    if school.suspended != suspended:
        school.suspended = suspended
        with atomic(using=DEFAULT_DB_ALIAS):  # the change and its log row together
            school.save(update_fields=["suspended", "updated_at"])
    logger.info("school %s", "suspended" if suspended else "resumed", extra={"school": name})


def add_host(name, host):
    school = _registered(name)
    (host,) = check_hosts_free([host], owner=name)
    SchoolHost.objects.using(DEFAULT_DB_ALIAS).get_or_create(school=school, host=host)
    logger.info("host %s added", host, extra={"school": name})
    return host


def remove_host(name, host):
    school = _registered(name)
    try:
        host = normalize_host(host)
    except ValidationError as error:
        raise SchoolError(_message(error)) from None
    deleted, _ = SchoolHost.objects.using(DEFAULT_DB_ALIAS).filter(school=school, host=host).delete()
    if not deleted:
        raise SchoolError(f"host {host!r} does not belong to school {name!r}")
    logger.info("host %s removed", host, extra={"school": name})
    return host
