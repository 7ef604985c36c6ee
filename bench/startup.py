"""Benchmark: what a `school_manage.py` command with nothing to do costs, next
to `python -c "import django; django.setup()"` of our settings.

    python bench/startup.py [--rounds 21]

On a platform of three demo schools, each round runs, in alternating order,
the bare `django.setup()` and each command once (`schools list`, `hosts`,
`NAME showmigrations --list` as a Django command run for a school). Prints
the median wall time of each and its ratio to the bare setup (the goal for
`schools list` and `hosts` is <= 1.3), and the median of the per-round
ratios, which shrugs off the drift of a shared machine.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, env_for  # noqa: E402

SETUP = [sys.executable, "-c", "import django; django.setup()"]
COMMANDS = {
    "django.setup()": SETUP,
    "schools list": [sys.executable, "school_manage.py", "schools", "list"],
    "hosts": [sys.executable, "school_manage.py", "hosts"],
    "nairobi showmigrations School": [sys.executable, "school_manage.py", "nairobi", "showmigrations", "School"],
}


def timed(argv, env):
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    env = env_for(Path(tempfile.mkdtemp(prefix="bench-startup-")))
    subprocess.run([sys.executable, "school_manage.py", "up", "--no-serve"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    names = list(COMMANDS)
    for name in names:  # warm the page cache once
        timed(COMMANDS[name], env)
    times = {name: [] for name in names}
    for round_number in range(args.rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(timed(COMMANDS[name], env))
    base = statistics.median(times["django.setup()"])
    print(f"{args.rounds} rounds, alternating order; median wall time of each process")
    print(f"{'command':<34} {'median s':>9} {'x setup':>8} {'median of round ratios':>23}")
    for name in names:
        ratios = [t / b for t, b in zip(times[name], times["django.setup()"])]
        print(f"{name:<34} {statistics.median(times[name]):>9.3f} {statistics.median(times[name]) / base:>8.2f} "
              f"{statistics.median(ratios):>23.2f}")
    ratio = statistics.median(times["schools list"]) / base
    print(f"schools list / django.setup(): {ratio:.2f}x")


if __name__ == "__main__":
    main()
