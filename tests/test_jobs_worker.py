"""The job queue's embedded default (SqliteHuey under the data dir) with one real worker process for the module.

Every test waits for a job's documented state (its Job row), with a generous bound.
"""

import io
import os
import signal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS
from django.test import Client

import tests.job_kinds  # noqa: F401  (the kinds this module submits)
from School.accounts.groups import REGISTRARS
from School.context import tenant_context
from School.jobs.models import Job
from School.jobs.submit import submit
from School.models import School, Student
from School.records import uploads
from tests.student_rows import ROW_COLUMNS as COLUMNS
from School.transactions import atomic
from aiosmtpd.controller import Controller

from School.accounts import mail_jobs
from tests.accounts_helpers import Mailbox
from tests.conftest import free_port, students_of
from tests.jobs_helpers import Worker, ended, module_platform, set_locale, wait_for

pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="module")
def queue(tmp_path_factory, template_databases, django_db_blocker):
    """Three schools, each in its own language and time zone, and one worker process (one worker) for them all."""
    folder = tmp_path_factory.mktemp("jobs")
    with module_platform(folder, template_databases, django_db_blocker) as platform:
        platform.add_school("default", ["localhost"], "Default School", students_of("DEF", 3))
        platform.add_school("nairobi", ["nairobi.localhost"], "Nairobi School", students_of("NBI", 5))
        platform.add_school("accra", ["accra.localhost"], "Accra Academy", students_of("ACC", 7))
        platform.add_school("kisumu", ["kisumu.localhost"], "Kisumu School", students_of("KSM", 2))
        set_locale("nairobi", "sw", "Africa/Nairobi")
        set_locale("accra", "fr", "Africa/Abidjan")
        with tenant_context("nairobi"):
            user = get_user_model().objects.create_user("registrar", password="pw", is_staff=True)
            user.groups.add(Group.objects.get(name=REGISTRARS))
        # A real SMTP server on loopback, for the worker's mail.
        platform.mailbox = Mailbox()
        smtp = Controller(platform.mailbox, hostname="127.0.0.1", port=free_port())
        smtp.start()
        env = {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "DEFAULT_FROM_EMAIL": "records@school.test"}
        with open(folder / "worker.log", "wb") as log:
            worker = Worker(platform, processes=1, env=env, log=log)
            try:
                yield platform
            finally:
                worker.stop()
                smtp.stop()


def test_two_schools_jobs_interleaved_on_one_worker_each_run_as_their_own_school(queue):
    order = ["nairobi", "accra", "nairobi", "default", "accra", "nairobi", "accra"]
    jobs = [(school, submit(school, "tests.where_am_i")) for school in order]
    results = [(school, ended(job_id)) for school, job_id in jobs]
    assert len({job.result["pid"] for _school, job in results}) == 1  # one worker process ran them all
    expected = {
        "nairobi": ("nairobi", "sw", "Africa/Nairobi", ["NBI-0000", "NBI-0001", "NBI-0002"]),
        "accra": ("accra", "fr", "Africa/Abidjan", ["ACC-0000", "ACC-0001", "ACC-0002"]),
        "default": ("default", "en", "UTC", ["DEF-0000", "DEF-0001", "DEF-0002"]),
    }
    for school, job in results:
        assert job.state == "done", job.message
        result = job.result
        assert (result["alias"], result["language"], result["time_zone"], result["students"]) == expected[school]


def test_a_job_is_queued_when_the_schools_transaction_commits_and_never_for_a_rolled_back_write(queue):
    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        with tenant_context("nairobi"), atomic(using="nairobi"):
            Student.objects.create(registration_no="ROLLED-1", first_name="Never", second_name="Kept")
            rolled_back = submit("nairobi", "tests.where_am_i")
            assert not Job.objects.filter(pk=rolled_back).exists()  # not before the commit
            raise Undo
    with tenant_context("nairobi"), atomic(using="nairobi"):
        Student.objects.create(registration_no="KEPT-1", first_name="Is", second_name="Kept")
        committed = submit("nairobi", "tests.where_am_i")
        assert not Job.objects.filter(pk=committed).exists()
    assert ended(committed).state == "done"  # the worker was there to take the other one too
    assert not Job.objects.filter(pk=rolled_back).exists()
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="KEPT-1").delete()


def _registrar():
    client = Client(HTTP_HOST="nairobi.localhost")
    client.post("/admin/login/", {"username": "registrar", "password": "pw"})
    return client


def _csv(rows, prefix):
    lines = [",".join(COLUMNS)]
    lines += [f"{prefix}-{n},First{n},Last{n},03/04/2010,Form 1,,,," for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _upload(client, data):
    file = io.BytesIO(data)
    file.name = "students.csv"
    preview = client.post("/students/import/", {"file": file})
    assert preview.status_code == 200, preview.content.decode()[-800:]
    return preview.content.decode().split('name="token" value="')[1].split('"')[0]


def test_confirming_an_import_answers_with_the_jobs_page_which_shows_the_summary_when_it_is_done(queue):
    client = _registrar()
    token = _upload(client, _csv(30, "WEB"))
    answer = client.post("/students/import/", {"token": token, "update": "0"})
    assert answer.status_code == 302 and answer["Location"].startswith("/jobs/")
    job_id = answer["Location"].split("/")[2]
    job = ended(job_id)
    assert job.state == "done" and job.started_by == "registrar" and job.school == "nairobi"
    with tenant_context("nairobi"):
        imported = Student.objects.filter(registration_no__startswith="WEB-")
        assert imported.count() == 30
        # Nairobi writes dates day first: the worker read them in Nairobi's order.
        assert str(imported.get(registration_no="WEB-1").date_of_birth) == "2010-04-03"
        imported.delete()
    page = client.get(answer["Location"]).content.decode()
    assert 'data-state="done"' in page and "30" in page
    assert uploads.upload_path("nairobi", token).exists() is False  # the upload went with its answer
    listing = client.get("/jobs/").content.decode()
    assert job_id in listing
    # Another school's staff never see it.
    assert Client(HTTP_HOST="accra.localhost").get(answer["Location"]).status_code in (302, 404)


def test_a_job_for_a_suspended_or_removed_school_fails_with_that_reason_and_touches_nothing(queue):
    School.objects.using(DEFAULT_DB_ALIAS).filter(name="kisumu").update(suspended=True)
    job = ended(submit("kisumu", "tests.where_am_i"))
    assert job.state == "failed" and "suspended" in job.message and job.result == {}
    School.objects.using(DEFAULT_DB_ALIAS).filter(name="kisumu").update(suspended=False)
    assert ended(submit("kisumu", "tests.where_am_i")).state == "done"
    # Removed between its queueing and its turn: the registry no longer has it.
    ghost = submit("kisumu", "tests.where_am_i")
    School.objects.using(DEFAULT_DB_ALIAS).filter(name="kisumu").delete()
    job = ended(ghost)
    assert job.state in ("failed", "done")
    job = ended(submit("kisumu", "tests.where_am_i", using=DEFAULT_DB_ALIAS))
    assert job.state == "failed" and "removed" in job.message


def test_a_job_that_keeps_failing_stops_after_its_retries_and_shows_as_failed(queue):
    job = ended(submit("accra", "tests.always_fails"))
    assert job.state == "failed"
    assert job.attempts == 3 and "the printer is on fire" in job.message


def test_a_worker_killed_mid_import_leaves_all_or_nothing_and_the_job_is_retried_never_done_half(queue):
    client = _registrar()
    rows = 20000
    token = _upload(client, _csv(rows, "KILL"))
    answer = client.post("/students/import/", {"token": token, "update": "0"})
    job_id = answer["Location"].split("/")[2]
    running = wait_for(
        lambda: Job.objects.filter(pk=job_id, state="running", progress_done__gt=0).first(), "the import to be half-way",
    )
    os.kill(int(running.worker.rsplit(":", 1)[1]), signal.SIGKILL)
    with tenant_context("nairobi"):
        written = Student.objects.filter(registration_no__startswith="KILL-").count()
    assert written in (0, rows)  # all or nothing, as in a request
    assert uploads.upload_path("nairobi", token).exists() or written == rows
    job = ended(job_id)
    with tenant_context("nairobi"):
        written = Student.objects.filter(registration_no__startswith="KILL-").count()
        Student.objects.filter(registration_no__startswith="KILL-").delete()
    # The restarted worker settles it: tried again (and then done, whole) or failed (nothing written).
    if job.state == "done":
        assert written == rows and job.attempts == 2
    else:
        assert written == 0 and uploads.upload_path("nairobi", token).exists()


def test_mail_is_sent_by_the_worker_in_the_schools_language_after_the_commit(queue):
    with tenant_context("accra"), atomic(using="accra"):
        queued = mail_jobs.send_later(
            "invitation", {"accept_url": "http://accra.localhost/join/x", "hours": 72}, "ama@accra.test", started_by="head",
        )
    job = ended(queued.job_id)
    assert job.state == "done" and job.started_by == "head" and job.school == "accra"
    message = queue.mailbox.wait_for(1)
    assert message["To"] == "ama@accra.test"
    assert " ".join(str(message["Subject"]).split()) == "Invitation à consulter les dossiers des élèves de Accra Academy"  # Accra writes French
    assert queued.refresh().sent
    assert job.args == {}  # the invitation's link is not kept once the mail went out
