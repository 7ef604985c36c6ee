"""A limit is a limit: counters hold across every worker and process of one deployment (issue 19)."""

import pickle
import re
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connections

from School.context import tenant_context
from School.security import limits
from School.security.shared_cache import LockedFileCache
from School.security.tokens import create_token
from multitenant.caches import cache_config
from tests.conftest import ROOT, free_port

WORKERS = 3


def test_a_key_gets_its_limit_per_window_and_the_next_window_starts_afresh(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(limits, "clock", lambda: now[0])
    assert [limits.allow("test", "someone", 3, 60) for _ in range(5)] == [True, True, True, False, False]
    # Another key, or another scope, has its own count.
    assert limits.allow("test", "someone else", 3, 60)
    assert limits.allow("other", "someone", 3, 60)
    now[0] += 60
    assert limits.allow("test", "someone", 3, 60)
    assert 0 < limits.window_remaining(60) <= 60


def test_any_text_makes_a_bounded_key_and_a_bad_scope_is_refused():
    assert limits.allow("test", "x" * 10_000 + " spaces and ünïcode\n", 1, 60)
    with pytest.raises(ValueError):
        limits.allow("Bad Scope", "someone", 1, 60)


def test_the_embedded_default_is_a_file_cache_under_the_data_dir_that_no_school_database_holds(tmp_path, settings):
    """The choice: DatabaseCache would ask our router, which sends it to the active school's database."""
    config = cache_config("", tmp_path)
    assert config["BACKEND"] == "School.security.shared_cache.LockedFileCache"
    assert config["LOCATION"] == str(tmp_path / "cache")
    assert isinstance(caches["default"], LockedFileCache)
    queries = []
    with connections["default"].execute_wrapper(lambda execute, *args: queries.append(args) or execute(*args)):
        limits.allow("test", "no database", 5, 60)
    assert queries == []


def test_cache_url_chooses_the_backend(tmp_path):
    assert cache_config("file:///srv/cache", tmp_path)["LOCATION"] == "/srv/cache"
    assert cache_config("redis://127.0.0.1:6379/1", tmp_path)["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache_config("locmem://", tmp_path)["BACKEND"].endswith("LocMemCache")
    with pytest.raises(Exception, match="unknown scheme"):
        cache_config("memcache://x", tmp_path)


HIT_MANY = """
import sys
from School.security.shared_cache import LockedFileCache
counter = LockedFileCache(sys.argv[1], {})
for _ in range(100):
    counter.add("count", 0, 600)
    counter.incr("count")
"""


def test_the_file_cache_counts_every_hit_of_several_processes(tmp_path):
    processes = [subprocess.Popen([sys.executable, "-c", HIT_MANY, str(tmp_path)], cwd=ROOT) for _ in range(4)]
    for process in processes:
        assert process.wait(120) == 0
    assert LockedFileCache(str(tmp_path), {}).get("count") == 400


def test_incr_keeps_the_expiry_of_the_window(tmp_path):
    counter = LockedFileCache(str(tmp_path), {})
    counter.add("count", 0, 1)
    counter.incr("count")
    expiry = time.time() + 1
    path = counter._key_to_file("count")
    with open(path, "rb") as f:
        assert pickle.load(f) <= expiry  # not pushed to the default timeout


def test_culling_removes_expired_counters_before_live_ones(tmp_path, monkeypatch):
    counter = LockedFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 1}})
    for number in range(10):
        counter.set(f"old-{number}", 1, 1)
    future = time.time() + 5
    monkeypatch.setattr(time, "time", lambda: future)
    counter.set("live", 7, 600)
    assert counter.get("live") == 7
    assert len(counter._list_cache_files()) == 1


def worker_pids(server):
    return set(re.findall(r"^<(\d+)> ", server.access_log.read_text(), re.M))


@pytest.fixture
def redis_url(tmp_path):
    """Debian's redis-server on a free port, keeping nothing on disk."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.fixture(params=["file", "redis"])
def cache_url(request):
    return "" if request.param == "file" else request.getfixturevalue("redis_url")


@pytest.mark.sqlite
def test_a_token_gets_its_limit_not_workers_times_its_limit(three_schools, gunicorn, cache_url):
    with tenant_context("nairobi"):
        user = get_user_model().objects.create_superuser("registrar", "", "correct-horse-battery")
        key = create_token(user)[0]
    limit = 10
    server = gunicorn(workers=WORKERS, env={"API_RATE_LIMIT": f"{limit}/hour", "CACHE_URL": cache_url})
    server.access_log.write_text("")

    def call(_):
        return server.get("nairobi.localhost", "/api/students/", headers={"Authorization": f"Token {key}"})[0]

    statuses = []
    window = int(time.time() // 3600)
    with ThreadPoolExecutor(max_workers=6) as pool:
        # Until every worker has answered some of them: each one counted in the same place. A worker
        # loads the application on its first request, which on a busy machine can take seconds while
        # the others answer hundreds, so the bound is a deadline, not a number of requests (more
        # requests only add refusals).
        deadline = time.monotonic() + 120
        while len(worker_pids(server)) < WORKERS and time.monotonic() < deadline:
            statuses += list(pool.map(call, range(12)))
    if int(time.time() // 3600) != window:
        pytest.skip("the burst straddled the hour's window; run again")
    assert len(worker_pids(server)) == WORKERS
    assert statuses.count(200) == limit
    assert set(statuses) == {200, 429}
    # Another school's token is counted apart.
    with tenant_context("accra"):
        user = get_user_model().objects.create_superuser("registrar", "", "correct-horse-battery")
        other = create_token(user)[0]
    assert server.get("accra.localhost", "/api/students/", headers={"Authorization": f"Token {other}"})[0] == 200
