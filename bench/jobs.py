"""The job queue (School/jobs/): what a page waits for, and what the queue costs, on the embedded default.

    python bench/jobs.py [--rounds 5] [--rows 20000] [--mails 200]

1. confirm: a registrar confirms a checked 20,000-row import; time until the
   page answers (the job's page), the job handed to the queue (SqliteHuey
   under the data dir). Goal (issue 34): <= 300 ms.
2. import: the same import through the queue (the POST, then a real
   `worker --processes 1` until the Job row says done) vs run inside the
   request (JOBS_IMMEDIATE, as before the queue): alternating rounds, median
   ratio. Goal <= 1.1.
3. mail: queueing one message after a commit (`mail_jobs.send_later`: a Job
   row in `default` and a message in the queue) vs nothing, per call (ms).
   Goal <= 5 ms added to the request.
"""

import argparse
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import setup_django  # noqa: E402

DATA_DIR = setup_django("bench-jobs-")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.test import Client  # noqa: E402

from bench.common import env_for, make_school  # noqa: E402
from School.accounts.groups import REGISTRARS  # noqa: E402
from School.context import tenant_context  # noqa: E402
from School.jobs.models import Job  # noqa: E402
from School.models import Student  # noqa: E402
from School.operations.provisioning import ensure_registry  # noqa: E402
from tests.student_rows import ROW_COLUMNS as COLUMNS  # noqa: E402

SCHOOL = "bench_jobs"
HOST = "bench-jobs.localhost"


def prepare():
    ensure_registry()
    make_school(SCHOOL, 0)
    with tenant_context(SCHOOL):
        user = get_user_model().objects.create_user("registrar", password="bench-password", is_staff=True)
        user.groups.add(Group.objects.get(name=REGISTRARS))
    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_HOST=HOST)
    assert client.post("/admin/login/", {"username": "registrar", "password": "bench-password"}).status_code == 302
    return client


def csv_bytes(rows):
    lines = [",".join(COLUMNS)] + [f"Q/{n:06d},First{n % 97},Last{n % 89},2010-03-04,Form {n % 4 + 1},,,," for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def checked_upload(client, data):
    file = io.BytesIO(data)
    file.name = "students.csv"
    page = client.post("/students/import/", {"file": file})
    assert page.status_code == 200, page.content[-500:]
    return page.content.decode().split('name="token" value="')[1].split('"')[0]


def clear():
    with tenant_context(SCHOOL):
        Student.objects.all().delete()


def confirm(client, token):
    started = time.perf_counter()
    answer = client.post("/students/import/", {"token": token, "update": "0"})
    return time.perf_counter() - started, answer


def wait_done(job_id):
    while True:
        state = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        if state in ("done", "failed"):
            assert state == "done", Job.objects.get(pk=job_id).message
            return
        time.sleep(0.05)  # a coarse poll: this process must not take the worker's CPU


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--mails", type=int, default=200)
    args = parser.parse_args()
    client = prepare()
    data = csv_bytes(args.rows)
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "school_manage.py"), "worker", "--processes", "1", "--no-schedule"],
        cwd=ROOT, env=env_for(DATA_DIR), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    answers, queued, in_request = [], [], []
    try:
        for round_ in range(args.rounds):
            for way in (("queue", "request") if round_ % 2 == 0 else ("request", "queue")):
                clear()
                token = checked_upload(client, data)
                if way == "queue":
                    settings.JOBS_IMMEDIATE = False
                    started = time.perf_counter()
                    seconds, answer = confirm(client, token)
                    assert answer.status_code == 302, answer.content[-500:]
                    wait_done(answer["Location"].split("/")[2])
                    queued.append(time.perf_counter() - started)
                    answers.append(seconds)
                else:
                    settings.JOBS_IMMEDIATE = True
                    seconds, answer = confirm(client, token)
                    assert answer.status_code == 302
                    in_request.append(seconds)
                with tenant_context(SCHOOL):
                    assert Student.objects.count() == args.rows
            print(f"round {round_ + 1}: answer {answers[-1] * 1000:.0f} ms; import through the queue {queued[-1]:.2f} s, "
                  f"in the request {in_request[-1]:.2f} s", flush=True)
    finally:
        worker.terminate()
        worker.wait(30)
        settings.JOBS_IMMEDIATE = False
    ratios = [q / r for q, r in zip(queued, in_request)]
    print(f"\n1. confirming a {args.rows:,}-row import: the page answers in a median {statistics.median(answers) * 1000:.0f} ms "
          f"(max {max(answers) * 1000:.0f} ms)")
    print(f"2. the import through the queue (until done) / in the request: median ratio: {statistics.median(ratios):.2f} "
          f"(queue {statistics.median(queued):.2f} s, request {statistics.median(in_request):.2f} s)")

    from django.db import transaction

    from School.accounts import mail_jobs

    def with_mail(n):
        with tenant_context(SCHOOL), transaction.atomic(using=SCHOOL):
            mail_jobs.send_later("invitation", {"accept_url": f"http://{HOST}/x/{n}", "hours": 72}, f"p{n}@example.org")

    def without_mail(n):
        with tenant_context(SCHOOL), transaction.atomic(using=SCHOOL):
            pass

    added = []
    for _round in range(args.rounds):
        times = {}
        for name, call in (("mail", with_mail), ("none", without_mail)):
            started = time.perf_counter()
            for n in range(args.mails):
                call(n)
            times[name] = (time.perf_counter() - started) / args.mails
        added.append((times["mail"] - times["none"]) * 1000)
    print(f"3. queueing one mail after a commit vs nothing: median {statistics.median(added):.2f} ms added per request "
          f"({args.mails} calls a round)")


if __name__ == "__main__":
    main()
