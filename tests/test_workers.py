"""Registry changes reach every worker of a real pre-fork server within 2 s, without restart."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

WORKERS = 3
FRESHNESS_SECONDS = 2.0


def worker_pids(server, host):
    pattern = re.compile(rf"^<(\d+)> \d+ {re.escape(host)}$")
    return {match.group(1) for line in server.access_log.read_text().splitlines() if (match := pattern.match(line))}


def statuses_from_every_worker(server, host, limit=400):
    """Statuses of requests sent until every worker has answered one (bounded)."""
    server.access_log.write_text("")
    statuses = []
    with ThreadPoolExecutor(max_workers=6) as pool:
        while len(statuses) < limit:
            statuses += [status for status, _ in pool.map(lambda _: server.get(host, "/healthz"), range(12))]
            time.sleep(0.05)  # the access log is written after the response
            if len(worker_pids(server, host)) >= WORKERS:
                return statuses
    pytest.fail(f"only workers {worker_pids(server, host)} answered {limit} requests")


@pytest.fixture
def server(three_schools, gunicorn):
    return gunicorn(workers=WORKERS)


def changed(run_cli, *args):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    time.sleep(FRESHNESS_SECONDS)


def test_school_changes_reach_every_worker_within_two_seconds(server, run_cli):
    # Every worker has cached a registry in which kisumu is unknown.
    assert set(statuses_from_every_worker(server, "kisumu.localhost")) == {404}

    changed(run_cli, "schools", "add", "kisumu", "--host", "kisumu.localhost")
    assert set(statuses_from_every_worker(server, "kisumu.localhost")) == {200}

    changed(run_cli, "schools", "suspend", "kisumu")
    assert set(statuses_from_every_worker(server, "kisumu.localhost")) == {503}

    changed(run_cli, "schools", "resume", "kisumu")
    assert set(statuses_from_every_worker(server, "kisumu.localhost")) == {200}

    changed(run_cli, "schools", "remove", "kisumu", "--yes")
    assert set(statuses_from_every_worker(server, "kisumu.localhost")) == {404}
    assert server.get("nairobi.localhost", "/healthz")[0] == 200
