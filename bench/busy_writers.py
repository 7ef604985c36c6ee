"""Benchmark: many writers at once on one school's SQLite file (WAL, IMMEDIATE writes, busy timeout).

    python bench/busy_writers.py [--rounds 2] [--writers 16] [--per-writer 40] [--import-rows 20000]

One platform (`up --no-serve`: default, nairobi, accra) served by gunicorn
with deploy/gunicorn.conf.py's shape on the embedded default (2 x cores + 1
workers, 1 thread each; the development profile, so that pages need no TLS
proxy in front).

1. --writers API clients each create --per-writer students at nairobi while
   `school_manage.py nairobi import_students` imports --import-rows rows into
   the same school: failures (anything but 201, exit status of the import).
2. writes/s of the --writers clients at once vs one client alone, side by
   side in alternating rounds, with synchronous=FULL (the default) and with
   NORMAL: the ratio to "one writer's rate x cores", and what FULL costs;
   and how busy the machine's CPUs were (the writers run on the same
   machine, and one writer's requests keep about one core busy: it, the
   server and SQLite's commit take turns). With the CPUs near full, the
   CPUs bound the writes/s, not SQLite's one writer at a time. The same
   with 4 threads a worker (the MongoDB default): a thread that holds the
   write lock then waits for Python's GIL while the others wait for it.
3. the student page's p99 while the import runs vs when idle, and vs while
   a process that only burns CPU (no database) runs as long: on a machine
   with few cores the import's CPU alone slows the page; the second ratio is
   what the database adds.

Prints medians over --rounds. Not part of the test suite.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for, start_gunicorn  # noqa: E402

HOST = "nairobi.localhost"
WORKERS = os.cpu_count() * 2 + 1
THREADS = 1  # deploy/gunicorn.conf.py without MONGODB_URI

TOKENS = """
import sys
from django.contrib.auth import get_user_model
from School.context import tenant_context
from School.security.tokens import create_token
with tenant_context("nairobi"):
    user = get_user_model().objects.create_superuser("bench", "")
    print(" ".join(create_token(user)[0] for _ in range(int(sys.argv[1]))))
"""


def make_platform(tokens):
    data_dir = Path(tempfile.mkdtemp(prefix="bench-busy-"))
    subprocess.run([sys.executable, "school_manage.py", "up", "--no-serve"], cwd=ROOT, env=env_for(data_dir),
                   check=True, capture_output=True)
    code = f"import django; django.setup()\n{TOKENS}"
    keys = subprocess.run([sys.executable, "-c", code, str(tokens)], cwd=ROOT, env=env_for(data_dir),
                          check=True, capture_output=True, text=True).stdout.split()
    return data_dir, keys


class Server:
    def __init__(self, data_dir, synchronous, threads=THREADS):
        self.process, self.port = start_gunicorn(data_dir, WORKERS, threads, HOST, SCHOOL_SQLITE_SYNCHRONOUS=synchronous,
                                                 API_RATE_LIMIT="1000000/min")

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Host": HOST})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


_counter = iter(range(1, 1 << 40))


def writer(port, key, count, statuses):
    """One API client creating `count` students, one request after the other."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": HOST, "Authorization": f"Token {key}", "Content-Type": "application/json"}
    for _ in range(count):
        number = next(_counter)
        body = json.dumps({"registration_no": f"W/{os.getpid()}/{number}", "first_name": "Writer", "second_name": str(number)})
        try:
            connection.request("POST", "/api/students/", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        except OSError as error:
            statuses.append(repr(error))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.close()


def cpu_ticks():
    """(all, idle) CPU ticks of the machine so far (/proc/stat)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]  # idle + iowait


def writers(port, keys, per_writer, busy=None):
    """(seconds, statuses) of len(keys) clients writing at once; appends the machine's busy CPU share to `busy`."""
    statuses = []
    threads = [threading.Thread(target=writer, args=(port, key, per_writer, statuses)) for key in keys]
    ticks, idle = cpu_ticks()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if busy is not None:
        ticks_after, idle_after = cpu_ticks()
        busy.append(1 - (idle_after - idle) / max(1, ticks_after - ticks))
    return seconds, statuses


def import_file(rows, tag):
    path = Path(tempfile.mkstemp(prefix="bench-import-", suffix=".csv")[1])
    with open(path, "w") as handle:
        handle.write("registration_no,first_name,second_name\n")
        for n in range(rows):
            handle.write(f"IMP/{tag}/{n:06d},First{n},Last{n}\n")
    return path


def start_import(data_dir, rows, tag, synchronous="FULL"):
    path = import_file(rows, tag)
    process = subprocess.Popen(
        [sys.executable, "school_manage.py", "nairobi", "import_students", str(path)], cwd=ROOT,
        env=env_for(data_dir, SCHOOL_SQLITE_SYNCHRONOUS=synchronous), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    return process, path


def page_latencies(port, until=None, count=None):
    """Latencies (ms) of sequential student-page loads, until `until()` or `count` loads."""
    latencies = []
    while (until is not None and not until()) or (count is not None and len(latencies) < count):
        started = time.perf_counter()
        status, _ = get(port, "/?q=First1")
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"student page answered {status}")
    return latencies


BURN = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end: pass\n"


def cpu_burner(seconds):
    """A process that keeps one core busy for `seconds`, touching no database."""
    return subprocess.Popen([sys.executable, "-c", BURN, str(seconds)])


def p99(values):
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--per-writer", type=int, default=40)
    parser.add_argument("--import-rows", type=int, default=20_000)
    args = parser.parse_args()
    cores = os.cpu_count()
    data_dir, keys = make_platform(args.writers)
    print(f"gunicorn: {WORKERS} workers x {THREADS} threads; {cores} cores; {args.writers} writers x {args.per_writer} students;"
          f" import of {args.import_rows} rows")

    print("\n1. writers + an import into the same school")
    server = Server(data_dir, "FULL")
    all_failures, completed = 0, 0
    try:
        for round_ in range(args.rounds):
            importing, path = start_import(data_dir, args.import_rows, f"a{round_}")
            seconds, statuses = writers(server.port, keys, args.per_writer)
            out, err = importing.communicate()
            path.unlink()
            failures = sum(status != 201 for status in statuses)
            all_failures, completed = all_failures + failures, completed + (importing.returncode == 0)
            print(f"   round {round_ + 1}: {len(statuses)} writes in {seconds:.1f}s, {failures} failures; "
                  f"import exit {importing.returncode} ({(out.strip() or err.strip()).splitlines()[-1]})")
    finally:
        server.stop()
    print(f"   writes failed in all: {all_failures}; imports completed: {completed} of {args.rounds}")

    print("\n2. writes/s: all writers at once vs one writer alone (alternating rounds)")
    rates = {}
    for synchronous, threads in (("FULL", THREADS), ("NORMAL", THREADS), ("FULL", 4)):
        label = synchronous if threads == THREADS else f"{synchronous}, {threads} threads a worker"
        server = Server(data_dir, synchronous, threads)
        one_busy, many_busy, ratios = [], [], []
        try:
            writers(server.port, keys, 5)  # every worker has loaded the app and opened the school
            for _ in range(args.rounds):
                one_seconds, one = writers(server.port, keys[:1], args.per_writer * 4, one_busy)
                many_seconds, many = writers(server.port, keys, args.per_writer, many_busy)
                assert all(status == 201 for status in one + many), set(one + many)
                one_rate, many_rate = len(one) / one_seconds, len(many) / many_seconds
                rates.setdefault(label, []).append((one_rate, many_rate))
                ratios.append(many_rate / (one_rate * cores))
        finally:
            server.stop()
        single = statistics.median(one for one, _ in rates[label])
        together = statistics.median(many for _, many in rates[label])
        print(f"   synchronous={label}: one writer {single:.0f} writes/s, {args.writers} writers {together:.0f} writes/s;"
              f" rounds' ratios {' '.join(f'{ratio:.2f}' for ratio in ratios)};"
              f" median ratio to one writer x {cores} cores: {statistics.median(ratios):.2f}")
        print(f"      the machine's CPUs busy (clients included): {statistics.median(one_busy):.0%} with one writer,"
              f" {statistics.median(many_busy):.0%} with {args.writers}")
    full = statistics.median(many for _, many in rates["FULL"])
    normal = statistics.median(many for _, many in rates["NORMAL"])
    print(f"   synchronous=FULL costs: {args.writers} writers at {full / normal:.2f}x the writes/s of NORMAL")

    print("\n3. student page p99 during an import vs idle (alternating rounds)")
    server = Server(data_dir, "FULL")
    ratios, to_cpu = [], []
    try:
        page_latencies(server.port, count=20 * WORKERS)  # every worker has loaded the app and opened the school
        for round_ in range(args.rounds):
            idle = page_latencies(server.port, count=500)
            started = time.monotonic()
            importing, path = start_import(data_dir, args.import_rows, f"c{round_}")
            busy = page_latencies(server.port, until=lambda: importing.poll() is not None)
            seconds = time.monotonic() - started
            importing.communicate()
            path.unlink()
            burning = cpu_burner(seconds)
            burnt = page_latencies(server.port, until=lambda: burning.poll() is not None)
            ratios.append(p99(busy) / p99(idle))
            to_cpu.append(p99(busy) / p99(burnt))
            print(f"   round {round_ + 1}: p99 idle {p99(idle):.1f} ms ({len(idle)} loads), during the import"
                  f" {p99(busy):.1f} ms ({len(busy)} loads, exit {importing.returncode}), beside a CPU burner as long"
                  f" {p99(burnt):.1f} ms ({len(burnt)} loads); import/idle {ratios[-1]:.2f}, import/burner {to_cpu[-1]:.2f}")
    finally:
        server.stop()
    print(f"   median p99 ratio during import / idle: {statistics.median(ratios):.2f} (goal <= 2)")
    print(f"   median p99 ratio during import / beside a CPU burner: {statistics.median(to_cpu):.2f} (what the database adds)")


if __name__ == "__main__":
    main()
