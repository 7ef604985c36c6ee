"""Start a job for a school: recorded and handed to the broker when the school's transaction commits.

    job_id = submit("nairobi", "records.import", {"token": token}, started_by=user.username)

Inside `atomic(using="nairobi")` nothing happens until the commit, and nothing
at all after a rollback (the id then names no job). Outside a transaction it
happens at once. If the broker does not take it, the row is removed again and
QueueUnavailable raised: the caller says so and keeps what the job needed.
"""

import uuid

from django.db import DEFAULT_DB_ALIAS, transaction

from School.jobs.broker import QueueUnavailable, push
from School.jobs.kinds import kind
from School.jobs.models import Job

__all__ = ["QueueUnavailable", "enqueue_now", "submit"]


def submit(school, kind_name, args=None, started_by="", using=None):
    """The new job's id (a UUID); its row and message exist once `using`'s (the school's) transaction commits."""
    kind(kind_name)  # an unknown kind is a bug: fail now, in the caller
    job_id = uuid.uuid4()
    transaction.on_commit(
        lambda: enqueue_now(school, kind_name, args, started_by, job_id), using=using or school,
    )
    return job_id


def enqueue_now(school, kind_name, args=None, started_by="", job_id=None):
    """Record and push a job at once (for callers already past their commit); QueueUnavailable if not taken."""
    job_kind = kind(kind_name)
    job = Job.objects.using(DEFAULT_DB_ALIAS).create(
        id=job_id or uuid.uuid4(), school=school, kind=job_kind.name, args=args or {}, started_by=started_by,
        max_attempts=job_kind.attempts,
    )
    try:
        push(job)
    except QueueUnavailable:
        job.delete()  # nothing half-queued: no row without its message
        raise
    return job.id
