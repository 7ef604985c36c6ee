"""/metrics for Prometheus (issue 24): who may scrape, what it says, and counters that add up across workers."""

import os
import re
import signal
import time

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from School.models import School
from School.platform.figures import recount
from tests.conftest import ROOT


def samples(text):
    """{(name, frozenset(labels)): value} of a scrape."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_total(text, host_kind=None):
    return sum(
        value for (name, labels), value in samples(text).items()
        if name == "school_http_requests_total" and (host_kind is None or ("host_kind", host_kind) in labels)
    )


def test_loopback_or_a_bearer_token_may_scrape_and_nobody_else(three_schools, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert Client(HTTP_HOST="localhost").get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert Client(HTTP_HOST="nairobi.localhost").get("/metrics").status_code == 200  # any host: Prometheus' choice
    outside = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9")
    assert outside.get("/metrics").status_code == 404
    assert outside.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert outside.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    # Through the proxy every request comes from loopback: Caddy's X-Forwarded-For gives it away.
    assert Client(HTTP_HOST="localhost").get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    settings.METRICS_ALLOWED_ADDRESSES = ["10.1.2.3"]
    assert Client(HTTP_HOST="localhost").get("/metrics").status_code == 404


def test_schools_gauges_without_a_label_per_school(three_schools):
    School.objects.using("default").filter(name="accra").update(suspended=True)
    recount("nairobi")
    text = Client(HTTP_HOST="localhost").get("/metrics").content.decode()
    values = samples(text)
    assert values[("school_schools", frozenset({("state", "active")}))] == 2
    assert values[("school_schools", frozenset({("state", "suspended")}))] == 1
    assert values[("school_registry_hosts", frozenset())] == 6
    attention = lambda problem: values[("school_schools_needing_attention", frozenset({("problem", problem)}))]  # noqa: E731
    assert attention("no_recent_backup") == 3 and attention("stale_figures") == 2 and attention("pending_migrations") == 0
    assert values[("school_students", frozenset())] == 5
    for name in ("nairobi", "accra", "Nairobi", "Accra"):
        assert name not in text


def test_requests_are_counted_by_status_and_kind_of_host(three_schools):
    before = Client(HTTP_HOST="localhost").get("/metrics").content.decode()
    Client(HTTP_HOST="nairobi.localhost").get("/healthz")
    Client(HTTP_HOST="nowhere.localhost").get("/")
    School.objects.using("default").filter(name="accra").update(suspended=True)
    from School.utils import registry

    registry.invalidate()
    Client(HTTP_HOST="accra.localhost").get("/")
    after = Client(HTTP_HOST="localhost").get("/metrics").content.decode()
    for kind in ("school", "unknown", "suspended"):
        assert requests_total(after, kind) - requests_total(before, kind) == 1, kind
    assert re.search(r'school_http_requests_total\{host_kind="suspended",status="503"\}', after)
    assert 'school_http_request_duration_seconds_bucket{host_kind="school",le="0.005"}' in after


def test_counters_add_up_across_gunicorn_workers_and_outlive_a_worker(three_schools, gunicorn, tmp_path):
    directory = tmp_path / "prometheus"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "x" * 60,
           "LEARNER_DIGEST_KEY": "d" * 60}
    server = gunicorn(3, env=env, args=["-c", str(ROOT / "deploy" / "gunicorn.conf.py")])
    first = requests_total(server.get("localhost", "/metrics")[1], "school")

    def pids():
        # Lines are "<pid> status host" (the fixture's access log format).
        return {line.split()[0].strip("<>") for line in server.access_log.read_text().splitlines()}

    for _ in range(30):
        assert server.get("nairobi.localhost", "/healthz")[0] == 200
    served_by = pids()
    # Every worker that served is stopped; gunicorn starts new ones, which serve the rest.
    for pid in served_by:
        os.kill(int(pid), signal.SIGTERM)
    deadline = time.monotonic() + 60
    extra = 0  # the requests this loop sent (the access log is written after the answer: no count to read there)
    while True:
        status, _ = server.get("accra.localhost", "/healthz")
        extra += 1
        if status == 200 and pids() - served_by:
            break
        assert time.monotonic() < deadline, "no new worker served"
        time.sleep(0.1)
    for _ in range(10):
        assert server.get("accra.localhost", "/healthz")[0] == 200
    text = server.get("localhost", "/metrics")[1]
    # The probes before the first scrape, the 30 and the others: all of them, from dead and live workers.
    assert requests_total(text, "school") - first == 30 + extra + 10
    assert len({path.name.split("_")[-1] for path in directory.glob("counter_*.db")}) >= 2
