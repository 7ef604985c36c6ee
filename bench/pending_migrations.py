"""Benchmark: `--all migrate` with real pending migrations, and `schools migrations`, at N/4, N/2, N schools.

    python bench/pending_migrations.py [--schools 2000] [--jobs 2]

Every school's database is rolled back to School 0002 (the Student table's
later schema changes are pending: real DDL to apply), then
`school_manage.py --all --jobs J migrate` runs while the process tree's
resident memory is sampled: the parent's peak and the largest worker's peak
should stay flat as the number of schools grows, and the time per school
should too (linear total). `schools migrations --format json` is timed on
the same registry afterwards.
"""

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for, rss_kib  # noqa: E402
from bench.migrate_all import django_code, make_platform  # noqa: E402

ROLL_BACK = """
import shutil, sys
from django.core.management import call_command
from School.context import tenant_context
from School.utils import all_schools
db_dir = sys.argv[1]
with tenant_context("s0000"):
    call_command("migrate", "School", "0002", database="s0000", verbosity=0)
for school in all_schools():
    if school.name not in ("default", "s0000"):
        shutil.copy(f"{db_dir}/s0000.sqlite3", f"{db_dir}/{school.name}.sqlite3")
"""


def descendants(pid):
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in children] + [grand for child in children for grand in descendants(int(child))]


def run_sampled(command, data_dir):
    """(seconds, parent peak KiB, largest worker peak KiB) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env_for(data_dir), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    peaks = {"parent": 0, "worker": 0}

    def sample():
        while process.poll() is None:
            peaks["parent"] = max(peaks["parent"], rss_kib(process.pid) or 0)
            for child in descendants(process.pid):
                peaks["worker"] = max(peaks["worker"], rss_kib(child) or 0)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _out, err = process.communicate()
    sampler.join()
    if process.returncode:
        raise RuntimeError(err[-2000:])
    return time.perf_counter() - started, peaks["parent"], peaks["worker"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"\n--all --jobs {args.jobs} migrate, School 0003.. pending in every school but default")
    print(f"{'schools':>7}  {'seconds':>8}  {'ms/school':>9}  {'parent peak':>11}  {'worker peak':>11}"
          f"  {'report s':>8}  {'report ms/school':>16}")
    rows = []
    for size in sorted({max(args.schools // 4, 2), max(args.schools // 2, 2), args.schools}):
        data_dir = make_platform(size)
        try:
            django_code(ROLL_BACK, data_dir, str(data_dir / "db"))
            seconds, parent, worker = run_sampled(
                [sys.executable, "school_manage.py", "--all", "--jobs", str(args.jobs), "migrate"], data_dir)
            report, _parent, _worker = run_sampled(
                [sys.executable, "school_manage.py", "schools", "migrations", "--format", "json"], data_dir)
            print(f"{size:>7}  {seconds:>8.1f}  {1000 * seconds / size:>9.1f}  {parent / 1024:>8.1f} MiB"
                  f"  {worker / 1024:>8.1f} MiB  {report:>8.2f}  {1000 * report / size:>16.2f}", flush=True)
            rows.append((size, 1000 * seconds / size, parent / 1024, worker / 1024))
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    (small, small_ms, small_parent, small_worker), (large, large_ms, large_parent, large_worker) = rows[0], rows[-1]
    print(f"\n{large} vs {small} schools: time per school ratio {large_ms / small_ms:.2f} (linear: about 1),"
          f" parent peak ratio {large_parent / max(small_parent, 1):.2f},"
          f" worker peak ratio {large_worker / max(small_worker, 1):.2f}"
          " (flat: about 1)")


if __name__ == "__main__":
    main()
