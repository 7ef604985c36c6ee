"""Benchmark: does the number of registered schools slow one school's page?

    python bench/request_scale.py [--schools 2000] [--rounds 5] [--requests 300]

Two platforms side by side, each served by its own one-worker gunicorn on
loopback: one with 3 schools, one with --schools. The same school (same
students) is asked for its student page on both, in alternating rounds;
prints the throughput of each and their ratio (goal: >= 0.95), then each
worker's resident memory and the difference per extra registered school.
"""

import argparse
from contextlib import contextmanager
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for, free_port, worker_rss_kib  # noqa: E402

HOST = "nairobi.localhost"

REGISTER = """
import sys
from School.models import School, SchoolHost
count = int(sys.argv[1])
schools = School.objects.bulk_create(School(name=f"idle{n:05d}", display_name=f"Idle {n}") for n in range(count))
schools = School.objects.filter(name__startswith="idle")
SchoolHost.objects.bulk_create(SchoolHost(school=school, host=f"{school.name}.localhost") for school in schools)
# bulk_create sends no signals and logs no change: fine for schools that no
# worker has looked up yet (workers resolve hosts on demand).
"""




def make_platform(extra_schools):
    data_dir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    subprocess.run([sys.executable, "school_manage.py", "up", "--no-serve"], cwd=ROOT, env=env_for(data_dir),
                   check=True, capture_output=True)
    if extra_schools:
        code = f"import django; django.setup()\n{REGISTER}"
        subprocess.run([sys.executable, "-c", code, str(extra_schools)], cwd=ROOT, env=env_for(data_dir), check=True)
    return data_dir




def start_server(data_dir):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "multitenant.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env_for(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            fetch(port, 1)
            return process, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def fetch(port, count):
    """`count` sequential requests for the student page; returns requests per second."""
    started = time.perf_counter()
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/?sort=second_name", headers={"Host": HOST})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        if response.status != 200 or b"NBI/" not in body:
            raise RuntimeError(f"unexpected answer {response.status}")
    return count / (time.perf_counter() - started)




@contextmanager
def side_by_side(small_dir, large_dir):
    """Two one-worker gunicorns, warmed up: yields ((process, port) of small, (process, port) of large)."""
    servers = [start_server(small_dir), start_server(large_dir)]
    try:
        for _process, port in servers:
            fetch(port, 50)  # warm-up: templates compiled, hosts resolved
        yield servers
    finally:
        for process, _port in servers:
            process.terminate()
            process.wait(10)


def compare_rounds(small_port, large_port, schools, rounds, requests):
    """Student-page throughput of 3 vs `schools` registered schools, alternating; prints the median ratio."""
    ratios = []
    print(f"{'round':>5}  {'3 schools':>10}  {f'{schools} schools':>15}  {'ratio':>6}")
    for round_number in range(1, rounds + 1):
        # Alternate which goes first, so a drift within a round favours neither.
        if round_number % 2:
            few, many = fetch(small_port, requests), fetch(large_port, requests)
        else:
            many, few = fetch(large_port, requests), fetch(small_port, requests)
        ratios.append(many / few)
        print(f"{round_number:>5}  {few:>8.0f}/s  {many:>13.0f}/s  {many / few:>6.3f}")
    print(f"median ratio: {statistics.median(ratios):.3f} (goal: >= 0.95)")
    return statistics.median(ratios)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    small_dir, large_dir = make_platform(0), make_platform(args.schools - 3)
    try:
        with side_by_side(small_dir, large_dir) as ((small, small_port), (large, large_port)):
            print(f"\nstudent page of {HOST}, {args.requests} requests a round")
            compare_rounds(small_port, large_port, args.schools, args.rounds, args.requests)
            few_rss, many_rss = worker_rss_kib(small.pid), worker_rss_kib(large.pid)
        per_school = (many_rss - few_rss) / (args.schools - 3)
        print(f"\nworker memory: {few_rss} KiB with 3 schools, {many_rss} KiB with {args.schools}:"
              f" {per_school:.2f} KiB per idle registered school")
    finally:
        shutil.rmtree(small_dir, ignore_errors=True)
        shutil.rmtree(large_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
