"""`school_manage.py --all COMMAND`: one command, every school, in parallel.

Schools run in worker processes (--jobs, default: the number of cores), each
with its own connections and its output captured, so 300 schools do not
interleave their output. `migrate` first asks every school's migration table
what is pending and skips the schools with nothing to apply: during a deploy
most schools are up to date, and a migration run (loading the graph, checking
models, emitting post_migrate for every app) is what costs.
"""

import io
import itertools
import logging
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import partial
from multiprocessing import util as multiprocessing_util

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from School.availability import unavailable_reason
from School.connections import forget_alias
from School.operations.provisioning import school_migrations
from School.operations.school_command import close_connections, run_for_school
from School.platform.follow import follower

logger = logging.getLogger(__name__)

DONE, UP_TO_DATE, FAILED = "done", "up to date", "failed"
# What a worker keeps open from one school to the next (closed when it ends): see run_for_school.
KEPT_OPEN = (DEFAULT_DB_ALIAS,)


@dataclass(frozen=True)
class Outcome:
    school: str
    status: str
    output: str = ""
    detail: str = ""


def is_plain_migrate(argv):
    # Only a whole migrate can be skipped; `migrate School zero` must run.
    return argv[0] == "migrate" and not [arg for arg in argv[1:] if not arg.startswith("-")]


def run_one(prog, school, argv):
    """Run the command as `school`, capturing its output (in a worker process)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = run_for_school(prog, school, argv, before_close=follower.flush, keep=KEPT_OPEN)
    except Exception as error:  # one broken school must not stop the others
        reason = unavailable_reason(error)
        if reason is None:
            logger.exception("command failed", extra={"school": school.name})
        return Outcome(school.name, FAILED, out.getvalue() + err.getvalue(), reason or str(error) or type(error).__name__)
    finally:
        follower.flush()  # what the command changed and did not recount before closing (held by follow_in_line)
        close_connections(keep=KEPT_OPEN)
        forget_alias(school.name)  # a worker runs many schools: keep its memory flat
    output = out.getvalue() + err.getvalue()
    if status:
        last = output.strip().splitlines()[-1:] or [f"exit status {status}"]
        return Outcome(school.name, FAILED, output, last[0])
    return Outcome(school.name, DONE, output)


class Progress:
    """A bar on a terminal, one line per school otherwise (logs, CI)."""

    def __init__(self, total, stream):
        self.total, self.stream, self.done = total, stream, 0
        self.tty = stream.isatty()

    def update(self, outcome):
        self.done += 1
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {outcome.school:<40}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {outcome.school}: {outcome.status}\n")
        self.stream.flush()


def run_for_all_schools(prog, schools, argv, jobs, stdout, stderr):
    """Run argv for every school; returns the number of schools per status.

    Outcomes are reported as they come and then dropped (only the names of
    failed schools are kept), so the parent's memory does not grow with the
    number of schools.
    """
    started = time.monotonic()
    counts = {DONE: 0, UP_TO_DATE: 0, FAILED: 0}
    failed = []

    def record(outcome):
        counts[outcome.status] += 1
        if outcome.status == FAILED:
            failed.append(outcome.school)
            _report_failure(outcome, stderr)

    to_run = list(schools)
    if is_plain_migrate(argv):
        to_run = []
        for school in schools:
            try:
                _applied, pending = school_migrations(school)
            except DatabaseError as error:
                record(Outcome(school.name, FAILED, detail=unavailable_reason(error) or str(error)))
                continue
            if pending:
                to_run.append(school)
            else:
                counts[UP_TO_DATE] += 1
    progress = Progress(len(to_run), stdout)
    for outcome in _execute(prog, to_run, argv, jobs):
        progress.update(outcome)
        record(outcome)
    _summary(counts, failed, argv, time.monotonic() - started, stdout)
    return counts


def _report_failure(outcome, stderr):
    stderr.write(f"{outcome.school}: {outcome.detail}\n")
    if outcome.output.strip():
        stderr.write("".join(f"  {line}\n" for line in outcome.output.strip().splitlines()[-20:]))


def _execute(prog, schools, argv, jobs):
    return map_schools(partial(run_one, prog), schools, jobs, argv)


def follow_in_line():
    """Where schools run one after another, the figures follow each school's writes after it, in this thread.

    The platform's figures (School/platform/follow.py) otherwise recount a
    changed school a few seconds later in a background thread, which opens
    that school's alias while the next school's command closes its
    connections (Django walks the aliases then): "dictionary changed size
    during iteration", a school reported failed that had done its work.
    run_one recounts once per school, however many writes it made.
    """
    follower.hold()


def _worker_started():
    follow_in_line()
    # After the follower's own finalizer (priority 10: what it held is stored first), the connections the worker
    # kept (KEPT_OPEN) are closed: each database is checkpointed and left without its -wal file.
    multiprocessing_util.Finalize(None, connections.close_all, exitpriority=0)


def map_schools(task, schools, jobs, *args):
    """task(school, *args) for every school, in `jobs` worker processes; yields the results as they finish.

    `task` must close what it opens and return something small: a worker
    runs many schools.
    """
    if jobs <= 1 or len(schools) <= 1:
        follow_in_line()
        try:
            for school in schools:
                yield task(school, *args)
        finally:
            follower.release()
        return
    # Workers are forked with the parent's settings and registry; connections
    # are closed first so no socket or SQLite handle is shared.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    waiting = iter(schools)
    with ProcessPoolExecutor(max_workers=min(jobs, len(schools)), mp_context=context, initializer=_worker_started) as pool:
        # A few schools per worker in flight, not all of them: finished
        # outcomes are handed on and freed at once.
        running = {pool.submit(task, school, *args) for school in itertools.islice(waiting, 2 * jobs)}
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
                running |= {pool.submit(task, school, *args) for school in itertools.islice(waiting, 1)}


def _summary(counts, failed, argv, seconds, stdout):
    label = {DONE: "migrated" if argv[0] == "migrate" else "succeeded", UP_TO_DATE: "up to date", FAILED: "failed"}
    stdout.write(f"\n{' '.join(argv)} for {sum(counts.values())} schools in {seconds:.1f}s\n")
    for status in (DONE, UP_TO_DATE, FAILED):
        if counts[status] or status != UP_TO_DATE:
            stdout.write(f"  {label[status]:<11} {counts[status]}\n")
    if failed:
        stdout.write(f"  failed schools: {', '.join(failed)}\n")
    stdout.flush()


def default_jobs(command=None):
    """The number of cores; times the command's `fanout_jobs_per_core` where it says it mostly waits on the disk."""
    return (os.cpu_count() or 1) * getattr(command, "fanout_jobs_per_core", 1)


def parse_jobs(argv):
    """(jobs, rest) from `[--jobs N | -j N | --jobs=N] COMMAND ...`; jobs is None when not given."""
    jobs = None
    rest = list(argv)
    while rest and rest[0].startswith(("-j", "--jobs")):
        option = rest.pop(0)
        value = option.split("=", 1)[1] if "=" in option else (rest.pop(0) if rest else "")
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"--jobs needs a whole number of at least 1, not {value!r}")
        jobs = int(value)
    return jobs, rest

