"""Benchmark: `school_manage.py --all migrate` with nothing pending, against
running `migrate` school by school, on the embedded default (SQLite).

    python bench/migrate_all.py [--schools 200] [--rounds 3]

Prints, for each round, both timings measured side by side and their ratio
(the goal is >= 10x), then the cost per school of `--all migrate` at N/4, N/2
and N schools (it should stay flat: linear growth). Absolute times drift on
a shared machine; the ratios are the result.

"School by school" is measured two ways: as the tutorial does it, one
`school_manage.py NAME migrate` process per school, and at its cheapest, one
Python process calling Django's migrate for each school in turn (no process
start-up per school). The second bounds the gain from skipping alone.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for  # noqa: E402


SETUP = """
import shutil, sys
from School.models import School, SchoolHost
from School.operations.provisioning import add_school
from School.connections import forget_alias
count, db_dir = int(sys.argv[1]), sys.argv[2]
first = add_school("s0000", ["s0000.localhost"])
forget_alias("s0000")
for n in range(1, count):
    shutil.copy(f"{db_dir}/s0000.sqlite3", f"{db_dir}/s{n:04d}.sqlite3")
    school = School.objects.create(name=f"s{n:04d}", display_name=f"School {n}")
    SchoolHost.objects.create(school=school, host=f"s{n:04d}.localhost")
"""

SEQUENTIAL = """
from django.core.management import call_command
from School.context import tenant_context
from School.utils import all_schools
for school in all_schools():
    with tenant_context(school):
        call_command("migrate", database=school.alias, verbosity=0, interactive=False)
"""




def django_code(code, data_dir, *args):
    runner = f"import django; django.setup()\n{code}"
    subprocess.run([sys.executable, "-c", runner, *args], cwd=ROOT, env=env_for(data_dir), check=True)


def timed(command, data_dir):
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env_for(data_dir), check=True, capture_output=True)
    return time.perf_counter() - started


def make_platform(count):
    """`default` and count - 1 more schools (s0000, s0001, ...), all migrated."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-migrate-{count}-"))
    subprocess.run(
        [sys.executable, "school_manage.py", "up", "--no-serve", "--no-demo"],
        cwd=ROOT, env=env_for(data_dir), check=True, capture_output=True,
    )
    django_code(SETUP, data_dir, str(count - 1), str(data_dir / "db"))
    return data_dir


def all_migrate(data_dir):
    return timed([sys.executable, "school_manage.py", "--all", "migrate"], data_dir)


def sequential_migrate(data_dir):
    return timed([sys.executable, "-c", f"import django; django.setup()\n{SEQUENTIAL}"], data_dir)


def per_process_migrate(data_dir, count):
    started = time.perf_counter()
    for n in range(count):
        name = "default" if n == 0 else f"s{n - 1:04d}"
        subprocess.run(
            [sys.executable, "school_manage.py", name, "migrate"],
            cwd=ROOT, env=env_for(data_dir), check=True, capture_output=True,
        )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    platform = make_platform(args.schools)
    all_migrate(platform)  # warm-up: everything up to date afterwards
    per_process, in_process = [], []
    print(f"\n{args.schools} schools (default included), nothing pending")
    print(f"{'round':>5}  {'--all migrate':>13}  {'1 process/school':>16}  {'ratio':>6}  {'1 process, loop':>15}  {'ratio':>6}")
    for round_number in range(1, args.rounds + 1):
        fast = all_migrate(platform)
        slow = per_process_migrate(platform, args.schools)
        loop = sequential_migrate(platform)
        per_process.append(slow / fast)
        in_process.append(loop / fast)
        print(
            f"{round_number:>5}  {fast:>12.2f}s  {slow:>15.2f}s  {slow / fast:>5.1f}x"
            f"  {loop:>14.2f}s  {loop / fast:>5.1f}x"
        )
    print(f"median ratio against one process per school: {statistics.median(per_process):.1f}x (goal: >= 10x)")
    print(f"median ratio against an in-process loop:      {statistics.median(in_process):.1f}x")

    print("\ngrowth of --all migrate with the number of schools (nothing pending)")
    print(f"{'schools':>7}  {'seconds':>8}  {'ms per school':>13}")
    sizes = sorted({max(args.schools // 4, 2), max(args.schools // 2, 2)})
    platforms = {size: make_platform(size) for size in sizes}
    platforms[args.schools] = platform
    for size, data_dir in sorted(platforms.items()):
        all_migrate(data_dir)
        seconds = statistics.median(all_migrate(data_dir) for _ in range(args.rounds))
        print(f"{size:>7}  {seconds:>8.2f}  {1000 * seconds / size:>13.1f}")
    for data_dir in platforms.values():
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
