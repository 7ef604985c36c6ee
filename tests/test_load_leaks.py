"""A bounded mixed load on a real multi-process, multi-thread server: no leak, no 5xx."""

import json
import random
import re
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import get_user_model

from School.context import tenant_context
from School.security.tokens import create_token
from tests.conftest import students_of

SCHOOLS = 20
CLIENTS = 8
REQUESTS_PER_CLIENT = 60  # bounded by count, not time: a slow machine sends them all too
ROW = re.compile(r"\b([A-Z0-9]{3})-\d{4}\b")


def test_twenty_schools_under_mixed_load_never_leak(platform, gunicorn):
    schools = {}  # host -> (name, marker, token)
    for number in range(SCHOOLS):
        name, marker = ("default", "DEF") if number == 0 else (f"s{number:02d}", f"S{number:02d}")
        host = "localhost" if number == 0 else f"{name}.localhost"
        platform.add_school(name, [host], f"School {number}", students_of(marker, 3))
        with tenant_context(name):
            user = get_user_model().objects.create_superuser(f"api{number}", "")
            schools[host] = (name, marker, create_token(user)[0])
    server = gunicorn(workers=2, threads=4)

    def client(seed):
        rng = random.Random(seed)
        problems, sent = [], 0
        while sent < REQUESTS_PER_CLIENT:
            host = rng.choice(sorted(schools))
            name, marker, token = schools[host]
            # The search finds names starting with the text: the school's own first names.
            path = rng.choice(["/", f"/?q={marker}first", "/?sort=-second_name", "/healthz", "/api/students/"])
            headers = {"Authorization": f"Token {token}"} if path.startswith("/api/") else {}
            status, body = server.get(host, path, headers)
            sent += 1
            if status >= 500 or status != 200:
                problems.append((host, path, status))
            elif path == "/healthz":
                if json.loads(body) != {"school": name, "status": "ok", "students": 3}:
                    problems.append((host, path, body))
            elif set(ROW.findall(body)) != {marker}:
                problems.append((host, path, sorted(set(ROW.findall(body)))))
        return sent, problems

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))
    sent = sum(count for count, _ in results)
    problems = [problem for _, found in results for problem in found]
    assert problems == []
    assert sent == CLIENTS * REQUESTS_PER_CLIENT
