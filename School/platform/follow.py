"""Keep the figures following every student write, without a cross-database commit per save.

Every write through Student's manager or save() renews the school's
StudentsStamp and sends `students_changed` (School/events.py). Here that only
notes the school's name in this process (after the write commits). The
noted schools are recounted FIGURES_FOLLOW_DELAY seconds later in a
background thread (one count and one write to `default` per school, however
many students changed meanwhile), and at once when the process ends (atexit,
a fan-out worker's exit, gunicorn's worker_exit). Restore, clone, move and
new schools send `school_data_replaced` and are recounted at once.

What this misses, `schools refresh-figures --all` (nightly, from cron)
repairs and reports as drift (the indicators' counts, School/indicators/, follow the same
way, and a day's register too): raw SQL that bypasses the Student model, and a
process killed with SIGKILL inside the delay.
"""

import atexit
import logging
import os
import threading
import time
from functools import partial
from multiprocessing import util as multiprocessing_util

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from School.events import backup_completed, counts_changed, school_data_replaced, students_changed

logger = logging.getLogger(__name__)

STORE_BATCH = 50


class Follower:
    """The schools this process changed and has not recounted yet."""

    def __init__(self):
        self.lock = threading.Lock()
        # {alias: the Student fields changed since its last count (None: any)}
        self.due = {}
        self.timer = None
        self.pid = os.getpid()
        self.exit_hook_pid = None
        # Set where schools run one after another (the fan-out): noted schools wait for the caller's flush().
        self.held = False
        # Counted schools not stored yet (held: stored STORE_BATCH at a time, one commit to `default` for them all).
        self.counted = []

    def hold(self):
        """From now on, no background recount: the caller flushes after each school (School/operations/fanout.py)."""
        with self.lock:
            self._after_fork()
            self.held = True

    def release(self):
        with self.lock:
            self.held = False
        self.flush()

    def note(self, alias, fields=None):
        delay = settings.FIGURES_FOLLOW_DELAY
        with self.lock:
            self._after_fork()
            if alias in self.due:
                before = self.due[alias]
                fields = None if before is None or fields is None else before | fields
            self.due[alias] = fields
            if self.held:
                return
            if delay > 0 and self.timer is None:
                self.timer = threading.Timer(delay, self._on_timer)
                self.timer.daemon = True
                self.timer.start()
        if delay <= 0:
            self.flush()

    def _after_fork(self):
        # A forked child inherits the parent's notes and no thread: the
        # parent recounts those; the child starts afresh.
        if self.pid != os.getpid():
            self.pid, self.due, self.timer, self.counted = os.getpid(), {}, None, []
        if self.exit_hook_pid != self.pid:
            # multiprocessing's children (the fan-out's workers) leave through
            # os._exit, which skips atexit, after running the finalizers
            # registered in the child itself (the parent's are cleared).
            self.exit_hook_pid = self.pid
            multiprocessing_util.Finalize(None, flush_at_exit, exitpriority=10)

    def _on_timer(self):
        with self.lock:
            self.timer = None
        try:
            self.flush()
        finally:
            connections.close_all()  # this thread's own connections only

    def flush(self):
        """Recount every noted school now (in the calling thread).

        Held (the fan-out, after each school), the counts are stored once
        STORE_BATCH schools wait, and the rest on release or at the worker's
        exit: a commit to `default` per school was a tenth of a school's
        `--all promote`. Until then the dashboard shows the earlier counts.
        """
        from School.platform.figures import count_registered, store

        with self.lock:
            self._after_fork()
            due, self.due = self.due, {}
        counted = []
        for alias in sorted(due):
            try:
                counted.append(count_registered(alias, fields=due[alias]))
            except Exception:  # the figures must never break the write that caused them
                logger.exception("could not recount the figures", extra={"school": alias})
        with self.lock:
            counted = [result for result in counted if result is not None]
            # A school counted again before its batch was stored: the later count supersedes the earlier (both
            # were read against the same stored state, so what the earlier left to write is in the later's).
            again = {result.school for result in counted}
            self.counted = [result for result in self.counted if result.school not in again] + counted
            if not self.counted or (self.held and len(self.counted) < STORE_BATCH):
                return
            waiting, self.counted = self.counted, []
        try:
            store(waiting)
        except Exception:
            logger.exception("could not store the figures of %d schools", len(waiting))


follower = Follower()


def _students_changed(sender, using, fields=None, **kwargs):
    if not settings.FIGURES_FOLLOW_DELAY < 0:
        transaction.on_commit(partial(follower.note, using, fields), using=using)


def _register_saved(sender, using, **kwargs):
    # Sent once a register's save (or a change of the grades' levels) committed: the indicators' counts follow it.
    if not settings.FIGURES_FOLLOW_DELAY < 0:
        follower.note(using)


def _data_replaced(sender, school, **kwargs):
    from School.platform.figures import recount

    if settings.FIGURES_FOLLOW_DELAY >= 0:
        transaction.on_commit(partial(recount, school), using=DEFAULT_DB_ALIAS)


def _backup_completed(sender, school, size, at, **kwargs):
    from School.platform.figures import record_backup

    record_backup(school, at, size)


def flush_at_exit():
    try:
        follower.release()  # what a fan-out worker held is stored now
    except Exception:  # the database may already be gone at exit
        logger.exception("could not recount the figures at exit")


def connect():
    from School.register.service import register_saved

    students_changed.connect(_students_changed, dispatch_uid="platform-figures")
    register_saved.connect(_register_saved, dispatch_uid="platform-figures")
    counts_changed.connect(_register_saved, dispatch_uid="platform-figures")
    school_data_replaced.connect(_data_replaced, dispatch_uid="platform-figures")
    backup_completed.connect(_backup_completed, dispatch_uid="platform-figures")
    atexit.register(flush_at_exit)


def wait_for_timer(timeout):
    """For tests: until the pending timer of this process has run (True) or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with follower.lock:
            timer = follower.timer
        if timer is None:
            return True
        timer.join(deadline - time.monotonic())
    return follower.timer is None
