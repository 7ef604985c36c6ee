"""Per-request connection handling: constant cost whatever the number of schools, warm connections that never outlive what they were opened for."""

import os
import sqlite3

from django.core import signals
from django.db import close_old_connections, connections
from django.test import Client

from School.connections import ensure_alias, forget_alias, registry_changed, sqlite_file
from School.models import School
from School.utils import SchoolInfo, school_by_name
from tests.conftest import outlive_registry_ttl


def page(host="nairobi.localhost"):
    return Client(HTTP_HOST=host).get("/").content.decode()


def test_a_request_keeps_its_schools_connection_open_and_closes_the_rest(three_schools):
    # The fixture's own registry changes reach this worker's cache once its TTL
    # has passed, and retire kept connections then: let that happen first.
    page()
    outlive_registry_ttl()
    page()
    assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200
    kept = connections["nairobi"].connection
    assert kept is not None  # SCHOOL_CONN_MAX_AGE: the next request finds its page cache warm
    assert connections["default"].connection is None  # the registry: read once per TTL, not kept
    assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200
    assert connections["nairobi"].connection is kept


def test_without_a_max_age_a_request_closes_its_schools_connection(three_schools, settings):
    settings.SCHOOL_CONN_MAX_AGE = 0
    forget_alias("nairobi")  # configured again with the setting
    assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200
    assert connections["nairobi"].connection is None


def test_a_thread_keeps_at_most_school_kept_connections(three_schools, settings):
    settings.SCHOOL_KEPT_CONNECTIONS = 1
    page("nairobi.localhost")
    page("accra.localhost")
    assert connections["nairobi"].connection is None  # the least recently served went first
    assert connections["accra"].connection is not None


def test_a_kept_connection_follows_its_file_being_replaced(three_schools):
    assert "NBI-0001" in page()
    nairobi = sqlite_file(School.objects.get(name="nairobi"))
    replacement = nairobi.with_name("replacement.sqlite3")
    # A consistent copy of a WAL-mode database (the file alone may lack the
    # latest commits): SQLite's backup API, as `sqlite3 accra.sqlite3 .backup` does.
    source, copy = sqlite3.connect(sqlite_file(School.objects.get(name="accra"))), sqlite3.connect(replacement)
    source.backup(copy)
    source.close()
    copy.close()
    os.replace(replacement, nairobi)  # what a restore by hand does: a new file at the same path,
    for companion in ("-wal", "-shm"):  # without the old file's WAL and its index
        nairobi.with_name(nairobi.name + companion).unlink(missing_ok=True)
    body = page()
    assert "ACC-0001" in body and "NBI-0001" not in body


def test_a_kept_connection_is_not_used_after_its_file_is_removed(three_schools):
    assert "NBI-0001" in page()
    sqlite_file(School.objects.get(name="nairobi")).unlink()
    response = Client(HTTP_HOST="nairobi.localhost", raise_request_exception=False).get("/")
    assert response.status_code == 503  # never the deleted file's rows through the open descriptor


def test_every_registry_change_retires_the_kept_connections(three_schools):
    page()
    assert connections["nairobi"].connection is not None
    registry_changed()  # what the registry calls for every change it sees (tested end to end below)
    ensure_alias(school_by_name("nairobi"))
    assert connections["nairobi"].connection is None


def test_a_school_removed_and_added_again_is_served_from_its_new_database(three_schools, run_cli):
    assert "NBI-0001" in page()
    assert run_cli("schools", "remove", "nairobi", "--drop-data", "--yes").returncode == 0
    added = run_cli("schools", "add", "nairobi", "--host", "nairobi.localhost")
    assert added.returncode == 0, added.stderr
    outlive_registry_ttl()
    body = page()
    assert "0 students" in body and "NBI-0001" not in body


def spy_on_closing(monkeypatch):
    """The aliases whose connections the request handling looks at, as a list that fills."""
    visited = []
    wrapper_class = type(connections["nairobi"])
    original = wrapper_class.close_if_unusable_or_obsolete

    def spy(self):
        visited.append(self.alias)
        return original(self)

    monkeypatch.setattr(wrapper_class, "close_if_unusable_or_obsolete", spy)
    # Django's test client re-connects Django's own handler around its requests;
    # a real server does not: measure ours alone.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    return visited


def test_a_request_visits_only_the_connections_it_used(three_schools, monkeypatch):
    # 200 schools this worker has served before: their aliases exist here.
    for number in range(200):
        connections[ensure_alias(SchoolInfo(f"served{number:03d}", "x"))]
    page("accra.localhost")  # kept open, not used by the request below
    monkeypatch.setattr("School.connections._sweep_due", lambda: False)
    visited = spy_on_closing(monkeypatch)
    page("nairobi.localhost")
    assert "nairobi" in visited and set(visited) <= {"nairobi", "default"}, sorted(set(visited))[:5]
    assert connections["accra"].connection is not None


def test_the_sweep_closes_kept_connections_whose_file_is_gone(three_schools, monkeypatch):
    page("accra.localhost")
    sqlite_file(School.objects.get(name="accra")).unlink()
    monkeypatch.setattr("School.connections._sweep_due", lambda: False)
    page("nairobi.localhost")
    assert connections["accra"].connection is not None  # only the sweep looks at connections a request did not use
    monkeypatch.setattr("School.connections._sweep_due", lambda: True)
    visited = spy_on_closing(monkeypatch)
    page("nairobi.localhost")
    assert "accra" in visited
    assert connections["accra"].connection is None  # the deleted file's disk space is given back
