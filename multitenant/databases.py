"""Where a school's data lives: the database configuration of one school.

Every school (the root `default` school included) gets its own database: a
SQLite file under the data directory on the embedded default, or a MongoDB
database `<prefix><name>` when MONGODB_URI is set. This module is pure (no
app or model imports) so that settings.py and the runtime alias registration
in School.connections build configurations with the same code.
"""

from pathlib import Path

SQLITE = "sqlite"
MONGODB = "mongodb"


def engine_for(mongodb_uri):
    """The storage engine the deployment runs on."""
    return MONGODB if mongodb_uri else SQLITE


def sqlite_path(db_dir, name):
    return Path(db_dir) / f"{name}.sqlite3"


def files_dir(sqlite_file):
    """Where the files of the school kept in `sqlite_file` live: a directory beside it.

    Tied to the database file, not to the school's name: a restore, clone or
    move writes a new database file AND a new directory, and the registry's
    one-step switch to the new file switches the files with it.
    """
    sqlite_file = Path(sqlite_file)
    return sqlite_file.with_name(f"{sqlite_file.stem}.files")


def sqlite_name(path):
    """The NAME Django opens: read-write, never create.

    SQLite would otherwise create an empty database where a school's file has
    gone missing, and serve "no such table" errors for it; opening fails
    instead ("unable to open database file"), which the platform answers with
    503 for that school alone. Files are created by provisioning only
    (School.connections.create_database_file).
    """
    return f"{Path(path).resolve().as_uri()}?mode=rw"


# Seconds a writer waits for another's write lock before it gives up (503 on
# the web, exit 1 on the command line). Below gunicorn's 60 s timeout.
SQLITE_BUSY_TIMEOUT = 20

# Run on every new connection (Django's OPTIONS["init_command"]):
# - WAL: readers never wait for a writer, and a writer never waits for
#   readers; the mode is stored in the file, so an existing database switches
#   on its first connection after this code (or `--all migrate`).
# - synchronous=FULL: in WAL mode NORMAL may lose the last commits on a power
#   cut (the WAL is synced only at checkpoints); FULL syncs the WAL at every
#   commit, so a committed import survives. Its cost: bench/busy_writers.py.
# - soft_heap_limit: the most memory SQLite keeps in one process (it applies
#   to the whole process, whichever connection sets it). A worker keeps a
#   connection per school and thread (SCHOOL_KEPT_CONNECTIONS), each with a
#   page cache of up to 2,000 KiB that fills as its school's data grows: a
#   worker serving many schools grows for as long as it runs (bench/soak.py,
#   20 schools: +16% in 40,000 requests, still rising). Past the limit SQLite
#   reuses its least recently used cached pages instead of allocating more;
#   they are read again from the operating system's cache, which costs the
#   student page little (bench/page_cache.py). What SQLite cannot give back
#   (each connection's schema, about a quarter MiB) may exceed the limit.
# - temp_store=MEMORY: a statement that changes many rows inside a transaction
#   keeps the pages it changes in a statement journal, to undo that statement
#   alone; past 64 KiB SQLite spilled it to a file in /var/tmp, created,
#   written and deleted each time: 1.2 MB a school on promotion day
#   (`strace -f` of `--all promote`). It holds the pages of one statement.
SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")
SQLITE_HEAP_MIB = 8


def sqlite_init_command(synchronous="FULL", heap_mib=SQLITE_HEAP_MIB):
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"SCHOOL_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS)}, not {synchronous!r}")
    if not (isinstance(heap_mib, int) and heap_mib > 0):
        raise ValueError(f"SCHOOL_SQLITE_HEAP_MIB must be a positive whole number of MiB, not {heap_mib!r}")
    return f"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA temp_store=MEMORY; PRAGMA soft_heap_limit={heap_mib * 2**20}"


def sqlite_options(busy_timeout=SQLITE_BUSY_TIMEOUT, synchronous="FULL", heap_mib=SQLITE_HEAP_MIB):
    """OPTIONS of a school's SQLite database.

    Transactions begin IMMEDIATE: they take the write lock when they begin,
    waiting up to `busy_timeout` for it. A deferred transaction that reads and
    then writes cannot wait (SQLite would have to break its snapshot) and fails
    at once with "database is locked", whatever the timeout. Read-only
    snapshots that must not hold the lock say so (School.sqlite_files.read_snapshot).
    """
    return {
        "timeout": busy_timeout, "transaction_mode": "IMMEDIATE", "init_command": sqlite_init_command(synchronous, heap_mib),
    }


# Django's stand-in backend: lets `makemigrations` build the MongoDB migration
# tree on a machine without a server (it skips history checks on it).
OFFLINE_ENGINE = "django.db.backends.dummy"


def mongodb_options(uri, timeout_ms):
    """Client options: fail within `timeout_ms` instead of pymongo's 30 s.

    Options written in the URI win, as an operator would expect.
    """
    options = {}
    lowered = uri.lower()
    for option in ("serverSelectionTimeoutMS", "connectTimeoutMS"):
        if option.lower() not in lowered:
            options[option] = timeout_ms
    return options


def school_database(
    name, *, engine, db_dir, mongodb_uri="", db_prefix="school_", timeout_ms=5000, offline=False, options=None,
    location="", conn_max_age=0, busy_timeout=SQLITE_BUSY_TIMEOUT, synchronous="FULL", heap_mib=SQLITE_HEAP_MIB,
):
    """A complete-enough DATABASES entry for the school called `name`.

    Django fills the remaining keys (TIME_ZONE, TEST, ...) itself for aliases
    it reads from settings; aliases added at run time get them from
    School.connections, which passes this through the same defaults.
    `location` overrides the default place: a SQLite file or a MongoDB
    database name (a restored or moved school's data). `conn_max_age` keeps
    a SQLite connection open between requests (MongoDB shares one client
    per cluster anyway).
    """
    if engine == MONGODB:
        return {
            # django-mongodb-backend with one shared client per cluster.
            "ENGINE": OFFLINE_ENGINE if offline else "School.mongo",
            "HOST": mongodb_uri,
            "NAME": location or f"{db_prefix}{name}",
            "OPTIONS": {**mongodb_options(mongodb_uri, timeout_ms), **(options or {})},
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": sqlite_name(location or sqlite_path(db_dir, name)),
        # A registrar's save and a page load from another worker must not
        # trip over each other: wait for the lock instead of failing at once.
        "OPTIONS": {**sqlite_options(busy_timeout, synchronous, heap_mib), **(options or {})},
        "CONN_MAX_AGE": conn_max_age,
    }


MAIN_CLUSTER = "main"


def parse_clusters(text, main_uri):
    """{name: uri} of the MongoDB clusters new schools may be placed on.

    `text` is MONGODB_CLUSTERS: `name=uri` entries separated by `;` or
    whitespace (a URI may hold commas: mongodb://a,b,c/?replicaSet=rs0). The
    deployment's own cluster (MONGODB_URI, which holds the registry) is
    `main`, part of the pool unless MONGODB_CLUSTERS names `main` itself.
    """
    clusters = {MAIN_CLUSTER: main_uri} if main_uri else {}
    for entry in text.replace(";", " ").split():
        name, separator, uri = entry.partition("=")
        if not separator or not name.isidentifier() or not uri.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError(f"bad MONGODB_CLUSTERS entry {entry.split('@')[-1]!r}: expected NAME=mongodb://...")
        clusters[name] = uri
    return clusters
