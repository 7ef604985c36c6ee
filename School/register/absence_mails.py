"""The guardians' absence mails: one per student and day, to the primary guardian, once the register is saved.

When the school turned them on (RegisterSettings.absence_mails), every
committed save of one of today's registers that marks someone absent
(unexcused) queues a job (`register.absence_mails`) for that day. The job,
as the school, reads the day's marks as they are *then*: a student changed
back to present before it ran gets nothing. For each student still absent it
claims the day's AbsenceNotice row (unique per student and day, so a re-save,
a correction or two jobs racing can never mail twice) and hands the message
to the mail job (School/accounts/mail_jobs.py): retried with backoff, in the
school's language and look. The register is committed before any of this
starts, and nothing here raises into the save: a mail that cannot be sent
never loses the register.

Decisions: only today's registers mail (a correction days later does not
send one); a student absent in the morning and again in the afternoon gets
one mail; a mail that failed for good stays recorded as failed (its error on
the school's Jobs page) and is not sent again by a later save.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from School.accounts import mail_jobs
from School.context import current_alias, current_school
from School.identity.models import Guardian, Guardianship
from School.jobs import kinds
from School.jobs.submit import QueueUnavailable, enqueue_now
from School.locale.activation import date_order_of
from School.models import Student
from School.records.dates import write_date
from School.register.codes import ABSENT
from School.register.models import AbsenceNotice, Mark, RegisterTaken
from School.register.service import register_saved, school_settings, school_today

logger = logging.getLogger(__name__)

JOB = "register.absence_mails"
TEMPLATE = "register_absence"  # accounts/mail/register_absence_subject.txt and _body.txt


# A class's registers only: a student absent from a trip's register (a GroupRegister) is not absent from school.
@receiver(register_saved, sender=RegisterTaken, dispatch_uid="register.absence_mails")
def queue_after_save(sender, using, register, marks, changed, **kwargs):
    """After the save's commit: queue the day's mails. Never raises: the register is saved whatever happens here."""
    try:
        if not changed or not any(code == ABSENT for code, _reason in marks.values()):
            return
        if register.date != school_today() or not school_settings(using).absence_mails:
            return
        try:
            enqueue_now(using, JOB, {"date": register.date.isoformat()}, started_by=register.taken_by)
        except QueueUnavailable:
            # As a mail does without the queue (mail_jobs.send_later): sent now rather than lost.
            logger.warning("job queue unavailable: absence mails of %s sent at once", register.date, extra={"school": using})
            send_notices(using, register.date, register.taken_by)
    except Exception:
        logger.exception("absence mails of %s not queued", register.date, extra={"school": using})


@kinds.register(JOB)
def absence_mails_job(job, date):
    return send_notices(current_alias(), datetime.date.fromisoformat(date), job.started_by)


def send_notices(using, day, started_by=""):
    """Queue the mail of every student absent (unexcused) on `day` who has none yet; {"summary", "queued"}."""
    if not school_settings(using).absence_mails:
        return {"summary": "absence mails are turned off", "queued": 0}
    registers = RegisterTaken.objects.using(using).filter(date=day).values_list("pk", "class_name")
    classes = dict(registers)
    absent = {}
    for student, register in Mark.objects.using(using).filter(register_id__in=list(classes), code=ABSENT).values_list(
            "student_id", "register_id"):
        absent.setdefault(student, classes[register])
    done = set(AbsenceNotice.objects.using(using).filter(date=day, student_id__in=list(absent)).values_list("student_id", flat=True))
    waiting = [student for student in absent if student not in done]
    emails = primary_emails(using, waiting)
    names = dict((pk, f"{first} {second}") for pk, first, second in Student.objects.using(using).filter(
        pk__in=list(emails)).values_list("pk", "first_name", "second_name"))
    written = write_date(day, date_order_of(current_school()))
    queued = 0
    for student, (guardian_name, email) in emails.items():
        try:
            with transaction.atomic(using=using):
                notice = AbsenceNotice.objects.using(using).create(student_id=student, date=day, email=email)
        except IntegrityError:
            continue  # another job claimed this student's mail of the day
        context = {"student_name": names.get(student, ""), "class_name": absent[student], "date": written,
                   "guardian_name": guardian_name}
        mail_jobs.send_later(TEMPLATE, context, email, started_by=started_by, school=using, using=using,
                             follow=("absence_notice", {"pk": str(notice.pk)}))
        queued += 1
    logger.info("%d absence mails queued for %s", queued, day, extra={"school": using})
    return {"summary": f"{queued} absence mail(s) for {day.isoformat()}", "queued": queued}


def primary_emails(using, students):
    """{student pk: (guardian's name, email)} of the primary contacts who have an email (first by position)."""
    pairs = {}
    for student, guardian in Guardianship.objects.using(using).filter(
            student_id__in=list(students), primary_contact=True).order_by("position").values_list("student_id", "guardian_id"):
        pairs.setdefault(student, []).append(guardian)
    found = {pk: (name, email) for pk, name, email in Guardian.objects.using(using).filter(
        pk__in=[guardian for guardians in pairs.values() for guardian in guardians]).exclude(email="").values_list(
        "pk", "name", "email")}
    return {student: found[next(guardian for guardian in guardians if guardian in found)]
            for student, guardians in pairs.items() if any(guardian in found for guardian in guardians)}


@mail_jobs.follow_up("absence_notice")
def _record_sending(outcome, pk):
    fields = {"sent_at": timezone.now(), "send_error": ""} if outcome.sent else {"send_error": outcome.error[:300]}
    AbsenceNotice.objects.filter(pk=pk).update(**fields)
