"""Nightly backups of many schools through the job queue (2 worker processes) vs `--all backup --jobs 2`.

    python bench/nightly_backups.py [--schools 1000] [--rounds 3]

A platform of N small schools (from `schools import`, a few students each).
Each round, in alternating order:

  queue: a real `worker --processes 2 --no-schedule` already running, the
         `backups` schedule run once (a job per school queued) until every
         job is done;
  fanout: `school_manage.py --all backup --jobs 2 --output-dir D --keep 14`.

Both write the same files (SCHOOL_DATA_DIR/backups, 14 kept per school).
Goal (issue 34): queue / fanout <= 1.2.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import setup_django  # noqa: E402

DATA_DIR = setup_django("bench-nightly-")

from bench.common import env_for  # noqa: E402
from School.jobs.models import Job  # noqa: E402
from School.operations.provisioning import ensure_registry  # noqa: E402

ENV = env_for(DATA_DIR, JOBS_POLL_SECONDS="0.05")


def make_platform(count):
    ensure_registry()
    path = DATA_DIR / "schools.csv"
    lines = ["name,hosts,display_name"] + [f"s{n:05d},s{n:05d}.localhost,School {n}" for n in range(count)]
    path.write_text("\n".join(lines) + "\n")
    subprocess.run([sys.executable, "school_manage.py", "schools", "import", str(path)], cwd=ROOT, env=ENV,
                   check=True, capture_output=True)


def through_the_queue():
    # The workers are running already, as in production: the schedule queues while they take.
    log = open(DATA_DIR / "worker.log", "ab")
    worker = subprocess.Popen([sys.executable, "school_manage.py", "worker", "--processes", "2", "--no-schedule"],
                              cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=log)
    time.sleep(3)  # its start-up (not a measurement: the fan-out's own start-up is in its time)
    started = time.perf_counter()
    queued = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, '.'); import django; django.setup(); "
         "from School.jobs import catalogue, schedules; schedules.run('backups', force=True)"],
        cwd=ROOT, env=ENV, capture_output=True, text=True,
    )
    if queued.returncode:
        worker.terminate()
        raise SystemExit(queued.stderr[-2000:])
    try:
        while Job.objects.filter(kind="operations.backup", state__in=("queued", "running")).exists():
            if worker.poll() is not None:
                raise SystemExit(f"the worker stopped: see {DATA_DIR / 'worker.log'}")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    failed = Job.objects.filter(kind="operations.backup", state="failed").count()
    if failed:
        raise SystemExit(f"{failed} backup jobs failed")
    Job.objects.all().delete()
    return elapsed


def fanout():
    started = time.perf_counter()
    subprocess.run([sys.executable, "school_manage.py", "--all", "--jobs", "2", "backup", "--output-dir",
                    str(DATA_DIR / "backups"), "--keep", "14"], cwd=ROOT, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    make_platform(args.schools)
    queue, fan = [], []
    for round_ in range(args.rounds):
        for way in ((through_the_queue, fanout) if round_ % 2 == 0 else (fanout, through_the_queue)):
            (queue if way is through_the_queue else fan).append(way())
        print(f"round {round_ + 1}: through the queue {queue[-1]:.1f} s, --all backup --jobs 2 {fan[-1]:.1f} s", flush=True)
    ratios = [q / f for q, f in zip(queue, fan)]
    print(f"\nnightly backups of {args.schools + 1:,} schools: through the queue (2 workers) / --all backup --jobs 2: "
          f"median ratio: {statistics.median(ratios):.2f} (queue {statistics.median(queue):.1f} s, fan-out {statistics.median(fan):.1f} s)")


if __name__ == "__main__":
    main()
