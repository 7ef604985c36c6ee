"""The queue of JOBS_URL: Huey's SqliteHuey under SCHOOL_DATA_DIR (unset), RedisHuey (`redis://HOST:PORT/DB`).

Huey carries only a job's id; what to run, for which school and how it went
are in the Job row (models.py). One Huey task runs every kind: retries, their
delay and backoff are given per message from the kind (kinds.py).
"""

import logging
import os
import socket
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from School.jobs import running, schedules
from School.jobs.kinds import kind

logger = logging.getLogger(__name__)

QUEUE_NAME = "school-jobs"


class QueueUnavailable(Exception):
    """The broker did not take the job (Redis down, the queue's file unwritable)."""


def queue_file():
    return settings.SCHOOL_DATA_DIR / "jobs" / "queue.sqlite3"


def describe(url=None):
    """Where the queue is, for people: never a password of the URL."""
    url = settings.JOBS_URL if url is None else url
    if not url:
        return f"sqlite:{queue_file()}"
    return url.split("@", 1)[-1] if "@" in url else url


@lru_cache(maxsize=4)
def _broker(url, data_dir, immediate):
    # Huey (and redis-py under it) is imported when a queue is first used: a
    # page or command that queues nothing does not pay its 0.1 s import.
    from huey import RedisHuey, SqliteHuey

    if immediate:
        # Huey's immediate mode: the job runs inside enqueue(), on an in-memory queue.
        huey = SqliteHuey(QUEUE_NAME, results=False, utc=True, immediate=True)
    elif not url:
        queue_file().parent.mkdir(parents=True, exist_ok=True)
        # No fsync of its own: the Job row (in `default`, synchronous=FULL) is
        # what survives a machine's crash, and a starting worker queues again a
        # waiting job whose message was lost with it (recover() below).
        huey = SqliteHuey(QUEUE_NAME, filename=str(queue_file()), results=False, utc=True, fsync=False)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey(QUEUE_NAME, url=url, results=False, utc=True)
    else:
        raise ImproperlyConfigured(f"JOBS_URL must be empty (the embedded queue) or redis://HOST:PORT/DB, not {describe(url)!r}")

    @huey.task(context=True, name="school_job")
    def school_job(job_id, task=None):
        running.execute(job_id, retries_left=task.retries if task is not None else 0)

    @huey.on_startup(name="recover_stranded_jobs")
    def recover():
        # A worker killed mid-job (kill -9, the machine's OOM killer) left its
        # job "running": the consumer restarts the worker, which settles it here.
        for job in running.settle_stranded(this_worker_host()):
            push(job)
        # A message lost with a machine's crash (or a Redis without persistence)
        # left its job "queued" with nothing in the broker to run it.
        try:
            held = {task.id for task in [*huey.pending(), *huey.scheduled()]}
        except Exception:
            logger.exception("the queue could not be read to find lost messages")
            return
        for job in running.waiting_without_message(held):
            logger.warning("job %s had no message in the queue: queued again", job.id, extra={"school": job.school})
            push(job)

    for name, spec, _func in schedules.active():
        huey.periodic_task(schedules.validator(spec), name=f"schedule.{name}")(_scheduled_run(name))

    huey.school_job = school_job
    return huey


def _scheduled_run(name):
    def scheduled_run():
        schedules.run(name)

    return scheduled_run


def broker():
    """The Huey instance of the current settings (one per URL and data directory)."""
    return _broker(settings.JOBS_URL, str(settings.SCHOOL_DATA_DIR), settings.JOBS_IMMEDIATE)


def this_worker_host():
    return socket.gethostname()


def this_worker():
    return f"{this_worker_host()}:{os.getpid()}"


def push(job):
    """Hand `job` (a saved Job) to the broker; QueueUnavailable if it will not take it."""
    job_kind = kind(job.kind)
    huey = broker()
    message = huey.school_job.s(
        str(job.id), id=str(job.id), retries=job_kind.retries, retry_delay=job_kind.retry_delay, retry_backoff=job_kind.backoff,
    )
    try:
        huey.enqueue(message)
    except Exception as error:  # redis.ConnectionError, sqlite3.OperationalError, ...: all mean "not queued"
        logger.warning("job %s not queued at %s: %s", job.id, describe(), error, extra={"school": job.school})
        raise QueueUnavailable(str(error) or error.__class__.__name__) from error


def waiting():
    """Messages in the broker: ready to run, and scheduled (a retry waiting for its delay)."""
    huey = broker()
    return huey.pending_count() + huey.scheduled_count()
