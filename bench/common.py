"""Helpers the benchmark scripts share: where the project is, how to run it, what a worker weighs."""

import os
import socket
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env_for(data_dir, **extra):
    """Environment for a process of the project working on the platform in `data_dir`."""
    return {
        **os.environ,
        "SCHOOL_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "multitenant.settings",
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid):
    """Resident memory of a process in KiB, or None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), 0))


def worker_rss_kib(master_pid):
    """Resident memory of the (first) worker of a gunicorn master, in KiB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return rss_kib(children[0])


def setup_django(prefix):
    """Set Django up in this process on a fresh platform in a temporary directory; returns that directory."""
    import django

    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["SCHOOL_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    django.setup()
    return data_dir


def seconds_per_request(send, requests):
    """Mean seconds of `send()` over `requests` calls, after one warm-up call."""
    send()
    started = time.perf_counter()
    for _ in range(requests):
        send()
    return (time.perf_counter() - started) / requests


def compare_in_process(title, first, second, rounds, requests, labels=("with", "without")):
    """Time ratio first/second over alternating rounds (the order flips each round); prints and returns the median."""
    print(f"\n{title}")
    print(f"{'round':>5} {labels[0]:>12} {labels[1]:>12} {'ratio':>6}")
    ratios = []
    for number in range(1, rounds + 1):
        order = [(0, first), (1, second)]
        times = {}
        for index, send in order if number % 2 else reversed(order):
            times[index] = seconds_per_request(send, requests)
        ratios.append(times[0] / times[1])
        print(f"{number:>5} {1000 * times[0]:>10.2f}ms {1000 * times[1]:>10.2f}ms {ratios[-1]:>6.3f}")
    median = statistics.median(ratios)
    print(f"median ratio ({labels[0]} / {labels[1]}): {median:.3f}")
    return median
def make_school(name, students, staff=0):
    """A school (after setup_django) with `students` recognisable students and `staff` staff users."""
    from django.contrib.auth import get_user_model

    from School.context import tenant_context
    from School.models import Student
    from School.operations.provisioning import add_school

    add_school(name, [f"{name.replace('_', '-')}.localhost"])
    with tenant_context(name):
        Student.objects.bulk_create(
            (
                Student(
                    registration_no=f"{name.upper()}/{n:06d}", first_name=f"First{n % 97}", second_name=f"Last{n % 89}",
                    grade=f"Form {n % 4 + 1}",
                )
                for n in range(students)
            ),
            batch_size=2000,
        )
        for n in range(staff):
            get_user_model().objects.create_user(f"staff{n}", password="bench-password", is_staff=True)


def forget_search_counts():
    """Drop the counts SchoolFacts keeps, so the next search counts again (bench only; after setup_django)."""
    from School.records import table

    for _token, facts in table._school_facts.values():
        for key in [key for key in facts if isinstance(key, tuple)]:
            del facts[key]


def interleaved_medians(calls, repeat, before_each=None):
    """{name: median seconds} of each of `calls` ({name: function}), one call of each in turn.

    Interleaved call by call (the order reversed every other time), so the
    machine's noise falls on every kind alike; `before_each()` runs untimed
    before each call.
    """
    times = {name: [] for name in calls}
    order = list(calls.items())
    for number in range(repeat):
        for name, call in (order if number % 2 == 0 else reversed(order)):
            if before_each is not None:
                before_each()
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def start_gunicorn(data_dir, workers, threads, host, ready_path="/", **env):
    """gunicorn serving the platform in `data_dir` on a free loopback port, once `host` answers `ready_path`: (process, port)."""
    import http.client
    import subprocess
    import sys

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "multitenant.wsgi", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--max-requests", "0"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env_for(data_dir, **env),
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", ready_path, headers={"Host": host})
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.2)
