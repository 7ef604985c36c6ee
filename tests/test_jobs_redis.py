"""The job queue's production path: Huey on a real Redis (Debian's redis-server on loopback), two worker commands."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

import tests.job_kinds  # noqa: F401  (the kinds this module submits)
from School.accounts.groups import REGISTRARS
from School.context import tenant_context
from School.jobs.broker import push
from School.jobs.models import Job
from School.jobs.submit import submit
from School.models import Student
from School.records import uploads
from tests.student_rows import ROW_COLUMNS as COLUMNS
from tests.conftest import students_of
from tests.jobs_helpers import Redis, Worker, ended, module_platform, wait_for

pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def queue(tmp_path_factory, template_databases, django_db_blocker, redis):
    folder = tmp_path_factory.mktemp("jobs-redis")
    with module_platform(folder, template_databases, django_db_blocker, JOBS_URL=redis.url) as platform:
        platform.add_school("default", ["localhost"], "Default School", students_of("DEF", 1))
        platform.add_school("nairobi", ["nairobi.localhost"], "Nairobi School", students_of("NBI", 3))
        platform.add_school("accra", ["accra.localhost"], "Accra Academy", students_of("ACC", 3))
        with tenant_context("nairobi"):
            user = get_user_model().objects.create_user("registrar", password="pw", is_staff=True)
            user.groups.add(Group.objects.get(name=REGISTRARS))
        env = {"JOBS_URL": redis.url}
        with open(folder / "workers.log", "wb") as log:
            workers = [Worker(platform, processes=2, env=env, log=log) for _ in range(2)]
            try:
                yield platform
            finally:
                for worker in workers:
                    worker.stop()


def test_two_workers_never_run_the_same_job_even_when_its_message_comes_twice(queue, tmp_path):
    record = tmp_path / "runs.log"
    job_ids = [submit(school, "tests.where_am_i", {"record": str(record)}) for school in ["nairobi", "accra"] * 15]
    for job_id in job_ids[::3]:
        push(Job.objects.get(pk=job_id))  # a second message for the same job, as a redelivery would bring
    jobs = [ended(job_id) for job_id in job_ids]
    assert all(job.state == "done" and job.attempts == 1 for job in jobs)
    runs = [line.split()[0] for line in record.read_text().splitlines()]
    assert sorted(runs) == sorted(str(job_id) for job_id in job_ids)  # each once, none twice
    assert {job.result["alias"] for job in jobs} == {"nairobi", "accra"}


def test_with_redis_stopped_the_page_says_the_import_was_not_queued_keeps_the_upload_and_the_site_stays_up(queue, redis):
    client = Client(HTTP_HOST="nairobi.localhost")
    client.post("/admin/login/", {"username": "registrar", "password": "pw"})
    file = io.BytesIO((",".join(COLUMNS) + "\nRDS-1,Amina,Odhiambo,2011-02-03,Form 1,,,,\n").encode())
    file.name = "students.csv"
    preview = client.post("/students/import/", {"file": file}).content.decode()
    token = preview.split('name="token" value="')[1].split('"')[0]
    before = Job.objects.count()
    redis.stop()
    try:
        answer = client.post("/students/import/", {"token": token, "update": "0"})
        assert answer.status_code == 503
        assert 'id="import-not-queued"' in answer.content.decode()
        assert uploads.upload_path("nairobi", token).exists()
        assert Job.objects.count() == before  # nothing half-queued
        assert client.get("/").status_code == 200  # the site answers
    finally:
        redis.start()
    # The same confirmation, once Redis is back: queued, run, imported.
    again = client.post("/students/import/", {"token": token, "update": "0"})
    assert again.status_code == 302
    job = ended(again["Location"].split("/")[2])
    assert job.state == "done"
    with tenant_context("nairobi"):
        assert Student.objects.filter(registration_no="RDS-1").exists()
    wait_for(lambda: not uploads.upload_path("nairobi", token).exists(), "the upload to go with its answer")
