"""Host -> school -> database: the maps every request and command starts from.

The school registry lives in the `default` database. A worker does not hold
all of it: it resolves a host (or a school's name) on first use with indexed
queries and keeps the answer in a bounded LRU cache; unknown hosts are
remembered in a separate bounded cache, so a flood of junk Host headers can
only evict other junk. Every change of the registry appends a RegistryChange
row (School.signals); every SCHOOL_REGISTRY_TTL seconds a worker reads the
rows after the last one it saw and forgets exactly the hosts and schools they
name, so its work is proportional to what changed, not to the number of
schools. A worker that has fallen behind a pruned log forgets everything,
which costs cache misses, never a reload.

The tutorial's helpers (hostname_from_the_request, tenant_db_from_the_request,
get_tenants_map) keep their names and meaning.
"""

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http.request import split_domain_port

from School.availability import unavailable_reason
from School.connections import registry_changed
from School.validation import NAME_PATTERN

DEFAULT_SCHOOL = DEFAULT_DB_ALIAS
# The longest host a SchoolHost can hold: longer Host headers are unknown
# without a query (and are not cached, so they cannot bloat the cache).
MAX_HOST_LENGTH = 253
# How long after a change id was read a change with a smaller id may still
# commit. SQLite assigns ids in commit order; MongoDB's ObjectIds come from
# each client's clock, so two processes' changes can land out of order.
REORDER_WINDOW = 30.0
SCHOOL_FIELDS = (
    "pk", "name", "display_name", "mongodb_uri", "suspended", "database", "cluster", "language", "time_zone", "date_order",
)


@dataclass(frozen=True, slots=True)
class SchoolInfo:
    """What a request or command needs to know of one school (immutable; slots: thousands are cached)."""

    name: str
    display_name: str
    hosts: tuple = ()
    mongodb_uri: str = field(default="", repr=False)
    suspended: bool = False
    # Where the data is when not in the default place (School.models.School.database).
    database: str = field(default="", repr=False)
    cluster: str = ""
    # The school's locale (School.models.School); "" means the settings' default (School.locale.activation).
    language: str = ""
    time_zone: str = ""
    date_order: str = ""

    @property
    def alias(self):
        """The database alias of the school: its name, as in the tutorial."""
        return self.name


def registry_query(which, host="", name="", school_key=None, after=None):
    """One of the querysets a worker runs on the registry (REGISTRY_QUERIES; compiled in tests).

    Flat queries on indexed fields only, joined in Python: a join would be a
    $lookup on MongoDB. Built one at a time: a first-seen host runs three.
    """
    from School.models import RegistryChange, School, SchoolHost

    # order_by(): single-row look-ups need no sort.
    hosts = SchoolHost.objects.using(DEFAULT_DB_ALIAS).order_by()
    schools = School.objects.using(DEFAULT_DB_ALIAS).order_by()
    changes = RegistryChange.objects.using(DEFAULT_DB_ALIAS)
    if which == "host":
        return hosts.filter(host=host).values_list("school_id", flat=True)[:1]
    if which == "school_by_key":
        return schools.filter(pk=school_key).values_list(*SCHOOL_FIELDS)[:1]
    if which == "school_by_name":
        return schools.filter(name=name).values_list(*SCHOOL_FIELDS)[:1]
    if which == "hosts_of_school":
        return hosts.filter(school_id=school_key).values_list("host", flat=True)
    if which == "changes_since":
        since = changes.filter(pk__gte=after) if after is not None else changes
        return since.order_by("pk").values_list("pk", "school_key", "name", "host")
    if which == "latest_change":
        return changes.order_by("-pk").values_list("pk", flat=True)[:1]
    # Listings for commands, never on the request path.
    if which == "all_hosts":
        return hosts.values_list("school_id", "host")
    if which == "all_schools":
        return schools.values_list(*SCHOOL_FIELDS)
    raise ValueError(f"no registry query {which!r}")


REGISTRY_QUERIES = (
    "host", "school_by_key", "school_by_name", "hosts_of_school", "changes_since", "latest_change",
    "all_hosts", "all_schools",
)


def _info(row, hosts):
    pk, name, display_name, mongodb_uri, suspended, database, cluster, language, time_zone, date_order = row
    info = SchoolInfo(
        name, display_name or name, tuple(sorted(hosts)), mongodb_uri, suspended, database, cluster,
        language, time_zone, date_order,
    )
    return str(pk), info


def _school_where(**lookup):
    """(key, SchoolInfo) of the school matching `lookup`, or None: two indexed queries."""
    rows = list(registry_query("school_by_key" if "school_key" in lookup else "school_by_name", **lookup))
    if not rows:
        return None
    hosts = registry_query("hosts_of_school", school_key=rows[0][0])
    return _info(rows[0], hosts)


def _school_at(host):
    keys = list(registry_query("host", host=host))
    return _school_where(school_key=keys[0]) if keys else None


def load_all_schools():
    """{name: SchoolInfo} of the whole registry: for listings, not for requests."""
    hosts_of = {}
    for school_id, host in registry_query("all_hosts"):
        hosts_of.setdefault(school_id, []).append(host)
    schools = {}
    for row in registry_query("all_schools"):
        _key, school = _info(row, hosts_of.get(row[0], ()))
        schools[school.name] = school
    return schools


def registry_is_migrated():
    from School.models import School

    return table_exists(connections[DEFAULT_DB_ALIAS], School._meta.db_table)


def table_exists(connection, table):
    return table in connection.introspection.table_names()


class LRU:
    """A bounded mapping that drops the least recently used entry when full."""

    def __init__(self, size):
        self.size = max(1, size)
        self.items = OrderedDict()

    def __len__(self):
        return len(self.items)

    def get(self, key, default=None):
        value = self.items.get(key, default)
        if key in self.items:
            self.items.move_to_end(key)
        return value

    def put(self, key, value):
        """Store; returns the (key, value) pairs evicted to make room."""
        self.items[key] = value
        self.items.move_to_end(key)
        evicted = []
        while len(self.items) > self.size:
            evicted.append(self.items.popitem(last=False))
        return evicted

    def pop(self, key, default=None):
        return self.items.pop(key, default)


class ChangeCursor:
    """Where a worker is in the change log, looking back REORDER_WINDOW seconds.

    `floor` is the newest change id read at least REORDER_WINDOW seconds ago
    (or the position the worker started from); each refresh reads from it
    again, skipping the ids already applied, so a change that commits after a
    newer one is still seen. The row at `floor` must still exist: if it does
    not, the log was pruned past this worker (or replaced) and changes may
    have been missed.
    """

    def __init__(self, start):
        self.marks = deque([(time.monotonic(), start)])
        self.applied = set()

    @property
    def floor(self):
        return self.marks[0][1]

    def advance(self, newest_id):
        now = time.monotonic()
        self.marks.append((now, newest_id))
        while len(self.marks) > 1 and self.marks[1][0] <= now - REORDER_WINDOW:
            self.marks.popleft()
        floor = self.floor
        if floor is not None:
            self.applied = {applied for applied in self.applied if applied > floor}


class SchoolRegistry:
    """The process-wide cached view of the school registry.

    Known hosts and names map to (key, SchoolInfo) in bounded LRUs; `_refs`
    lists, per school key, what is cached of that school so a change can
    forget all of it. `_generation` grows with every forgetting: a look-up
    that read the database before a change was seen does not cache its
    answer, so a host that moved is never served by its old school again.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._generation = 0
        self.invalidate()

    def invalidate(self):
        """Forget everything (cheap: nothing is preloaded)."""
        with self._lock:
            self._clear()
            self._cursor = None
            self._checked_at = None
            self._unmigrated = False

    def _clear(self):
        self._hosts = LRU(settings.SCHOOL_REGISTRY_CACHE_SIZE)
        self._names = LRU(settings.SCHOOL_REGISTRY_CACHE_SIZE)
        self._unknown = LRU(settings.SCHOOL_REGISTRY_UNKNOWN_CACHE_SIZE)
        self._refs = {}
        self._generation += 1
        registry_changed()

    # Keeping the log -------------------------------------------------------

    def is_fresh(self):
        return self._checked_at is not None and time.monotonic() - self._checked_at < settings.SCHOOL_REGISTRY_TTL

    def refresh(self):
        """Apply the changes other processes made, if SCHOOL_REGISTRY_TTL has passed."""
        if self.is_fresh():
            return
        with self._refresh_lock:
            if self.is_fresh():
                return
            try:
                self._catch_up()
                self._unmigrated = False
            except DatabaseError as error:
                if unavailable_reason(error) or registry_is_migrated():
                    raise
                # A fresh machine: nothing registered yet, nothing served.
                self._unmigrated = True
            self._checked_at = time.monotonic()

    def _catch_up(self):
        if self._cursor is None:
            # Nothing is cached yet, so nothing older can be stale.
            self._cursor = ChangeCursor(next(iter(registry_query("latest_change")), None))
            return
        cursor = self._cursor
        rows = list(registry_query("changes_since", after=cursor.floor))
        if cursor.floor is not None and (not rows or rows[0][0] != cursor.floor):
            with self._lock:
                self._clear()
            self._cursor = ChangeCursor(rows[-1][0] if rows else next(iter(registry_query("latest_change")), None))
            return
        for change_id, key, name, host in rows:
            if change_id != cursor.floor and change_id not in cursor.applied:
                self.forget(key, name, host)
                cursor.applied.add(change_id)
        cursor.advance(rows[-1][0] if rows else cursor.floor)

    def forget(self, key, name="", host=""):
        """Drop what is cached of the school `key`, the name `name` and the host `host`."""
        with self._lock:
            self._generation += 1
            registry_changed()
            for entry_key in (key, self._key_of(self._names, name), self._key_of(self._hosts, host)):
                for kind, value in self._refs.pop(entry_key, ()):
                    self._cache(kind).pop(value)
            self._unknown.pop(host)
            self._unknown.pop(("name", name))

    @staticmethod
    def _key_of(cache, value):
        entry = cache.items.get(value) if value else None
        return entry[0] if entry else None

    # Looking up --------------------------------------------------------------

    def answers_from_cache(self, hostname):
        """True when school_for_host(hostname) needs no database query now."""
        return self.is_fresh() and (
            self._unmigrated or hostname in self._hosts.items or hostname in self._unknown.items
        )

    def _cache(self, kind):
        # Looked up each time: forgetting everything replaces the caches.
        return self._hosts if kind == "host" else self._names

    def _lookup(self, kind, value, unknown_key, load):
        self.refresh()
        with self._lock:
            if self._unmigrated:
                return None
            entry = self._cache(kind).get(value)
            if entry is not None:
                return entry[1]
            if self._unknown.get(unknown_key) is not None:
                return None
            generation = self._generation
        found = load(value)
        with self._lock:
            if generation == self._generation:
                if found is None:
                    self._unknown.put(unknown_key, True)
                else:
                    self._remember(kind, value, found)
        return found[1] if found else None

    def _remember(self, kind, value, found):
        self._refs.setdefault(found[0], set()).add((kind, value))
        for evicted_value, (evicted_key, _info) in self._cache(kind).put(value, found):
            refs = self._refs.get(evicted_key)
            if refs is not None:
                refs.discard((kind, evicted_value))
                if not refs:
                    del self._refs[evicted_key]

    def school_for_host(self, hostname):
        if not hostname or len(hostname) > MAX_HOST_LENGTH:
            return None
        return self._lookup("host", hostname, hostname, _school_at)

    def school_named(self, name):
        return self._lookup("name", name, ("name", name), lambda name: _school_where(name=name))

    def cached_counts(self):
        """(known hosts, names, unknown entries) held now: for tests and benchmarks."""
        return len(self._hosts), len(self._names), len(self._unknown)


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
    return registry.school_for_host(hostname)


def school_from_the_request(request):
    return school_for_host(hostname_from_the_request(request))


def tenant_db_from_the_request(request):
    """The database alias for this request, or None for an unknown host."""
    school = school_from_the_request(request)
    return school.alias if school else None


def get_tenants_map():
    """{host: database alias} for every registered host (reads the whole registry)."""
    return {host: school.alias for school in load_all_schools().values() for host in school.hosts}


def school_by_name(name):
    """The registered school called `name`, or None.

    `default` always exists: it is configured in settings and holds the
    registry, even before anything is registered (then it serves no host).
    """
    try:
        school = registry.school_named(name)
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
    """Every school, `default` first, then by name (reads the whole registry: not for requests)."""
    by_name = load_all_schools() if registry_is_migrated() else {}
    default = by_name.pop(DEFAULT_SCHOOL, None) or school_by_name(DEFAULT_SCHOOL)
    return [default, *(by_name[name] for name in sorted(by_name))]


# --- schools by path (SCHOOL_PATH_PREFIX) ---------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolPath:
    """A request for /s/<name>/...: the name as written, and what follows it (None: nothing, not even "/")."""

    name: str
    rest: object


def path_prefix():
    """SCHOOL_PATH_PREFIX as "/s/" (leading and trailing slash), or "" when path mode is off."""
    prefix = settings.SCHOOL_PATH_PREFIX.strip("/")
    return f"/{prefix}/" if prefix else ""


def school_path(path_info):
    """The SchoolPath that `path_info` asks for, or None when it is not under the prefix (or path mode is off).

    The name is taken as written: a mixed-case, encoded or dotted name is
    simply no school's (School names are lower-case letters, digits and _).
    """
    prefix = path_prefix()
    if not prefix or not path_info.startswith(prefix):
        return None
    name, slash, tail = path_info[len(prefix):].partition("/")
    return SchoolPath(name, "/" + tail if slash else None)


def school_named_in_path(name):
    """The school a path names, or None; a name that cannot be a school's costs no look-up at all."""
    if not NAME_PATTERN.fullmatch(name):
        return None
    return registry.school_named(name)
