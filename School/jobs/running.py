"""One job's run in a worker: its school, that school's language and time zone, its state and progress.

Whatever the worker ran before, a job starts with no school active and runs
inside `tenant_context(job.school)` and `school_locale`; both are undone when
it ends, however it ends. A job is claimed by one conditional update
(queued -> running), so two workers handed the same message never both run it.
"""

import datetime
import logging
import os
import socket
import time
import traceback

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _

from School.context import current_school, tenant_context
from School.jobs.kinds import JobFailed, UnknownKind, kind
from School.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from School.locale.activation import school_locale
from School.models import School
from School.utils import school_by_name

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.25


def this_worker():
    return f"{socket.gethostname()}:{os.getpid()}"


class Progress:
    """What a kind's function gets as `job`: its id, school and a progress(done, total) that persists."""

    def __init__(self, job):
        self.id = job.id
        self.school = job.school
        self.started_by = job.started_by
        self._last = 0.0

    def progress(self, done, total=None):
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_SECONDS and (total is None or done < total):
            return
        self._last = now
        fields = {"progress_done": done}
        if total is not None:
            fields["progress_total"] = total
        Job.objects.filter(pk=self.id, state=RUNNING).update(**fields)


def _registered(alias):
    """(SchoolInfo, None) or (None, why not): read from the registry now, not from a cache."""
    row = School.objects.using(DEFAULT_DB_ALIAS).filter(name=alias).values("suspended").first()
    if row is None and alias != "default":
        return None, _("The school %(school)s was removed; nothing was done.") % {"school": alias}
    if row is not None and row["suspended"]:
        return None, _("The school %(school)s is suspended; nothing was done.") % {"school": alias}
    return school_by_name(alias), None


def _finish(job_id, state, job_kind=None, **fields):
    if job_kind is not None and job_kind.forget_args:
        fields["args"] = {}
    Job.objects.filter(pk=job_id, state=RUNNING).update(state=state, finished_at=timezone.now(), **fields)


def execute(job_id, retries_left=0):
    """Run the job `job_id` once; raise to have Huey retry it (only while retries_left)."""
    if settings.JOBS_IMMEDIATE:  # inside the submitting request or script: its connections are its own
        return _execute(job_id, retries_left)
    close_old_connections()
    try:
        return _execute(job_id, retries_left)
    finally:
        close_old_connections()


def _execute(job_id, retries_left):
    if current_school() is not None and not settings.JOBS_IMMEDIATE:  # a bug elsewhere: never run as the school left behind
        logger.error("job %s found school %s active in the worker; ignoring it", job_id, current_school().name)
    waiting = Job.objects.filter(pk=job_id, state=QUEUED).values_list("attempts", flat=True).first()
    # The claim: one conditional update (a plain value, no F(): the same on MongoDB); of
    # two workers handed the same job, only one sees it still queued with these attempts.
    claimed = waiting is not None and Job.objects.filter(pk=job_id, state=QUEUED, attempts=waiting).update(
        state=RUNNING, attempts=waiting + 1, worker=this_worker(), started_at=timezone.now(), message="",
    )
    if not claimed:
        logger.info("job %s is not waiting (already taken, finished or unknown): skipped", job_id)
        return
    job = Job.objects.get(pk=job_id)
    try:
        job_kind = kind(job.kind)
    except UnknownKind as error:
        _finish(job.id, FAILED, message=str(error))
        return
    school, refusal = _registered(job.school)
    if refusal:
        logger.warning("job %s refused: %s", job.id, refusal, extra={"school": job.school})
        _finish(job.id, FAILED, job_kind, message=refusal)
        return
    with tenant_context(school), school_locale(school):
        try:
            result = job_kind.func(Progress(job), **job.args)
        except JobFailed as failure:
            logger.info("job %s failed: %s", job.id, failure, extra={"school": job.school})
            _failed_for_good(job, job_kind, str(failure))
            return
        except Exception as error:
            problem = str(error) or error.__class__.__name__
            # Immediate mode has no scheduler to bring a retry back: its first failure is final.
            if retries_left and not settings.JOBS_IMMEDIATE:
                logger.warning("job %s attempt %s failed, retrying: %s", job.id, job.attempts, problem, extra={"school": job.school})
                Job.objects.filter(pk=job.id, state=RUNNING).update(
                    state=QUEUED, message=_("Attempt %(n)s failed (%(error)s); it will be tried again.") % {"n": job.attempts, "error": problem},
                )
                raise
            logger.error("job %s failed after %s attempts:\n%s", job.id, job.attempts, traceback.format_exc(), extra={"school": job.school})
            message = _("Failed after %(n)s attempts: %(error)s") % {"n": job.attempts, "error": problem}
            _failed_for_good(job, job_kind, message)
            return
    _finish(job.id, DONE, job_kind, result=result or {})
    logger.info("job %s done", job.id, extra={"school": job.school})


def _failed_for_good(job, job_kind, message):
    """Record the failure, then let the kind's owner know (an invitation records that its mail did not go)."""
    _finish(job.id, FAILED, job_kind, message=message)
    if job_kind.on_failure is not None:
        try:
            job_kind.on_failure(message, **job.args)
        except Exception:
            logger.exception("job %s: the failure could not be passed on", job.id, extra={"school": job.school})


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


LOST_AFTER_SECONDS = 60


def waiting_without_message(held_ids):
    """Queued jobs older than a minute whose id is not among the broker's messages (`held_ids`)."""
    old = timezone.now() - datetime.timedelta(seconds=LOST_AFTER_SECONDS)
    return [job for job in Job.objects.filter(state=QUEUED, created_at__lt=old) if str(job.id) not in held_ids]


def _stranded_message(job, retried):
    """Said in the school's language: its staff read it on their Jobs page."""
    with school_locale(school_by_name(job.school)):
        if retried:
            return _("The worker running this job stopped; it will be tried again.")
        return _("The worker running this job stopped before it finished; nothing of it was kept.")


def settle_stranded(host):
    """Jobs left running by a dead worker process of `host`: requeued (returned, to push) or failed."""
    requeue = []
    for job in Job.objects.filter(state=RUNNING, worker__startswith=f"{host}:"):
        pid = job.worker.rsplit(":", 1)[-1]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        retried = job.attempts < job.max_attempts
        mine = Job.objects.filter(pk=job.pk, state=RUNNING, worker=job.worker)
        if retried:
            settled = mine.update(state=QUEUED, message=_stranded_message(job, True))
            if settled:
                requeue.append(job)
        else:
            settled = mine.update(state=FAILED, finished_at=timezone.now(), message=_stranded_message(job, False))
        if settled:
            logger.warning("job %s was stranded by worker %s", job.id, job.worker, extra={"school": job.school})
    return requeue
