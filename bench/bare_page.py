"""Our full student page against the tutorial's bare table, side by side.

    python bench/bare_page.py [--rounds 7] [--seconds 4]

Both serve the same 50 students from the same SQLite file, each on gunicorn
with 2 sync workers, loaded in turn by `wrk -t1 -c8` in alternating rounds:

* ours: `/` of one school of the multi-school platform (host resolution,
  school context, router, search box, sort links, class and status filters,
  count, pagination, links to each record; Jinja2);
* bare: bench/bare/, a plain single-database Django project rendering the 50
  students in a four-column table with a Django template and one query.

Prints each round's requests per second and the median ratio ours / bare
(goal >= 1.0). Our platform keeps a school's SQLite connection open between
requests (SCHOOL_CONN_MAX_AGE); a plain project closes it after each one, as
Django does by default. So that the ratio does not hide where the gain comes
from, the bare page is also run with persistent connections (CONN_MAX_AGE=60),
reported beside it: "bare, kept".
"""

import argparse
import csv
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, env_for, free_port  # noqa: E402

HOST = "bench.localhost"
GRADES = ["Form 1", "Form 2", "Form 3", "Form 4"]
STATUSES = ["active", "active", "active", "graduated", "transferred"]


def make_platform():
    data_dir = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    env = env_for(data_dir)

    def manage(*args):
        subprocess.run([sys.executable, "school_manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)

    manage("up", "--no-serve", "--no-demo")
    manage("schools", "add", "bench", "--host", HOST, "--display-name", "Bench School")
    students = data_dir / "students.csv"
    with open(students, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["registration_no", "first_name", "second_name", "grade", "status"])
        for n in range(50):
            writer.writerow([f"BEN/{n:04d}", f"Amina{n}", f"Mwangi{n % 7}", GRADES[n % 4], STATUSES[n % 5]])
    manage("bench", "import_students", str(students))
    return data_dir


class Server:
    def __init__(self, module, env):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", module, "--workers", "2", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {HOST}",
                              f"http://127.0.0.1:{self.port}/"]).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{module} did not start")
            time.sleep(0.3)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def rate(server, seconds):
    result = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", "-H", f"Host: {HOST}", f"http://127.0.0.1:{server.port}/"],
        capture_output=True, text=True, check=True,
    )
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors under load:\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    data_dir = make_platform()
    ours = Server("multitenant.wsgi", env_for(data_dir))
    bare_env = {"DJANGO_SETTINGS_MODULE": "bench.bare.settings", "BARE_DB": str(data_dir / "db" / "bench.sqlite3")}
    bare = Server("bench.bare.wsgi", env_for(data_dir, **bare_env))
    kept = Server("bench.bare.wsgi", env_for(data_dir, **bare_env, BARE_CONN_MAX_AGE="60"))
    servers = [("ours", ours), ("bare", bare), ("bare, kept", kept)]
    try:
        page = subprocess.run(["curl", "-s", "-H", f"Host: {HOST}", f"http://127.0.0.1:{ours.port}/"],
                              capture_output=True, text=True).stdout
        assert page.count("BEN/00") == 50 and "Page" not in page, "our page does not show the 50 students"
        print("gunicorn 2 sync workers each; wrk 1 thread, 8 connections; 50 students, same SQLite file")
        print("\n1. full page (ours) vs bare four-column table (tutorial), and vs the bare table with kept connections")
        print(f"{'round':>5} {'ours':>12} {'bare':>12} {'bare, kept':>12} {'ours/bare':>10} {'ours/kept':>10}")
        ratios, kept_ratios = [], []
        for number in range(1, args.rounds + 1):
            rates = {name: rate(server, args.seconds) for name, server in (servers if number % 2 else servers[::-1])}
            ratios.append(rates["ours"] / rates["bare"])
            kept_ratios.append(rates["ours"] / rates["bare, kept"])
            print(f"{number:>5} {rates['ours']:>10.0f}/s {rates['bare']:>10.0f}/s {rates['bare, kept']:>10.0f}/s"
                  f" {ratios[-1]:>10.2f} {kept_ratios[-1]:>10.2f}")
        print(f"median ratio ours/bare: {statistics.median(ratios):.2f} (goal: >= 1.0)")
        print(f"median ratio ours/bare with kept connections: {statistics.median(kept_ratios):.2f}")
    finally:
        for _name, server in servers:
            server.stop()


if __name__ == "__main__":
    main()
