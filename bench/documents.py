"""Students' photos and documents (School/documents/), on the embedded default (SQLite).

    python bench/documents.py [--rounds 5] [--photos 1000] [--requests 300] [--pdf-mib 5] [--parts 1 2 3 4]

1. Upload: storing a 5 MiB PDF through the service (content checks, SHA-256,
   write under a temporary name + fsync + rename, the row, the usage figure,
   the audit event) vs writing the same bytes to a file with fsync.
2. Thumbnail: one gunicorn worker serving a photo's thumbnail to a signed-in
   user (session, user, permission, row, stream) vs the same bytes as a static
   file (WhiteNoise, DJANGO_STATIC_ROOT) of the same server; a new connection
   per request for both, alternating rounds. Goal <= 1.2x.
3. Backup + restore of a school with N photos (and their thumbnails) vs
   today's backup + restore (rows only) plus `tar` of the files and `tar x`.
4. The student table's page with a photo for every student vs none (the
   table's queries do not touch the files): time ratio.
"""

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import free_port, setup_django  # noqa: E402

DATA_DIR = setup_django("bench-documents-")

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from PIL import Image  # noqa: E402

from bench.common import env_for  # noqa: E402
from School.context import tenant_context  # noqa: E402
from School.documents.models import StudentFile  # noqa: E402
from School.documents.service import store_file  # noqa: E402
from School.models import Student  # noqa: E402
from School.operations import backups  # noqa: E402
from School.operations.provisioning import add_school, ensure_registry  # noqa: E402
from School.operations.restore import restore_as  # noqa: E402
from School.utils import school_by_name  # noqa: E402

PASSWORD = "bench-password-123"


def photo_bytes(seed, size=(320, 400)):
    noise = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).resize((size[0] // 4, size[1] // 4))
    out = BytesIO()
    noise.resize(size).save(out, "JPEG", quality=85)
    return out.getvalue()


def pdf_bytes(mib):
    """A PDF of about `mib` MiB: scanned-looking (noisy) pages, as an office's scanner makes."""
    page = Image.frombytes("L", (600, 800), os.urandom(600 * 800))
    one = BytesIO()
    page.save(one, "PDF")
    out = BytesIO()
    count = max(1, round(mib * 1024 * 1024 / len(one.getvalue())))
    page.save(out, "PDF", save_all=True, append_images=[page] * (count - 1))
    return out.getvalue()


def make_school(name, students):
    add_school(name, [f"{name}.localhost"])
    with tenant_context(name):
        Student.objects.bulk_create(
            Student(registration_no=f"{name.upper()}-{n:05d}", first_name=f"F{n}", second_name=f"L{n % 97}")
            for n in range(students)
        )


def median_ratio(label, ours, theirs, goal):
    ratios = [a / b for a, b in zip(ours, theirs)]
    for n, (a, b, r) in enumerate(zip(ours, theirs, ratios), 1):
        print(f"   round {n}: ours {a * 1000:.1f} ms, baseline {b * 1000:.1f} ms, ratio {r:.2f}")
    print(f"   median ratio: {statistics.median(ratios):.2f} ({label}; goal {goal})")


# --- 1. upload ------------------------------------------------------------------------------


def upload(rounds, mib):
    print(f"\n1. upload and store a {mib} MiB PDF vs writing the same bytes to disk (write + fsync)")
    data = pdf_bytes(mib)
    print(f"   PDF of {len(data) / 1024 / 1024:.2f} MiB")
    ours, plain = [], []
    target = DATA_DIR / "plain.bin"
    with tenant_context("upload"):
        student = Student.objects.first()
        for _ in range(rounds):
            started = time.perf_counter()
            store_file(student, "report", BytesIO(data), "report.pdf", size=len(data))
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            with open(target, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            plain.append(time.perf_counter() - started)
    median_ratio("stored / plain write", ours, plain, "measured")


# --- 2. thumbnail ------------------------------------------------------------------------------


def session_cookie():
    with tenant_context("serve"):
        user = get_user_model().objects.create_user("teacher", "", PASSWORD)
        user.user_permissions.add(Permission.objects.get(codename="view_student"))
    client = Client(HTTP_HOST="serve.localhost")
    assert client.post("/accounts/login/", {"username": "teacher", "password": PASSWORD}).status_code == 302
    return client.cookies["sessionid"].value


def get(port, path, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status}")
    return body


def thumbnail(rounds, requests):
    print(f"\n2. a thumbnail to a signed-in user vs a static file of the same size, same gunicorn, {requests} requests a round")
    with tenant_context("serve"):
        student = Student.objects.first()
        row, _ = store_file(student, "photo", BytesIO(photo_bytes(1)), "p.jpg", size=len(photo_bytes(1)))
    cookie = session_cookie()
    with tenant_context("serve"):
        row = StudentFile.objects.get(pk=row.pk)
    static_root = DATA_DIR / "static"
    static_root.mkdir()
    port = free_port()
    # STUDENT_DATA_REQUIRES_LOGIN: /healthz then checks the session, the user and the permission
    # as the thumbnail does: the floor of any signed-in view.
    env = env_for(DATA_DIR, DJANGO_STATIC_ROOT=str(static_root), STUDENT_DATA_REQUIRES_LOGIN="1")
    headers = {"Host": "serve.localhost", "Cookie": f"sessionid={cookie}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "multitenant.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                body = get(port, f"/files/{row.pk}/thumbnail", headers)
                break
            except (OSError, RuntimeError):
                time.sleep(0.1)
        (static_root / "thumb.jpg").write_bytes(body)
        # WhiteNoise reads STATIC_ROOT when the worker starts: restart it to see the file.
        server.terminate()
        server.wait(10)
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "multitenant.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                assert get(port, "/static/thumb.jpg", headers) == body
                break
            except (OSError, RuntimeError):
                time.sleep(0.1)
        print(f"   thumbnail of {len(body)} bytes")
        timings = {"thumbnail": [], "static": [], "healthz": []}
        paths = {"thumbnail": f"/files/{row.pk}/thumbnail", "static": "/static/thumb.jpg", "healthz": "/healthz"}
        for _ in range(rounds):
            for what, path in paths.items():
                started = time.perf_counter()
                for _ in range(requests):
                    get(port, path, headers)
                timings[what].append((time.perf_counter() - started) / requests)
        median_ratio("thumbnail / static file, time per request", timings["thumbnail"], timings["static"], "<= 1.2")
        print("   for reference, the cheapest signed-in Django response (/healthz: session, user, permission, one count):")
        median_ratio("/healthz signed in / static file", timings["healthz"], timings["static"], "a floor for any signed-in view")
    finally:
        server.terminate()
        server.wait(10)


# --- 3. backup + restore ------------------------------------------------------------------------


def backup_restore(rounds, photos):
    print(f"\n3. backup + restore of a school with {photos} photos vs today's backup + restore plus tar of its files")
    with tenant_context("photos"):
        total = 0
        for student in Student.objects.all()[:photos]:
            data = photo_bytes(student.pk)
            store_file(student, "photo", BytesIO(data), "p.jpg", size=len(data))
            total += len(data)
    files_dir = DATA_DIR / "db" / "photos.files"
    print(f"   {photos} photos, {total / 1024 / 1024:.1f} MiB (+ thumbnails); files directory {sum(p.stat().st_size for p in files_dir.rglob('*') if p.is_file()) / 1024 / 1024:.1f} MiB")
    ours, baseline = [], []
    for n in range(rounds):
        scratch = Path(tempfile.mkdtemp(dir=DATA_DIR))
        school = school_by_name("photos")
        started = time.perf_counter()
        with tenant_context(school):
            backups.write_backup(school, scratch / "with-files.jsonl.gz")
        restore_as(scratch / "with-files.jsonl.gz", f"copy{n}", [f"copy{n}.localhost"])
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        with mock.patch.object(backups, "write_files", return_value={}):  # today's backup: rows only
            with tenant_context(school):
                backups.write_backup(school, scratch / "rows.jsonl.gz")
            restore_as(scratch / "rows.jsonl.gz", f"rows{n}", [f"rows{n}.localhost"])
        subprocess.run(["tar", "czf", str(scratch / "files.tar.gz"), "-C", str(files_dir.parent), files_dir.name], check=True)
        (scratch / "untar").mkdir()
        subprocess.run(["tar", "xzf", str(scratch / "files.tar.gz"), "-C", str(scratch / "untar")], check=True)
        baseline.append(time.perf_counter() - started)
        print(f"   sizes: ours {(scratch / 'with-files.jsonl.gz').stat().st_size / 1024 / 1024:.1f} MiB, "
              f"rows {(scratch / 'rows.jsonl.gz').stat().st_size / 1024 / 1024:.2f} MiB + tar.gz {(scratch / 'files.tar.gz').stat().st_size / 1024 / 1024:.1f} MiB")
        shutil.rmtree(scratch)
    median_ratio("ours / (today's backup + restore + tar czf + tar xzf)", ours, baseline, "measured")


# --- 4. the table -----------------------------------------------------------------------------------


def table(rounds, requests):
    print(f"\n4. the student table (50 rows) with a photo for every student vs no photos, {requests} requests a round")
    client = Client(HTTP_HOST="photos.localhost")
    bare = Client(HTTP_HOST="upload.localhost")
    for c in (client, bare):
        c.get("/")
    with_photos, without = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(requests):
            assert client.get("/").status_code == 200
        with_photos.append((time.perf_counter() - started) / requests)
        started = time.perf_counter()
        for _ in range(requests):
            assert bare.get("/").status_code == 200
        without.append((time.perf_counter() - started) / requests)
    median_ratio("with photos / without, time per page", with_photos, without, "about 1")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pdf-mib", type=float, default=5)
    parser.add_argument("--parts", nargs="+", type=int, default=[1, 2, 3, 4], help="which measures to run")
    args = parser.parse_args()
    ensure_registry()
    call_command("migrate", verbosity=0)
    make_school("upload", max(args.photos, 50))
    make_school("serve", 5)
    make_school("photos", max(args.photos, 50))
    parts = {
        1: lambda: upload(args.rounds, args.pdf_mib),
        2: lambda: thumbnail(args.rounds, args.requests),
        3: lambda: backup_restore(min(args.rounds, 3), args.photos),
        4: lambda: table(args.rounds, args.requests // 3),
    }
    for part in sorted(args.parts):
        parts[part]()


if __name__ == "__main__":
    main()
