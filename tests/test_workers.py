"""Registry changes reach every worker of a real pre-fork server within 2 s, without restart."""

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ROOT

WORKERS = 3
FRESHNESS_SECONDS = 2.0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, port, access_log):
        self.port, self.access_log = port, access_log

    def status(self, host, path="/healthz"):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Host": host, "Connection": "close"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def worker_pids(self, host):
        pattern = re.compile(rf"^<(\d+)> \d+ {re.escape(host)}$")
        return {match.group(1) for line in self.access_log.read_text().splitlines() if (match := pattern.match(line))}

    def statuses_from_every_worker(self, host, limit=400):
        """Statuses of requests sent until every worker has answered one (bounded)."""
        self.access_log.write_text("")
        statuses = []
        with ThreadPoolExecutor(max_workers=6) as pool:
            while len(statuses) < limit:
                statuses += pool.map(lambda _: self.status(host), range(12))
                time.sleep(0.05)  # the access log is written after the response
                if len(self.worker_pids(host)) >= WORKERS:
                    return statuses
        pytest.fail(f"only workers {self.worker_pids(host)} answered {limit} requests")


@pytest.fixture
def server(three_schools, tmp_path):
    port = free_port()
    access_log = tmp_path / "access.log"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "multitenant.wsgi",
            "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
            "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %({host}i)s",
        ],
        cwd=ROOT, env=three_schools.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    running = Server(port, access_log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if running.status("nairobi.localhost") == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, "gunicorn did not start"
        time.sleep(0.2)
    yield running
    process.terminate()
    process.wait(10)


def changed(run_cli, *args):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    time.sleep(FRESHNESS_SECONDS)


def test_school_changes_reach_every_worker_within_two_seconds(server, run_cli):
    # Every worker has cached a registry in which kisumu is unknown.
    assert set(server.statuses_from_every_worker("kisumu.localhost")) == {404}

    changed(run_cli, "schools", "add", "kisumu", "--host", "kisumu.localhost")
    assert set(server.statuses_from_every_worker("kisumu.localhost")) == {200}

    changed(run_cli, "schools", "suspend", "kisumu")
    assert set(server.statuses_from_every_worker("kisumu.localhost")) == {503}

    changed(run_cli, "schools", "resume", "kisumu")
    assert set(server.statuses_from_every_worker("kisumu.localhost")) == {200}

    changed(run_cli, "schools", "remove", "kisumu", "--yes")
    assert set(server.statuses_from_every_worker("kisumu.localhost")) == {404}
    assert server.status("nairobi.localhost") == 200
