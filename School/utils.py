"""Host -> school -> database: the maps every request and command starts from.

The school registry lives in the `default` database. Each process keeps one
read-only snapshot of it (two dicts), so resolving a host is a dictionary
look-up whatever the number of schools. The snapshot is replaced when the
registry changes: at once in the process that changed it (School.signals),
and within SCHOOL_REGISTRY_TTL seconds in every other process, which compares
a one-row stamp instead of reloading the registry.

The tutorial's helpers (hostname_from_the_request, tenant_db_from_the_request,
get_tenants_map) keep their names and meaning.
"""

import threading
import time
from dataclasses import dataclass, field
from types import MappingProxyType

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http.request import split_domain_port

from School.availability import unavailable_reason

DEFAULT_SCHOOL = DEFAULT_DB_ALIAS


@dataclass(frozen=True)
class SchoolInfo:
    """What a request or command needs to know of one school (immutable)."""

    name: str
    display_name: str
    hosts: tuple = ()
    mongodb_uri: str = field(default="", repr=False)
    suspended: bool = False
    # Where the data is when not in the default place (School.models.School.database).
    database: str = field(default="", repr=False)

    @property
    def alias(self):
        """The database alias of the school: its name, as in the tutorial."""
        return self.name


@dataclass(frozen=True)
class RegistrySnapshot:
    by_host: MappingProxyType
    by_name: MappingProxyType
    stamp: str


def registry_queries():
    """The querysets a worker runs to load the registry (also compiled in tests)."""
    from School.models import RegistryStamp, School, SchoolHost

    return {
        "stamp": RegistryStamp.objects.using(DEFAULT_DB_ALIAS).filter(key="registry").values_list("token", flat=True),
        # Two flat queries joined in Python: the registry is small, and a join
        # would be a $lookup on MongoDB.
        "hosts": SchoolHost.objects.using(DEFAULT_DB_ALIAS).values_list("school_id", "host"),
        "schools": School.objects.using(DEFAULT_DB_ALIAS).values_list(
            "pk", "name", "display_name", "mongodb_uri", "suspended", "database"
        ),
    }


def _read_stamp():
    return registry_queries()["stamp"].first() or ""


def _load_snapshot(stamp):
    queries = registry_queries()
    hosts_of = {}
    for school_id, host in queries["hosts"]:
        hosts_of.setdefault(school_id, []).append(host)
    by_name = {}
    for pk, name, display_name, mongodb_uri, suspended, database in queries["schools"]:
        hosts = tuple(sorted(hosts_of.get(pk, ())))
        by_name[name] = SchoolInfo(name, display_name or name, hosts, mongodb_uri, suspended, database)
    by_host = {host: school for school in by_name.values() for host in school.hosts}
    return RegistrySnapshot(MappingProxyType(by_host), MappingProxyType(by_name), stamp)


EMPTY_SNAPSHOT = RegistrySnapshot(MappingProxyType({}), MappingProxyType({}), "")


def registry_is_migrated():
    from School.models import School

    return table_exists(connections[DEFAULT_DB_ALIAS], School._meta.db_table)


def table_exists(connection, table):
    return table in connection.introspection.table_names()


class SchoolRegistry:
    """The process-wide cached view of the school registry."""

    def __init__(self):
        self._lock = threading.Lock()
        self._snapshot = None
        self._checked_at = 0.0

    def is_fresh(self):
        return self._snapshot is not None and time.monotonic() - self._checked_at < settings.SCHOOL_REGISTRY_TTL

    def snapshot(self):
        if self.is_fresh():
            return self._snapshot
        with self._lock:
            if not self.is_fresh():
                # Read the stamp before the rows: a change landing in between
                # leaves an older stamp, so the next check reloads again.
                try:
                    stamp = _read_stamp()
                    if self._snapshot is None or self._snapshot.stamp != stamp:
                        self._snapshot = _load_snapshot(stamp)
                except DatabaseError as error:
                    if unavailable_reason(error) or registry_is_migrated():
                        raise
                    # A fresh machine: nothing registered yet, nothing served.
                    self._snapshot = EMPTY_SNAPSHOT
                self._checked_at = time.monotonic()
            return self._snapshot

    def invalidate(self):
        with self._lock:
            self._snapshot = None
            self._checked_at = 0.0


registry = SchoolRegistry()


def hostname_from_the_request(request):
    """The host the client asked for: lower-case, no port, no trailing dot.

    Returns "" when the Host header is missing or malformed. Unlike
    request.get_host(), never falls back to the server's own name, so an empty
    Host header cannot land on the school that owns `localhost`.
    """
    header = "HTTP_X_FORWARDED_HOST" if settings.USE_X_FORWARDED_HOST else "HTTP_HOST"
    if not request.META.get(header) and not request.META.get("HTTP_HOST"):
        return ""
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    domain, _port = split_domain_port(host)
    return domain


def school_for_host(hostname):
    """The school served at `hostname`, or None."""
    if not hostname:
        return None
    return registry.snapshot().by_host.get(hostname)


def school_from_the_request(request):
    return school_for_host(hostname_from_the_request(request))


def tenant_db_from_the_request(request):
    """The database alias for this request, or None for an unknown host."""
    school = school_from_the_request(request)
    return school.alias if school else None


def get_tenants_map():
    """{host: database alias} for every registered host."""
    return {host: school.alias for host, school in registry.snapshot().by_host.items()}


def school_by_name(name):
    """The registered school called `name`, or None.

    `default` always exists: it is configured in settings and holds the
    registry, even before anything is registered (then it serves no host).
    """
    try:
        school = registry.snapshot().by_name.get(name)
    except DatabaseError as error:
        if name != DEFAULT_SCHOOL or unavailable_reason(error):
            raise
        # The registry cannot be read before `default` (which holds it) is
        # migrated to this code's schema: `default` must stay reachable for that.
        school = None
    if school is None and name == DEFAULT_SCHOOL:
        return SchoolInfo(DEFAULT_SCHOOL, "Default school")
    return school


def all_schools():
    """Every school, `default` first, then by name."""
    by_name = dict(registry.snapshot().by_name)
    default = by_name.pop(DEFAULT_SCHOOL, None) or school_by_name(DEFAULT_SCHOOL)
    return [default, *(by_name[name] for name in sorted(by_name))]
