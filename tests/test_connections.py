"""Per-request connection handling stays constant-cost whatever the number of schools."""

from django.core import signals
from django.db import close_old_connections, connections
from django.test import Client

from School.connections import ensure_alias
from School.utils import SchoolInfo


def test_a_request_closes_the_connections_it_opened(three_schools):
    assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200
    assert connections["nairobi"].connection is None
    assert connections["default"].connection is None


def test_closing_after_a_request_visits_only_that_requests_connections(three_schools, monkeypatch):
    # 200 schools this worker has served before: their aliases exist here.
    for number in range(200):
        connections[ensure_alias(SchoolInfo(f"served{number:03d}", "x"))]
    signals.request_finished.send(sender=None)  # what the fixtures opened is closed, as after any request
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
    Client(HTTP_HOST="nairobi.localhost").get("/")
    assert set(visited) <= {"nairobi", "default"}, sorted(set(visited))[:5]
    assert "nairobi" in visited
