"""Fixtures: a fresh platform (registry + school databases) for every test.

On SQLite (the default) each test gets its own data directory with real
SQLite files, copied from databases migrated once per session: migrating a
school takes a fraction of a second, and provisioning itself (migrate
included) is exercised by the CLI tests, which run school_manage.py for real.

With MONGODB_URI set, the same tests run on that server: each test's schools
are real, migrated databases named test_<run>_<test>_<school>, dropped
afterwards. Tests marked `sqlite` are skipped there, `mongodb` ones elsewhere.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import DEFAULT_DB_ALIAS, connections

from multitenant.databases import MONGODB, sqlite_name, sqlite_path
from School.connections import forget_alias
from School.context import tenant_context
from School.models import School, SchoolHost, Student
from School.operations.provisioning import migrate_school
from School.utils import DEFAULT_SCHOOL, SchoolInfo, registry

ROOT = Path(__file__).resolve().parent.parent
ON_MONGODB = settings.SCHOOL_ENGINE == MONGODB


def pytest_collection_modifyitems(config, items):
    skip = "sqlite" if ON_MONGODB else "mongodb"
    reason = f"only meaningful {'without' if ON_MONGODB else 'with'} MONGODB_URI"
    for item in items:
        if item.get_closest_marker(skip):
            item.add_marker(pytest.mark.skip(reason=reason))


def reset_connection(alias):
    connection = connections[alias]
    # MongoDB's close() keeps the client; close_pool() also forgets the
    # database handle, which must follow a changed NAME.
    (connection.close_pool if ON_MONGODB else connection.close)()


def close_school_connections():
    for alias in list(connections.settings):
        if alias != DEFAULT_DB_ALIAS:
            forget_alias(alias)
    reset_connection(DEFAULT_DB_ALIAS)


@pytest.fixture(scope="session")
def template_databases(tmp_path_factory, django_db_blocker):
    """Migrated databases to copy: one for `default` (with the registry), one for any school."""
    if ON_MONGODB:
        return None
    folder = tmp_path_factory.mktemp("templates")
    default_path = sqlite_path(settings.SCHOOL_DB_DIR, DEFAULT_DB_ALIAS)
    with django_db_blocker.unblock():
        call_command("migrate", database=DEFAULT_DB_ALIAS, verbosity=0)
        template = SchoolInfo("template_school", "Template")
        migrate_school(template)
        school_path = sqlite_path(settings.SCHOOL_DB_DIR, template.alias)
        close_school_connections()
    shutil.copy(default_path, folder / "default.sqlite3")
    shutil.copy(school_path, folder / "school.sqlite3")
    return folder


@dataclass
class Platform:
    data_dir: Path
    templates: Path
    schools: dict = field(default_factory=dict)

    @property
    def db_dir(self):
        return self.data_dir / "db"

    def add_school(self, name, hosts, display_name=None, students=()):
        """Register a school with a ready database; `students` are (reg_no, first, last)."""
        if name != DEFAULT_DB_ALIAS:  # `default` is already there: it holds the registry
            self.create_database(name)
        school = School.objects.using(DEFAULT_DB_ALIAS).create(name=name, display_name=display_name or name.title())
        for host in hosts:
            SchoolHost.objects.using(DEFAULT_DB_ALIAS).create(school=school, host=host)
        self.add_students(name, students)
        self.schools[name] = school
        return school

    def create_database(self, name):
        if ON_MONGODB:
            migrate_school(SchoolInfo(name, name))
        else:
            shutil.copy(self.templates / "school.sqlite3", self.db_dir / f"{name}.sqlite3")

    def drop_databases(self):
        client = connections[DEFAULT_DB_ALIAS].connection
        if client is not None:
            for database in client.list_database_names():
                if database.startswith(settings.MONGODB_DB_PREFIX):
                    client.drop_database(database)

    def add_students(self, name, students):
        with tenant_context(name):
            Student.objects.bulk_create(
                Student(registration_no=reg, first_name=first, second_name=last) for reg, first, last in students
            )

    def env(self, **extra):
        """Environment for a school_manage.py subprocess working on this platform."""
        env = {
            **os.environ,
            "SCHOOL_DATA_DIR": str(self.data_dir),
            "DJANGO_SETTINGS_MODULE": "multitenant.settings",
            "MONGODB_DB_PREFIX": settings.MONGODB_DB_PREFIX,
        }
        env.update(extra)
        return env


@pytest.fixture
def platform(tmp_path, template_databases, settings, django_db_blocker):
    """An empty platform: a migrated `default` holding an empty registry."""
    data_dir = tmp_path / "data"
    (data_dir / "db").mkdir(parents=True)
    close_school_connections()
    default_settings = connections.settings[DEFAULT_DB_ALIAS]
    original_name = default_settings["NAME"]
    settings.SCHOOL_DATA_DIR = data_dir
    settings.SCHOOL_DB_DIR = data_dir / "db"
    if ON_MONGODB:
        settings.MONGODB_DB_PREFIX = f"{settings.MONGODB_DB_PREFIX}{uuid.uuid4().hex[:6]}_"
        default_settings["NAME"] = f"{settings.MONGODB_DB_PREFIX}{DEFAULT_SCHOOL}"
    else:
        shutil.copy(template_databases / "default.sqlite3", data_dir / "db" / "default.sqlite3")
        default_settings["NAME"] = sqlite_name(data_dir / "db" / "default.sqlite3")
    registry.invalidate()
    cache.clear()  # counters of limits (School/security/limits.py) start from zero
    platform = Platform(data_dir, template_databases)
    with django_db_blocker.unblock():
        if ON_MONGODB:
            migrate_school(SchoolInfo(DEFAULT_SCHOOL, "Default"))
        try:
            yield platform
        finally:
            if ON_MONGODB:
                platform.drop_databases()
            close_school_connections()
    default_settings["NAME"] = original_name
    registry.invalidate()


def outlive_registry_ttl():
    """Wait out this process's registry cache, as every worker does within SCHOOL_REGISTRY_TTL.

    A test that changes the registry in another process (a CLI subprocess)
    and then reads it in this one must rely on that documented guarantee, not
    on the other process having taken longer than the TTL.
    """
    time.sleep(settings.SCHOOL_REGISTRY_TTL)


def students_of(prefix, count):
    """Distinct, recognisable students: every row carries its school's prefix."""
    return [(f"{prefix}-{n:04d}", f"{prefix}first{n}", f"{prefix}last{n}") for n in range(count)]


@pytest.fixture
def three_schools(platform):
    """default (localhost), nairobi and accra, each with students marked by its own prefix."""
    platform.add_school("default", ["localhost", "127.0.0.1"], "Default School", students_of("DEF", 3))
    platform.add_school("nairobi", ["nairobi.localhost", "nairobi.school.local"], "Nairobi School", students_of("NBI", 5))
    platform.add_school("accra", ["accra.localhost", "accra.school.local"], "Accra Academy", students_of("ACC", 7))
    return platform


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def live_server_url(platform):
    """A real threaded HTTP server on loopback running the project's WSGI application."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """A real pre-fork gunicorn serving this test's platform on loopback."""

    def __init__(self, platform, log_dir, workers, threads=1, env=None, args=()):
        self.port = free_port()
        self.access_log = log_dir / "access.log"
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "multitenant.wsgi",
                "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{self.port}",
                "--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(s)s %({host}i)s",
                *args,
            ],
            cwd=ROOT, env=platform.env(**(env or {})), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not self._answers():
            assert time.monotonic() < deadline and self.process.poll() is None, "gunicorn did not start"
            time.sleep(0.2)

    def _answers(self):
        try:
            self.get("localhost", "/healthz")
            return True
        except OSError:
            return False

    def get(self, host, path="/", headers=None):
        """(status, body) of one request with that Host header."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Host": host, "Connection": "close", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def gunicorn(platform, tmp_path):
    """Start gunicorn on this test's platform: gunicorn(workers=3, threads=1, env={...}, args=[...])."""
    servers = []

    def start(workers, threads=1, env=None, args=()):
        servers.append(Gunicorn(platform, tmp_path, workers, threads, env, args))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def run_cli(platform):
    """Run school_manage.py (or manage.py) in a subprocess on this test's platform."""

    def run(*args, script="school_manage.py", input=None, env=None):
        return subprocess.run(
            [sys.executable, str(ROOT / script), *args],
            cwd=ROOT,
            env=platform.env(**(env or {})),
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
