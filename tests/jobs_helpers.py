"""A platform shared by one test module, with a real worker process and, for the production path, a real Redis.

Worker tests start one worker per module and wait for a job's documented
state (the Job row), polling with a generous bound; never a fixed sleep.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import override_settings

from multitenant.databases import sqlite_name
from School.jobs.models import Job
from School.models import School
from School.utils import registry
from tests.conftest import ROOT, Platform, close_school_connections, free_port

JOB_MODULES = "tests.job_kinds"
BOUND_SECONDS = 60


def wait_for(check, what, bound=BOUND_SECONDS):
    """check()'s first true value, polled; fails naming `what` after `bound` seconds."""
    deadline = time.monotonic() + bound
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {bound} s for {what}"
        time.sleep(0.05)


def ended(job_id, bound=BOUND_SECONDS):
    """The Job once it is done or failed."""
    return wait_for(lambda: Job.objects.filter(pk=job_id, state__in=("done", "failed")).first(), f"job {job_id} to end", bound)


@contextmanager
def module_platform(folder, templates, django_db_blocker, **extra_settings):
    """What conftest's `platform` fixture gives one test, for a whole module (its own data directory)."""
    data_dir = folder / "data"
    (data_dir / "db").mkdir(parents=True)
    close_school_connections()
    default_settings = connections.settings[DEFAULT_DB_ALIAS]
    original_name = default_settings["NAME"]
    shutil.copy(templates / "default.sqlite3", data_dir / "db" / "default.sqlite3")
    default_settings["NAME"] = sqlite_name(data_dir / "db" / "default.sqlite3")
    overrides = override_settings(
        SCHOOL_DATA_DIR=data_dir, SCHOOL_DB_DIR=data_dir / "db", JOBS_IMMEDIATE=False, **extra_settings,
    )
    overrides.enable()
    registry.invalidate()
    cache.clear()
    try:
        with django_db_blocker.unblock():
            yield Platform(data_dir, templates)
            close_school_connections()
    finally:
        overrides.disable()
        default_settings["NAME"] = original_name
        registry.invalidate()


def set_locale(name, language, time_zone, date_order="dmy"):
    School.objects.using(DEFAULT_DB_ALIAS).filter(name=name).update(language=language, time_zone=time_zone, date_order=date_order)
    registry.invalidate()


class Worker:
    """`school_manage.py worker` on the platform, in a process group of its own (its workers are its children)."""

    def __init__(self, platform, processes=1, env=None, log=None):
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "school_manage.py"), "worker", "--processes", str(processes)],
            cwd=ROOT, env=platform.env(SCHOOL_JOB_MODULES=JOB_MODULES, **(env or {})),
            stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL, start_new_session=True,
        )

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


class Redis:
    """Debian's redis-server on a free loopback port, keeping nothing on disk."""

    def __init__(self, folder):
        if not shutil.which("redis-server"):
            pytest.skip("redis-server is not installed (.ci/run installs it)")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, "redis-server to answer", 30)

    def _answers(self):
        assert self.process.poll() is None, "redis-server stopped"
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
