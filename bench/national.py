"""Benchmark: a national registry (1,000 / 10,000 / 100,000 schools) on one platform.

    python bench/national.py [--sizes 1000,10000,100000] [--rounds 5] [--requests 300]

For each size, a platform whose registry holds that many schools (rows
inserted in bulk, as bench/request_scale.py does), measured in a fresh
process: host look-up latency (known and cached, unknown and cached,
first seen), time for a worker to apply one change made elsewhere, memory
the registry holds in a worker after it has seen more hosts than it caches,
provisioning time per school (`add_school`, in process), and the rate of
`schools import` (a subprocess, start-up included). Then the student page of
one school under a one-worker gunicorn with the largest registry vs 3
schools, in alternating rounds (goal: median ratio >= 0.95), and the two
workers' resident memory.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for, worker_rss_kib  # noqa: E402
from bench.request_scale import HOST, compare_rounds, make_platform, side_by_side  # noqa: E402

SEEN = 6_000  # distinct known hosts a worker resolves: more than SCHOOL_REGISTRY_CACHE_SIZE
JUNK = 6_000  # distinct unknown hosts: more than SCHOOL_REGISTRY_UNKNOWN_CACHE_SIZE


def timed(function, values):
    """Median seconds of function(value) over values."""
    times = []
    for value in values:
        started = time.perf_counter()
        function(value)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(idle):
    """Run inside a fresh process on the platform: one JSON line of figures."""
    import random
    import tracemalloc
    from types import SimpleNamespace

    import django

    django.setup()
    from django.conf import settings

    from School import signals
    from School.models import School, SchoolHost
    from School.operations.provisioning import add_school
    from School.utils import registry, school_for_host

    settings.SCHOOL_REGISTRY_TTL = 3600  # no log read inside the latency loops
    names = [f"idle{n:05d}" for n in range(idle)]
    rng = random.Random(1)
    sample = rng.sample(names, min(len(names), SEEN + 1000))
    # Hosts never looked up, kept apart for timing first look-ups without tracemalloc.
    unseen, seen = sample[:min(1000, len(sample) // 4)], sample[min(1000, len(sample) // 4):]
    school_for_host("localhost")  # the change-log position

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for name in seen:
        school_for_host(f"{name}.localhost")
    unknown_first = timed(lambda n: school_for_host(f"junk{n}.attacker.example"), range(JUNK))
    registry_bytes = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()

    recent = seen[-1000:]  # still in the cache
    known = timed(lambda name: school_for_host(f"{name}.localhost"), recent * 20)
    unknown = timed(lambda n: school_for_host(f"junk{n}.attacker.example"), list(range(JUNK - 1000, JUNK)) * 20)
    first_seen_now = timed(lambda name: school_for_host(f"{name}.localhost"), unseen)

    # Changes made "elsewhere": this process learns them from the change log only.
    signals.registry = SimpleNamespace(forget=lambda *args, **kwargs: None)
    refresh = []
    target = School.objects.get(name=recent[0])
    for n in range(20):
        SchoolHost.objects.create(school=target, host=f"bench{n}.localhost")
        registry._checked_at = None  # the TTL has passed
        started = time.perf_counter()
        registry.refresh()
        refresh.append(time.perf_counter() - started)
        assert school_for_host(f"bench{n}.localhost").name == target.name

    add_school("warmup", ["warmup.localhost"])  # builds the template once
    provisioning = timed(lambda n: add_school(f"prov{n:03d}", [f"prov{n:03d}.localhost"]), range(20))
    print(json.dumps({
        "known_us": known * 1e6, "unknown_us": unknown * 1e6,
        "first_seen_ms": first_seen_now * 1e3, "unknown_first_ms": unknown_first * 1e3,
        "refresh_ms": statistics.median(refresh) * 1e3, "refresh_max_ms": max(refresh) * 1e3,
        "registry_mib": registry_bytes / 2**20, "cached": registry.cached_counts(),
        "provisioning_ms": provisioning * 1e3,
    }))


def import_rate(data_dir, rows=300):
    """Schools a minute added by `schools import` (one subprocess, start-up included)."""
    path = Path(data_dir) / "import.csv"
    lines = ["name,hosts,display_name"] + [f"imp{n:04d},imp{n:04d}.localhost imp{n:04d}.school.local,Imported {n}"
                                           for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "school_manage.py", "schools", "import", str(path)], cwd=ROOT,
                            env=env_for(data_dir), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return rows / elapsed * 60


def run_size(size):
    data_dir = make_platform(size - 3)
    try:
        code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.national import measure; measure({size - 3})"
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env_for(data_dir),
                                capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(result.stderr[-3000:])
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        figures["import_per_min"] = import_rate(data_dir)
        return figures, data_dir
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise


def page_throughput(large_dir, size, rounds, requests):
    small_dir = make_platform(0)
    try:
        with side_by_side(small_dir, large_dir) as ((small, small_port), (large, large_port)):
            print(f"\nstudent page of {HOST} under gunicorn (1 worker), {requests} requests a round")
            compare_rounds(small_port, large_port, size, rounds, requests)
            few_rss, many_rss = worker_rss_kib(small.pid), worker_rss_kib(large.pid)
        print(f"worker memory: {few_rss} KiB with 3 schools, {many_rss} KiB with {size}:"
              f" {(many_rss - few_rss) / 1024:.1f} MiB more")
    finally:
        shutil.rmtree(small_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"per worker: up to {SEEN} distinct known hosts and {JUNK} unknown ones resolved"
          " (caches hold 4096 each; 'unknown 1st' timed under tracemalloc)\n")
    header = ("schools", "known", "unknown", "first seen", "unknown 1st", "refresh (max)", "registry mem",
              "provision", "import")
    print("  ".join(f"{cell:>13}" for cell in header))
    largest_dir = None
    for size in sizes:
        figures, data_dir = run_size(size)
        print("  ".join(f"{cell:>13}" for cell in (
            f"{size}", f"{figures['known_us']:.1f} us", f"{figures['unknown_us']:.1f} us",
            f"{figures['first_seen_ms']:.2f} ms", f"{figures['unknown_first_ms']:.2f} ms",
            f"{figures['refresh_ms']:.2f} ({figures['refresh_max_ms']:.1f}) ms", f"{figures['registry_mib']:.2f} MiB",
            f"{figures['provisioning_ms']:.1f} ms", f"{figures['import_per_min']:.0f}/min",
        )), flush=True)
        if largest_dir:
            shutil.rmtree(largest_dir, ignore_errors=True)
        largest_dir = data_dir
    print(f"\nat {sizes[-1]} schools: refresh after one change {figures['refresh_ms']:.2f} ms (goal <= 20),"
          f" registry memory {figures['registry_mib']:.2f} MiB (goal <= 5),"
          f" first-seen host {figures['first_seen_ms'] - figures['known_us'] / 1000:.2f} ms extra (goal <= 2),"
          f" provisioning {figures['provisioning_ms']:.1f} ms a school (goal <= 50),"
          f" import {figures['import_per_min']:.0f} schools a minute (goal >= 1000)")
    try:
        page_throughput(largest_dir, sizes[-1], args.rounds, args.requests)
    finally:
        shutil.rmtree(largest_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
