"""The guardians' absence mails (issue 35): one per student and day, to the primary guardian with an email, in the
school's language and look, through the job queue (run at once in tests), never able to lose the register."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DEFAULT_DB_ALIAS

from School.context import current_alias, tenant_context
from School.identity.models import Guardian, Guardianship
from School.jobs.models import Job
from School.models import School, Student
from School.register import absence_mails, service
from School.register.codes import ABSENT, EXCUSED, LATE
from School.register.models import AbsenceNotice, RegisterTaken
from tests.register_world import TODAY, register_school
from tests.test_register import YESTERDAY, take


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("the mail server went away")


@pytest.fixture
def people(platform, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    found = register_school(platform)
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), absence_mails=True)
        for regno, email, primary in (("E-01", "mama.e01@home.test", True), ("E-02", "baba.e02@home.test", True),
                                      ("E-03", "", True), ("E-04", "aunt.e04@home.test", False)):
            guardian = Guardian.objects.create(name=f"Guardian of {regno}", email=email, phone="+254700000001")
            Guardianship.objects.create(student=Student.objects.get(registration_no=regno), guardian=guardian,
                                        primary_contact=primary)
    return found


def sent():
    return sorted((message.to[0], message.subject) for message in mail.outbox)


def test_the_primary_guardian_of_an_absent_student_gets_one_mail_once_the_register_is_saved(people):
    take(people["teacher"], marks={"E-01": (ABSENT, ""), "E-02": (LATE, ""), "E-03": (ABSENT, ""),
                                   "E-04": (ABSENT, ""), "E-05": (EXCUSED, "sick")})
    # E-02 was late, E-05 excused, E-03's primary guardian has no email and E-04's guardian is not the primary one.
    assert sent() == [("mama.e01@home.test", f"FirstE-01 LastE-01 was absent on {TODAY:%Y-%m-%d}")]
    [message] = mail.outbox
    assert "FirstE-01 LastE-01 (Form 1 East) was marked absent" in message.body and "Nairobi School" in message.body
    assert message.body.startswith("Hello Guardian of E-01,")
    with tenant_context("nairobi"):
        [notice] = AbsenceNotice.objects.values_list("student__registration_no", "date", "email", "send_error")
        assert notice == ("E-01", TODAY, "mama.e01@home.test", "")
        assert AbsenceNotice.objects.get().sent_at is not None
    assert Job.objects.using(DEFAULT_DB_ALIAS).filter(kind=absence_mails.JOB, school="nairobi", state="done").count() == 1


def test_a_resave_or_a_correction_never_mails_the_same_student_twice_the_same_day(people):
    take(people["teacher"], marks={"E-01": (ABSENT, "")}, version=0)
    take(people["teacher"], marks={"E-01": (ABSENT, "")}, version=1)  # a retry: nothing changed
    take(people["teacher"], marks={"E-01": (ABSENT, ""), "E-02": (ABSENT, "")}, version=1)  # a correction adds E-02
    take(people["registrar"], marks={"E-01": (ABSENT, ""), "E-02": (ABSENT, "")}, version=2)
    assert [to for to, _subject in sent()] == ["baba.e02@home.test", "mama.e01@home.test"]


def test_a_student_absent_in_the_morning_and_the_afternoon_gets_one_mail(people):
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), two_sessions=True)
    take(people["teacher"], session="am", marks={"E-01": (ABSENT, "")})
    take(people["teacher"], session="pm", marks={"E-01": (ABSENT, "")})
    assert [to for to, _subject in sent()] == ["mama.e01@home.test"]


def test_a_student_changed_back_to_present_before_the_job_ran_gets_no_mail(people):
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), absence_mails=False)  # the save queues nothing ...
    take(people["teacher"], marks={"E-01": (ABSENT, ""), "E-02": (ABSENT, "")}, version=0)
    take(people["teacher"], marks={"E-02": (ABSENT, "")}, version=1)  # ... E-01 had come in late after all
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), absence_mails=True)
        # ... and the job reads the marks as they are when it runs.
        assert absence_mails.send_notices(current_alias(), TODAY)["queued"] == 1
    assert [to for to, _subject in sent()] == ["baba.e02@home.test"]


def test_no_mail_when_the_school_has_not_turned_them_on_nor_for_an_earlier_day(people):
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), absence_mails=False)
    take(people["teacher"], marks={"E-01": (ABSENT, "")})
    with tenant_context("nairobi"):
        service.change_settings(current_alias(), absence_mails=True)
    take(people["registrar"], day=YESTERDAY, marks={"E-01": (ABSENT, "")}, correction="paper register")
    assert sent() == []


def test_the_mail_is_in_the_schools_language(people):
    School.objects.using(DEFAULT_DB_ALIAS).filter(name="nairobi").update(language="fr")
    row = School.objects.using(DEFAULT_DB_ALIAS).get(name="nairobi")
    row.save()  # the registry's change log: this process forgets the school at once
    take(people["teacher"], marks={"E-01": (ABSENT, "")})
    [message] = mail.outbox
    assert message.subject.startswith("FirstE-01 LastE-01 était absent") and "Bonjour" in message.body


def test_a_mail_that_cannot_be_sent_never_loses_the_register_and_is_recorded(people, settings):
    settings.EMAIL_BACKEND = "tests.test_register_mails.RefusingBackend"
    result = take(people["teacher"], marks={"E-01": (ABSENT, "")})
    assert result.changed
    with tenant_context("nairobi"):
        assert RegisterTaken.objects.filter(class_name="Form 1 East", date=TODAY).count() == 1
        notice = AbsenceNotice.objects.get()
        assert notice.sent_at is None and "the mail server went away" in notice.send_error
    failed = Job.objects.using(DEFAULT_DB_ALIAS).get(kind="mail.send", school="nairobi")
    assert failed.state == "failed" and "the mail server went away" in failed.message


def test_a_broken_queue_does_not_break_the_save(people, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the jobs table is locked")

    monkeypatch.setattr(absence_mails, "enqueue_now", broken)
    result = take(people["teacher"], marks={"E-01": (ABSENT, "")})
    assert result.changed and sent() == []
    with tenant_context("nairobi"):
        assert RegisterTaken.objects.count() == 1


def test_a_branded_school_sends_the_mail_in_its_colours(people):
    from School.branding import looks
    from School.branding.service import set_branding

    set_branding("nairobi", colours=("#1a5e20", "#ffffff"))
    try:
        take(people["teacher"], marks={"E-01": (ABSENT, "")})
    finally:
        looks.forget()
    [(html, kind)] = mail.outbox[0].alternatives
    assert kind == "text/html" and "#1a5e20" in html and "FirstE-01 LastE-01 (Form 1 East) was marked absent" in html
