"""Backup + restore of one school against Django's dumpdata + loaddata, on the embedded default (SQLite).

    python bench/backup.py [--rounds 3] [--students 20000] [--small 2000]

1. Speed: a school of 20,000 students (and a few users) copied to a new
   school both ways, side by side in alternating rounds, each step a fresh
   school_manage.py process as an operator runs it:
     ours:   `NAME backup --output F` + `schools restore F --as NEW --host ...`
     Django: `NAME dumpdata --natural-foreign --natural-primary -e contenttypes
              -e auth.permission -o F.json` + `schools add NEW` + `NEW loaddata F.json`
   (the usual recipe: without natural keys loaddata collides with the content
   types a fresh database already has). Ratio = Django's time / ours.
2. Memory: peak resident memory (ru_maxrss of each process, from wait4 in a small launcher) of
   backup and of restore at 20,000 students against 2,000: flat = ~1.0x; and,
   finer than a whole process, the peak of Python allocations (tracemalloc)
   of the same backup and restore run in this process.
3. Move: how long `schools move` keeps a 20,000-student school unavailable
   (suspended, SCHOOL_REGISTRY_TTL included).
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import setup_django  # noqa: E402

DATA_DIR = setup_django("bench-backup-")

import django  # noqa: E402

from bench.common import env_for, make_school  # noqa: E402
from School.context import tenant_context  # noqa: E402
from School.operations.backups import write_backup  # noqa: E402
from School.operations.restore import restore_as  # noqa: E402
from School.utils import school_by_name  # noqa: E402

ENV = env_for(DATA_DIR)


# Linux carries a process's peak RSS across fork and exec: a child started
# straight from this (large) process would report this process's peak. A
# small launcher starts it instead and reports the child's own peak.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(*args):
    """Run school_manage.py; (seconds, its peak RSS in KiB, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        peak = Path(scratch) / "maxrss"
        result = subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(peak), sys.executable, str(ROOT / "school_manage.py"), *args],
            cwd=ROOT, env=ENV, capture_output=True, text=True,
        )
        if result.returncode:
            raise SystemExit(f"school_manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
        return time.perf_counter() - started, int(peak.read_text()), result.stdout


def ours(source, new, folder):
    file = folder / f"{new}.jsonl.gz"
    backup = measured(source, "backup", "--output", str(file))
    restore = measured("schools", "restore", str(file), "--as", new, "--host", f"{new}.localhost")
    return backup[0] + restore[0], backup[1], restore[1]


def djangos(source, new, folder):
    file = folder / f"{new}.json"
    dump = measured(source, "dumpdata", "--natural-foreign", "--natural-primary", "-e", "contenttypes",
                    "-e", "auth.permission", "-e", "sessions", "-o", str(file))
    add = measured("schools", "add", new, "--host", f"{new}.localhost")
    load = measured(new, "loaddata", str(file))
    return dump[0] + add[0] + load[0], dump[1], load[1]


def python_peaks(source, new, folder):
    """Peak Python allocations (KiB) of a backup and of a restore, in this process."""
    peaks = []
    for step in (
        lambda: write_backup(school_by_name(source), folder / f"{new}.jsonl.gz"),
        lambda: restore_as(folder / f"{new}.jsonl.gz", new, [f"{new.replace('_', '-')}.localhost"]),
    ):
        tracemalloc.start()
        with tenant_context(source):
            step()
        peaks.append(tracemalloc.get_traced_memory()[1] / 1024)
        tracemalloc.stop()
    return peaks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000)
    options = parser.parse_args()

    make_school("big", options.students, staff=5)
    make_school("small", options.small, staff=5)
    folder = DATA_DIR / "files"
    folder.mkdir()

    print(f"1. backup + restore of a {options.students:,}-student school vs dumpdata + schools add + loaddata")
    ratios, memory = [], {"big": [], "small": []}
    for round_ in range(options.rounds):
        order = [("ours", ours), ("django", djangos)]
        if round_ % 2:
            order.reverse()
        times = {}
        for label, run in order:
            times[label], backup_rss, restore_rss = run("big", f"{label}{round_}", folder)
            if label == "ours":
                memory["big"].append((backup_rss, restore_rss))
        small = ours("small", f"small{round_}", folder)
        memory["small"].append(small[1:])
        ratios.append(times["django"] / times["ours"])
        print(f"   round {round_ + 1}: ours {times['ours']:.2f}s, Django {times['django']:.2f}s, ratio {ratios[-1]:.2f}")
    print(f"   median ratio: {statistics.median(ratios):.2f}x faster (goal >= 3x)")

    print(f"\n2. peak RSS of each process, {options.students:,} vs {options.small:,} students (median of rounds)")
    for step, index in (("backup", 0), ("restore", 1)):
        big = statistics.median(rss[index] for rss in memory["big"])
        small = statistics.median(rss[index] for rss in memory["small"])
        print(f"   {step:<8} {big / 1024:7.1f} MiB vs {small / 1024:7.1f} MiB: ratio {big / small:.2f}")
    worst = max(
        statistics.median(rss[i] for rss in memory["big"]) / statistics.median(rss[i] for rss in memory["small"])
        for i in (0, 1)
    )
    print(f"   memory ratio (worst step): {worst:.2f} (goal <= 1.2)")
    python_peaks("small", "warmup", folder)  # first-use imports and caches are not the data's
    big, small = python_peaks("big", "traced_big", folder), python_peaks("small", "traced_small", folder)
    for step, index in (("backup", 0), ("restore", 1)):
        print(f"   {step:<8} Python allocations peak {big[index]:7.0f} KiB vs {small[index]:7.0f} KiB:"
              f" ratio {big[index] / small[index]:.2f}")

    print(f"\n3. schools move of the {options.students:,}-student school to another data directory and back")
    unavailable = []
    for round_ in range(options.rounds):
        destination = f"sqlite:{DATA_DIR / f'disk{round_}'}" if round_ % 2 == 0 else "sqlite"
        out = measured("schools", "move", "big", "--to", destination, "--drop-source")[2]
        unavailable.append(float(re.search(r"unavailable for ([\d.]+)s", out).group(1)))
    print(f"   unavailable (suspended) for a median {statistics.median(unavailable):.1f}s per move"
          f" (of which SCHOOL_REGISTRY_TTL {django.conf.settings.SCHOOL_REGISTRY_TTL:.1f}s)")


if __name__ == "__main__":
    main()
