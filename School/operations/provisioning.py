"""Adding, preparing and removing schools: used by the CLI and the admin.

Order matters for "nothing half-made is ever served": a school's database is
created and migrated first (on SQLite: copied from a migrated template, see
School.operations.templates), and only then is the school registered, in one
transaction, with its hosts. A failure before registration leaves the
registry as it was (a migrated but unregistered database is harmless and is
reused by the next attempt).
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.recorder import MigrationRecorder

from multitenant.databases import MONGODB
from School.availability import unavailable_reason
from School.compiled import rows_or_orm
from School.connections import drop_database, ensure_alias, forget_alias
from School.context import tenant_context
from School.documents.models import StorageUsage
from School.events import school_data_replaced
from School.models import School, SchoolHost
from School.operations.clusters import ClusterError, place
from School.operations.migrating import migrate_school, migration_graph_nodes
from School.operations.templates import copy_template
from School.records import uploads
from School.school_year.national import adopt
from School.transactions import atomic
from School.uri import redact_uri
from School.utils import DEFAULT_SCHOOL, SchoolInfo, registry, school_by_name, table_exists
from School.validation import (
    normalize_host,
    validate_date_order,
    validate_language,
    validate_school_name,
    validate_time_zone,
)

LOCALE_FIELDS = {"language": validate_language, "time_zone": validate_time_zone, "date_order": validate_date_order}

logger = logging.getLogger(__name__)


class SchoolError(Exception):
    """A request about schools that cannot be done; the message says why."""


def _message(error):
    return "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def applied_migrations(school):
    """(app, name) of every migration recorded as applied in the school's database."""
    connection = connections[ensure_alias(school)]
    try:
        # One query; MigrationRecorder.applied_migrations() would first list
        # every table to see whether its own exists.
        # Compiled once: refresh-figures asks each of 100,000 schools.
        return set(rows_or_orm(connection.alias, "applied migrations",
                               lambda: MigrationRecorder(connection).migration_qs.values_list("app", "name"), []))
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
    is migrated instead, so its data is kept. Returns True if the file is
    a new copy (nothing of the school's in it yet).
    """
    if settings.SCHOOL_ENGINE != MONGODB and copy_template(name):
        logger.info("database copied from the migrated template", extra={"school": name})
        return True
    migrate_school(SchoolInfo(name, name, (), mongodb_uri, cluster=cluster))
    return False


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


def check_locale(locale):
    """{field: value} of the locale values given (None and "" are left out); SchoolError on an unknown one."""
    checked = {}
    for field, value in (locale or {}).items():
        if value in (None, ""):
            continue
        try:
            LOCALE_FIELDS[field](value)
        except ValidationError as error:
            raise SchoolError(_message(error)) from None
        checked[field] = value
    return checked


def add_school(name, hosts, display_name="", mongodb_uri="", cluster="", locale=None):
    """Create, migrate and register a school (its language, time zone and date order in `locale`,
    settings' defaults for those left out); returns its SchoolInfo."""
    locale = check_locale(locale)
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
        copied = prepare_database(name, mongodb_uri, cluster)
    except Exception as error:
        raise SchoolError(f"could not create the database of school {name!r}: {unavailable_reason(error) or error}") from error
    try:
        register_school(name, hosts, display_name, mongodb_uri, cluster=cluster, locale=locale)
    except SchoolError:
        if copied:  # a fresh copy of the template, nobody's data: no half-created school is left
            drop_database(SchoolInfo(name, name))
        raise
    logger.info("school added with hosts %s", ", ".join(hosts), extra={"school": name})
    school = school_by_name(name)
    _adopt_platform_calendar(school)
    return school


def _adopt_platform_calendar(school):
    """A new school starts in the platform calendar's year containing today, on the national ladder (when the platform has them)."""
    try:
        with tenant_context(school):
            adopt(school.alias)
    except Exception as error:  # the school exists and is served: its calendar can be applied again later
        logger.warning("platform calendar not applied: %s (run `schools calendar set ... --school %s`)",
                       unavailable_reason(error) or error, school.name, extra={"school": school.name})


def check_new_name(name):
    """SchoolError unless `name` is a valid name no school has yet."""
    try:
        validate_school_name(name)
    except ValidationError as error:
        raise SchoolError(_message(error)) from None
    ensure_registry()
    if School.objects.using(DEFAULT_DB_ALIAS).filter(name=name).exists():
        raise SchoolError(f"school {name!r} already exists")


def register_school(name, hosts, display_name="", mongodb_uri="", database="", cluster="", locale=None):
    """Serve a school whose database is ready: the school and its hosts in one step."""
    locale = check_locale(locale)
    try:
        with atomic(using=DEFAULT_DB_ALIAS):
            school = School.objects.using(DEFAULT_DB_ALIAS).create(
                name=name,
                display_name=display_name or name.replace("_", " ").title(),
                mongodb_uri=mongodb_uri,
                database=database,
                cluster=cluster,
                **locale,
            )
            for host in hosts:
                SchoolHost.objects.using(DEFAULT_DB_ALIAS).create(school=school, host=host)
    except Exception as error:
        # Without transactions (a standalone MongoDB server) undo by hand, so
        # that a retry does not find a school without hosts in the way.
        School.objects.using(DEFAULT_DB_ALIAS).filter(name=name).delete()
        raise SchoolError(f"could not register school {name!r}: {unavailable_reason(error) or error}") from error
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
        drop_database(school)  # the students' files with it (School.documents)
        uploads.remove_all(name)  # children's records outside the database: they go with it
        StorageUsage.objects.using(DEFAULT_DB_ALIAS).filter(school=name).delete()
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


def set_school(name, display_name="", locale=None):
    """Change a school's display name and locale; every worker follows within SCHOOL_REGISTRY_TTL.

    Returns the {field: value} that changed.
    """
    values = check_locale(locale)
    if display_name:
        values["display_name"] = display_name
    school = _registered(name)
    changed = {field: value for field, value in values.items() if getattr(school, field) != value}
    if changed:
        for field, value in changed.items():
            setattr(school, field, value)
        with atomic(using=DEFAULT_DB_ALIAS):  # the change and its log row together
            school.save(update_fields=[*changed, "updated_at"])
    logger.info("school settings changed: %s", ", ".join(f"{k}={v}" for k, v in changed.items()) or "none",
                extra={"school": name})
    return changed


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
