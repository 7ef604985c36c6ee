"""Benchmark: what tenancy costs, on a real server under a real load generator.

    python bench/tenancy.py [--rounds 5] [--seconds 3] [--schools 2000]

gunicorn (one worker each, the same settings but for tenancy) and wrk
(Debian's, installed here if missing), several alternating rounds, medians:

1. tenancy overhead: the student page of one school against the same page,
   same data, same server, with tenancy switched off
   (bench/single_db_settings.py). Goal: >= 95% of single-database throughput.
2. scale in schools: requests spread over 50 schools of a platform with
   2,000 registered schools, against requests spread over 3 schools of a
   6-school platform (the demo's and 3 more). The 3 and the 50 hold the same
   students, so both sides render pages of the same size. Goal: >= 95%.
3. memory: resident memory of a worker after serving 50 schools against
   after serving 4 (nairobi and the 3), per extra school. Most of it is the
   school's kept SQLite connection (schema and page cache), at most
   SCHOOL_KEPT_CONNECTIONS of them per worker thread.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for, free_port, worker_rss_kib  # noqa: E402

ACTIVE = 50

REGISTER = """
import sys
from School.connections import forget_alias
from School.operations.demo import sample_students
from School.context import tenant_context
from School.models import School, SchoolHost, Student
from School.operations.provisioning import add_school
active, idle = int(sys.argv[1]), int(sys.argv[2])
for n in range(active):
    school = add_school(f"busy{n:03d}", [f"busy{n:03d}.localhost"])
    with tenant_context(school):
        Student.objects.bulk_create(sample_students(f"B{n:02d}"))
    forget_alias(school.name)
School.objects.bulk_create(School(name=f"idle{n:05d}", display_name=f"Idle {n}") for n in range(idle))
SchoolHost.objects.bulk_create(
    SchoolHost(school=school, host=f"{school.name}.localhost") for school in School.objects.filter(name__startswith="idle")
)
# bulk_create logs no change: fine, no worker has looked these up yet.
"""

LUA = """
hosts = {%s}
counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Host"] = hosts[(counter %% #hosts) + 1]
  return wrk.format("GET", "/")
end
"""


def ensure_wrk():
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})




def make_platform(active, idle):
    data_dir = Path(tempfile.mkdtemp(prefix="bench-tenancy-"))
    subprocess.run([sys.executable, "school_manage.py", "up", "--no-serve"], cwd=ROOT, env=env_for(data_dir),
                   check=True, capture_output=True)
    if active or idle:
        code = f"import django; django.setup()\n{REGISTER}"
        subprocess.run([sys.executable, "-c", code, str(active), str(idle)], cwd=ROOT, env=env_for(data_dir),
                       check=True, capture_output=True)
    return data_dir




class Server:
    def __init__(self, env):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "multitenant.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(1.5)

    def rss_kib(self):
        return worker_rss_kib(self.process.pid)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def wrk(server, hosts, seconds, script_dir):
    script = script_dir / f"hosts-{len(hosts)}.lua"
    script.write_text(LUA % ", ".join(f'"{host}"' for host in hosts))
    result = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{server.port}/"],
        capture_output=True, text=True, check=True,
    )
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors under load:\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def compare(label, first, second, rounds, seconds, script_dir, goal):
    """Alternating rounds of two (server, hosts) pairs; prints and returns the median ratio second/first."""
    ratios = []
    print(f"\n{label}")
    print(f"{'round':>5} {first[2]:>16} {second[2]:>16} {'ratio':>6}")
    for number in range(1, rounds + 1):
        pair = [first, second] if number % 2 else [second, first]
        rates = {name: wrk(server, hosts, seconds, script_dir) for server, hosts, name in pair}
        ratio = rates[second[2]] / rates[first[2]]
        ratios.append(ratio)
        print(f"{number:>5} {rates[first[2]]:>14.0f}/s {rates[second[2]]:>14.0f}/s {ratio:>6.3f}")
    median = statistics.median(ratios)
    print(f"median ratio: {median:.3f} (goal: >= {goal})")
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--schools", type=int, default=2000)
    args = parser.parse_args()
    ensure_wrk()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; gunicorn 1 worker; wrk 1 thread, 4 connections")
    script_dir = Path(tempfile.mkdtemp(prefix="bench-wrk-"))
    small = make_platform(3, 0)
    large = make_platform(ACTIVE, args.schools - 3 - ACTIVE)
    servers = {
        "tenancy": Server(env_for(small)),
        "single": Server(env_for(small, DJANGO_SETTINGS_MODULE="bench.single_db_settings",
                                 SINGLE_SCHOOL_DB=str(small / "db" / "nairobi.sqlite3"), PYTHONPATH=str(ROOT))),
        "large": Server(env_for(large)),
    }
    try:
        compare("1. tenancy overhead: nairobi's student page", (servers["single"], ["nairobi.localhost"], "single database"),
                (servers["tenancy"], ["nairobi.localhost"], "multi-school"), args.rounds, args.seconds, script_dir, 0.95)
        busy = [f"busy{n:03d}.localhost" for n in range(ACTIVE)]
        three = busy[:3]
        compare(f"2. scale: student pages spread over the schools served", (servers["tenancy"], three, "3 schools"),
                (servers["large"], busy, f"{args.schools} schools"), args.rounds, args.seconds, script_dir, 0.95)
        few = len({"nairobi.localhost", *three})  # what the small platform's worker has served
        few_rss, fifty_rss = servers["tenancy"].rss_kib(), servers["large"].rss_kib()
        print(f"\n3. memory: worker RSS {few_rss} KiB after serving {few} schools, {fifty_rss} KiB after serving "
              f"{ACTIVE} (of {args.schools} registered): {(fifty_rss - few_rss) / (ACTIVE - few):.0f} KiB per extra school served")
    finally:
        for server in servers.values():
            server.stop()
        for folder in (small, large, script_dir):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
