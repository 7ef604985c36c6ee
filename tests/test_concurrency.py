"""No school leaks into another under concurrent requests (WSGI threads and ASGI tasks)."""

import asyncio
import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.core.asgi import get_asgi_application

from School.context import current_school
from tests.conftest import students_of

SCHOOLS = {
    "nairobi.localhost": ("nairobi", "NBI-", 5),
    "accra.localhost": ("accra", "ACC-", 7),
    "localhost": ("default", "DEF-", 3),
}
ROW_PREFIX = re.compile(r"<td>(\w{3})-\d{4}</td>")


def rows_seen(body):
    return {prefix + "-" for prefix in ROW_PREFIX.findall(body)}


def test_eight_threads_on_three_schools_never_see_each_others_rows(three_schools, live_server_url):
    port = live_server_url.rsplit(":", 1)[1]
    hosts = list(SCHOOLS)

    def hammer(worker):
        problems = []
        for n in range(25):
            host = hosts[(worker + n) % len(hosts)]
            path = "/healthz" if n % 3 == 0 else "/"
            request = urllib.request.Request(f"{live_server_url}{path}", headers={"Host": f"{host}:{port}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read().decode()
            name, prefix, count = SCHOOLS[host]
            if path == "/healthz":
                if json.loads(body) != {"school": name, "status": "ok", "students": count}:
                    problems.append((host, body))
            elif rows_seen(body) != {prefix}:
                problems.append((host, rows_seen(body)))
        return problems

    with ThreadPoolExecutor(max_workers=8) as pool:
        problems = [problem for result in pool.map(hammer, range(8)) for problem in result]
    assert problems == []


async def asgi_get(app, host, path):
    """One GET through the ASGI application; returns (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent_body = False
    messages = []

    async def receive():
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect until Django stops listening

    async def send(message):
        messages.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body.decode()


def test_asgi_concurrent_async_views_stay_in_their_school(three_schools):
    app = get_asgi_application()
    # A few hundred students more in one school, so its async count query
    # takes longer and the requests really interleave.
    three_schools.add_students("accra", students_of("ACX", 300))
    expected = {
        "nairobi.localhost": ("nairobi", 5, {"NBI-"}),
        "accra.localhost": ("accra", 307, {"ACC-", "ACX-"}),
        "localhost": ("default", 3, {"DEF-"}),
    }

    async def scenario():
        requests = [(host, path) for _ in range(15) for host in expected for path in ("/healthz", "/")]
        results = await asyncio.gather(*(asgi_get(app, host, path) for host, path in requests))
        return list(zip(requests, results))

    problems = []
    for (host, path), (status, body) in asyncio.run(scenario()):
        name, count, own_prefixes = expected[host]
        if status != 200:
            problems.append((host, path, status))
        elif path == "/healthz" and json.loads(body) != {"school": name, "status": "ok", "students": count}:
            problems.append((host, path, body))
        elif path == "/" and not (rows_seen(body) and rows_seen(body) <= own_prefixes):
            problems.append((host, path, rows_seen(body)))
    assert problems == []
    assert current_school() is None


def test_asgi_unknown_host_is_refused(three_schools):
    status, body = asyncio.run(asgi_get(get_asgi_application(), "evil.localhost", "/healthz"))
    assert status == 404
    assert "accra" not in body and "nairobi" not in body
