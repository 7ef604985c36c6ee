"""Soak: a long, mixed load on 20 schools; errors, worker memory and latency over time.

    python bench/soak.py [--requests 100000] [--clients 8] [--schools 20] [--workers 3] [--threads 4]

One platform of --schools schools (the demo's three and more, each with a few
hundred students), served by gunicorn without worker recycling (so that a
leak shows). --clients clients run --requests requests in all, each picking
at random (seeded) a school and one of: the student page (50%), a search
(20%), an API write (25%), a web import of 20 rows (5%: the form, the
upload, the confirmation). The API rate limit is lifted: the soak is about
the platform, not the throttle.

Prints: errors (goal 0); each worker's RSS after the warm-up (the first
tenth of the requests) and at the end (goal: no growth over 10%); the p99 of
the first and the last tenth of the requests (goal: last <= first). A short
run: --requests 2000. Not part of the test suite.
"""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for, free_port, rss_kib  # noqa: E402

SETUP = """
import sys
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from School.context import tenant_context
from School.models import Student
from School.security.tokens import create_token
from School.utils import all_schools

students = int(sys.argv[1])
for school in all_schools():
    with tenant_context(school.name):
        Student.objects.bulk_create(
            Student(registration_no=f"S/{school.name}/{n:05d}", first_name=f"First{n}", second_name=f"Last{n % 97}")
            for n in range(students)
        )
        user = get_user_model().objects.create_superuser("soak", "")
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        print(school.name, school.hosts[0], create_token(user)[0], session.session_key)
"""

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UPLOAD_TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')


def make_platform(schools, students):
    data_dir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    env = env_for(data_dir)
    subprocess.run([sys.executable, "school_manage.py", "up", "--no-serve"], cwd=ROOT, env=env, check=True, capture_output=True)
    extra = data_dir / "schools.csv"
    extra.write_text("name,hosts\n" + "".join(f"soak{n:02d},soak{n:02d}.localhost\n" for n in range(schools - 3)))
    subprocess.run([sys.executable, "school_manage.py", "schools", "import", str(extra)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    lines = subprocess.run([sys.executable, "-c", f"import django; django.setup()\n{SETUP}", str(students)], cwd=ROOT,
                           env=env, check=True, capture_output=True, text=True).stdout.split("\n")
    return data_dir, [dict(zip(("name", "host", "token", "session"), line.split())) for line in lines if line.strip()]


def start_server(data_dir, workers, threads, conn_max_age):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "multitenant.wsgi", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--max-requests", "0"],
        cwd=ROOT, env=env_for(data_dir, API_RATE_LIMIT="100000000/min", SCHOOL_CONN_MAX_AGE=str(conn_max_age)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": "localhost"}, timeout=5)
            return process, port
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)


def worker_pids(master):
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


class Load:
    """The shared request budget and what the requests did."""

    def __init__(self, total, port, master):
        self.total, self.port, self.master = total, port, master
        self.lock = threading.Lock()
        self.issued = 0
        self.latencies = {}  # request number -> ms
        self.errors = []
        self.rss_after_warm_up = None
        self.rss_by_tenth = []  # (requests issued, {worker pid: KiB}) at every tenth: the trend

    def next_number(self):
        with self.lock:
            if self.issued >= self.total:
                return None
            self.issued += 1
            if self.issued % max(1, self.total // 10) == 0:
                self.rss_by_tenth.append((self.issued, {pid: rss_kib(pid) for pid in worker_pids(self.master)}))
                if self.rss_after_warm_up is None:
                    self.rss_after_warm_up = self.rss_by_tenth[-1][1]
            return self.issued

    def request(self, method, school, path, expected, **kwargs):
        number = self.next_number()
        if number is None:
            raise StopIteration
        cookies = {"sessionid": school["session"], **school.get("csrf", {})}
        started = time.perf_counter()
        try:
            response = requests.request(
                method, f"http://127.0.0.1:{self.port}{path}", headers={"Host": school["host"], **kwargs.pop("headers", {})},
                cookies=cookies, allow_redirects=False, timeout=120, **kwargs,
            )
            ok = response.status_code == expected
        except requests.RequestException as error:
            response, ok = None, False
            self.errors.append(f"{method} {school['name']}{path}: {error!r}")
        self.latencies[number] = (time.perf_counter() - started) * 1000
        if response is not None and not ok:
            self.errors.append(f"{method} {school['name']}{path}: {response.status_code} {response.text[:200]!r}")
        if response is not None and "csrftoken" in response.cookies:
            school.setdefault("csrf", {})["csrftoken"] = response.cookies["csrftoken"]
        return response if ok else None


def client(load, schools, seed):
    rng = random.Random(seed)
    written = 0
    try:
        while True:
            school = dict(rng.choice(schools))  # each client keeps its own cookies per request
            school.update(schools_state(seed, school))
            kind = rng.random()
            if kind < 0.50:
                load.request("GET", school, "/", 200)
            elif kind < 0.70:
                load.request("GET", school, f"/?q=First{rng.randrange(1000)}", 200)
            elif kind < 0.95:
                written += 1
                load.request("POST", school, "/api/students/", 201, headers={"Authorization": f"Token {school['token']}"},
                             json={"registration_no": f"API/{seed}/{written}", "first_name": "Api", "second_name": str(written)})
            else:
                web_import(load, school, seed, rng)
    except StopIteration:
        return


_client_state = {}


def schools_state(seed, school):
    """A client's cookies for one school (its CSRF cookie), kept between requests."""
    return _client_state.setdefault((seed, school["name"]), {"csrf": {}})


def web_import(load, school, seed, rng):
    form = load.request("GET", school, "/students/import/", 200)
    if form is None:
        return
    school["csrf"]["csrftoken"] = form.cookies.get("csrftoken", school["csrf"].get("csrftoken", ""))
    tag = f"{seed}-{rng.getrandbits(40):x}"
    rows = "registration_no,first_name,second_name\n" + "".join(f"IMP/{tag}/{n},Imported{n},Row{n}\n" for n in range(20))
    token = CSRF.search(form.text).group(1)
    preview = load.request("POST", school, "/students/import/", 200, data={"csrfmiddlewaretoken": token},
                           files={"file": ("students.csv", rows.encode())})
    if preview is None:
        return
    upload = UPLOAD_TOKEN.search(preview.text).group(1)
    load.request("POST", school, "/students/import/", 302, data={"csrfmiddlewaretoken": CSRF.search(preview.text).group(1),
                                                                   "token": upload})


def p99(values):
    return statistics.quantiles(values, n=100)[98]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--students", type=int, default=300, help="students per school at the start")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--conn-max-age", type=int, default=60,
                        help="SCHOOL_CONN_MAX_AGE; 0 keeps no connection (and no page cache) between requests")
    args = parser.parse_args()
    data_dir, schools = make_platform(args.schools, args.students)
    process, port = start_server(data_dir, args.workers, args.threads, args.conn_max_age)
    load = Load(args.requests, port, process.pid)
    print(f"{len(schools)} schools x {args.students} students; {args.clients} clients; {args.requests} requests;"
          f" gunicorn {args.workers} workers x {args.threads} threads, no recycling, SCHOOL_CONN_MAX_AGE={args.conn_max_age};"
          f" {os.cpu_count()} cores")
    started = time.perf_counter()
    try:
        clients = [threading.Thread(target=client, args=(load, schools, seed)) for seed in range(args.clients)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        seconds = time.perf_counter() - started
        rss_end = {pid: rss_kib(pid) for pid in worker_pids(process.pid)}
    finally:
        process.terminate()
        process.wait(60)
    print(f"{len(load.latencies)} requests in {seconds:.0f}s ({len(load.latencies) / seconds:.0f}/s)")
    print(f"errors: {len(load.errors)} (goal 0)")
    for error in load.errors[:10]:
        print(f"   {error}")
    growth = []
    for pid, before in sorted((load.rss_after_warm_up or {}).items()):
        after = rss_end.get(pid)
        if before and after:
            growth.append(after / before - 1)
            print(f"   worker {pid}: RSS {before / 1024:.1f} MiB after the warm-up, {after / 1024:.1f} MiB at the end")
    print(f"worst worker RSS growth after the warm-up: {100 * max(growth):.1f}% (goal <= 10%)")
    trend = ", ".join(f"{issued}: {max(sizes.values()) / 1024:.0f}" for issued, sizes in load.rss_by_tenth)
    print(f"   largest worker RSS (MiB) by requests issued: {trend}")
    ordered = [load.latencies[number] for number in sorted(load.latencies)]
    tenth = max(2, len(ordered) // 10)
    first, last = p99(ordered[:tenth]), p99(ordered[-tenth:])
    print(f"p99 first tenth {first:.1f} ms, last tenth {last:.1f} ms: ratio last/first {last / first:.2f} (goal <= 1)")


if __name__ == "__main__":
    main()
