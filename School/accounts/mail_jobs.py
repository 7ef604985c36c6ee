"""Mail as a job: any message of a school, rendered in the worker in the school's language, retried with backoff.

    send_later("invitation", {"accept_url": ...}, "amina@example.org", started_by="head",
               follow=("invitation", {"pk": 7}))

`template` names accounts/mail/<template>_subject.txt and _body.txt; `context`
must be JSON (strings, numbers, lists, dicts). The job is queued when the
school's transaction commits (never for a rolled-back write). After the last
retry the job shows as failed on the school's Jobs page, with the mail
server's answer, and a follow-up (registered with `follow_up`) hears of it.
Absence notices of the register are meant to come this way too.
"""

import logging
import uuid
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, transaction

from School.accounts.mail import Outcome, build_message, deliver
from School.context import current_alias
from School.jobs import kinds
from School.jobs.models import DONE, FAILED, Job
from School.jobs.submit import QueueUnavailable, enqueue_now

logger = logging.getLogger(__name__)

MAIL = "mail.send"
RETRIES, FIRST_DELAY_SECONDS, BACKOFF = 4, 30, 2  # tried 5 times over about 7.5 minutes

_follow_ups = {}


def follow_up(name):
    """Register what to do (as the school) once a message was sent or failed for good: fn(outcome, **args)."""

    def decorator(fn):
        _follow_ups[name] = fn
        return fn

    return decorator


def _follow(follow, outcome):
    if follow:
        name, args = follow
        _follow_ups[name](outcome, **args)


def _failed(message, template, to, context, follow=None):
    _follow(follow, Outcome(sent=False, error=message))


# forget_args: a message's context holds links that open accounts (invitations, resets).
@kinds.register(MAIL, retries=RETRIES, retry_delay=FIRST_DELAY_SECONDS, backoff=BACKOFF, on_failure=_failed, forget_args=True)
def send_mail(job, template, to, context, follow=None):
    message = build_message(template, context, to)
    outcome = Outcome()
    deliver(message, outcome)
    if not outcome.sent:
        raise MailNotSent(outcome.error)  # Huey tries again later
    _follow(follow, outcome)
    return {"summary": message.subject, "to": to}


class MailNotSent(Exception):
    pass


@dataclass
class Queued(Outcome):
    """What a page knows of a message handed to the queue: sent/error once its job has run (immediate mode)."""

    job_id: str = ""

    def refresh(self):
        """Sent or failed if the job ended already; else still queued (sent False, error "")."""
        job = Job.objects.using(DEFAULT_DB_ALIAS).filter(pk=self.job_id).first()
        if job is not None and job.state == DONE:
            self.sent = True
        elif job is not None and job.state == FAILED:
            self.error = job.message
        return self

    @property
    def queued(self):
        return not self.sent and not self.error


def send_later(template, context, to, started_by="", follow=None, school=None, using=None):
    """Queue a message of the active school (or `school`) for after the commit of `using` (the school's); a Queued outcome.

    With the queue down the message is sent at once instead, as before there
    was a queue: a mail is never lost to the broker's outage.
    """
    alias = school or current_alias()
    outcome = Queued(job_id=str(uuid.uuid4()))
    args = {"template": template, "to": to, "context": context, "follow": follow}

    def queue_or_send():
        try:
            enqueue_now(alias, MAIL, args, started_by, job_id=outcome.job_id)
        except QueueUnavailable:
            logger.warning("job queue unavailable: mail to %s sent at once", to, extra={"school": alias})
            deliver(build_message(template, context, to), outcome)
            _follow(follow, outcome)

    transaction.on_commit(queue_or_send, using=using or alias)
    return outcome
