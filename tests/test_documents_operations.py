"""Students' files from the command line, through crashes, backups, restores, moves and transfers (issue 22)."""

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from School.context import tenant_context
from School.documents.carry import read_student_files, write_student_files
from School.documents.models import StorageUsage, StudentFile
from School.documents.service import store_file
from School.documents.storage import read_chunks, storage_for
from School.models import Student
from School.operations.backups import BackupFile, write_backup
from School.utils import school_by_name
from tests.conftest import ROOT, outlive_registry_ttl
from tests.test_documents import jpeg, pdf, png

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def school(three_schools):
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI/2021/012", first_name="Wanjiru", second_name="Kamau")
    return three_schools


def attach(number, name, data, kind="report", school_name="nairobi", title=""):
    with tenant_context(school_name):
        student = Student.objects.get(registration_no=number)
        from io import BytesIO

        return store_file(student, kind, BytesIO(data), name, size=len(data), title=title)[0]


def rows(school_name="nairobi"):
    with tenant_context(school_by_name(school_name)):
        return {
            (row.student.registration_no, row.kind, row.sha256)
            for row in StudentFile.objects.select_related("student")
        }


def contents(school_name="nairobi"):
    """{sha256 of the bytes: size} of every file the school's rows name, read from its storage."""
    school = school_by_name(school_name)
    with tenant_context(school):
        from School.connections import ensure_alias

        alias = ensure_alias(school)
        storage = storage_for(alias)
        found = {}
        for row in StudentFile.objects.using(alias):
            data = b"".join(read_chunks(storage.open(row.key)))
            found[hashlib.sha256(data).hexdigest()] = len(data)
        return found


# --- commands ------------------------------------------------------------------------------


def test_import_photos_from_a_folder_matches_registration_numbers_and_reports(school, run_cli, tmp_path):
    attach("NBI-0001", "old.jpg", jpeg(), kind="photo")
    folder = tmp_path / "photos"
    (folder / "class 1").mkdir(parents=True)
    (folder / "NBI-0001.jpg").write_bytes(jpeg(color=(9, 9, 9)))  # replaces the old photo
    (folder / "class 1" / "nbi_2021_012.PNG").write_bytes(png())  # `/` written `_`, any case
    (folder / "NBI-9999.jpg").write_bytes(jpeg())
    (folder / "notes.txt").write_text("hello")
    (folder / "NBI-0002.jpg").write_bytes(b"<html>not a photo</html>")
    result = run_cli("nairobi", "import-photos", str(folder))
    assert result.returncode == 1, result.stderr  # one file was refused
    assert "2 matched (1 replaced), 2 unmatched, 1 refused" in result.stdout
    assert "unmatched: NBI-9999.jpg" in result.stdout and "unmatched: notes.txt" in result.stdout
    assert "refused: NBI-0002.jpg" in result.stderr
    assert "[5/5]" in result.stdout  # progress, one line per file when not on a terminal
    photos = {number for number, kind, _ in rows() if kind == "photo"}
    assert photos == {"NBI-0001", "NBI/2021/012"} and len(rows()) == 2


def test_import_photos_from_a_zip_is_safe(school, run_cli, tmp_path):
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("../../escape/NBI-0001.jpg", jpeg())
        out.writestr("/abs/NBI-2021-012.jpg", jpeg())
        out.writestr("NBI-0003.jpg", b"\xff\xd8\xff" + b"\x00" * 30_000_000)  # a bomb: 30 MB from a few KB
    result = run_cli("nairobi", "import-photos", str(archive))
    assert "2 matched (0 replaced), 0 unmatched, 1 refused" in result.stdout, result.stdout + result.stderr
    assert "refused: NBI-0003.jpg" in result.stderr
    assert not (tmp_path.parent / "escape").exists() and not Path("/abs").exists()
    assert {number for number, _, _ in rows()} == {"NBI-0001", "NBI/2021/012"}


def test_import_photos_bad_source_is_exit_2(school, run_cli, tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    for source in (tmp_path / "missing", tmp_path / "x.zip"):
        result = run_cli("nairobi", "import-photos", str(source))
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert rows() == set()


def test_attach_adds_one_document_and_refuses_bad_input(school, run_cli, tmp_path):
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf())
    result = run_cli("nairobi", "attach", "NBI/2021/012", str(letter), "--kind", "transfer_letter", "--title", "From Accra")
    assert result.returncode == 0, result.stderr
    assert "stored letter.pdf as transfer letter of NBI/2021/012" in result.stdout
    with tenant_context("nairobi"):
        row = StudentFile.objects.get()
    assert row.title == "From Accra" and row.uploaded_by.startswith("(command line")
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html><body>hi</body></html>")
    for args in (
        ["NBI-9999", str(letter), "--kind", "report"],
        ["NBI-0001", str(fake), "--kind", "report"],
        ["NBI-0001", str(tmp_path / "none.pdf"), "--kind", "report"],
        ["NBI-0001", str(letter), "--kind", "diploma"],
    ):
        result = run_cli("nairobi", "attach", *args)
        assert result.returncode == 2, (args, result.stderr)
    assert len(rows()) == 1


def test_check_files_lists_orphans_and_missing_and_repair_removes_orphans(school, run_cli):
    kept = attach("NBI-0001", "r.pdf", pdf())
    lost = attach("NBI-0002", "r.pdf", pdf(pages=2))
    with tenant_context("nairobi"):
        storage = storage_for("nairobi")
        storage.save("0123456789abcdef0123456789abcdef", [b"bytes no row names"])  # a crash after the bytes
        storage.delete(lost.key)
    result = run_cli("nairobi", "check-files")
    assert result.returncode == 1
    assert "orphan: 0123456789abcdef0123456789abcdef" in result.stdout
    assert f"missing: {lost.key} of NBI-0002" in result.stdout
    result = run_cli("nairobi", "check-files", "--repair")
    assert "(removed)" in result.stdout
    with tenant_context("nairobi"):
        assert sorted(storage_for("nairobi").keys()) == [kept.key]


# --- kill -9 in the middle of an upload ---------------------------------------------------------


CRASHING_UPLOAD = textwrap.dedent("""
    import io, sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import django; django.setup()
    from School.context import tenant_context
    from School.documents import storage as storage_module
    from School.documents.service import store_file
    from School.models import Student

    real_save = storage_module.DirectoryStorage.save
    def stalled(self, key, chunks):
        def stall():
            for n, chunk in enumerate(chunks):
                yield chunk
                if n == 1:
                    Path({marker!r}).write_text("half written")
                    time.sleep(600)
        return real_save(self, key, stall())
    storage_module.DirectoryStorage.save = stalled
    data = Path({source!r}).read_bytes()
    with tenant_context("nairobi"):
        store_file(Student.objects.get(registration_no="NBI-0001"), "report", io.BytesIO(data), "big.pdf", size=len(data))
""")


@pytest.mark.sqlite
def test_kill_9_mid_upload_leaves_nothing_shown_and_check_files_cleans_up(school, run_cli, tmp_path):
    source, marker = tmp_path / "big.pdf", tmp_path / "marker"
    data = pdf(pages=150)
    assert len(data) > 3 * 64 * 1024
    source.write_bytes(data)
    script = CRASHING_UPLOAD.format(root=str(ROOT), marker=str(marker), source=str(source))
    process = subprocess.Popen([sys.executable, "-c", script], env=school.env(), cwd=ROOT)
    try:
        while not marker.exists():  # the upload is observed half written
            assert process.poll() is None, "the upload ended before it was half written"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    partial_dir = school.db_dir / "nairobi.files" / ".partial"
    assert [path.stat().st_size > 0 for path in partial_dir.iterdir()] == [True]
    assert rows() == set() and sorted(storage_for("nairobi").keys()) == []
    result = run_cli("nairobi", "check-files", "--older-than", "0")
    assert "1 unfinished writes" in result.stdout and result.returncode == 1
    run_cli("nairobi", "check-files", "--older-than", "0", "--repair")
    assert list(partial_dir.iterdir()) == []


# --- backups, restore, clone, move ----------------------------------------------------------------


@pytest.fixture
def school_with_files(school):
    attach("NBI-0001", "p.jpg", jpeg(gps=True), kind="photo")
    attach("NBI-0002", "r.pdf", pdf(pages=2))
    attach("NBI/2021/012", "letter.pdf", pdf(pages=3), kind="transfer_letter")
    return school


def test_backup_carries_every_file_with_a_checksum_and_restores_it(school_with_files, run_cli, tmp_path):
    backup = tmp_path / "nairobi.jsonl.gz"
    assert run_cli("nairobi", "backup", "--output", str(backup)).returncode == 0
    with gzip.open(backup, "rt") as lines:
        records = [json.loads(line) for line in lines if line.startswith('{"')]
    assert records[0]["version"] == 2
    ends = [record for record in records if "end_file" in record]
    assert len(ends) == 4 and all(len(record["sha256"]) == 64 for record in ends)  # 3 files and a thumbnail
    assert records[-1]["trailer"]["files"] == 4
    result = run_cli("schools", "restore", str(backup), "--as", "nairobi_copy", "--host", "copy.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    assert rows("nairobi_copy") == rows() and contents("nairobi_copy") == contents()
    assert StorageUsage.objects.get(school="nairobi_copy").files == 3
    check = run_cli("nairobi_copy", "check-files")
    assert "3 files checked, 0 orphans, 0 unfinished writes, 0 missing" in check.stdout


def test_a_damaged_file_in_a_backup_is_refused_before_anything_is_written(school_with_files, run_cli, tmp_path):
    backup = tmp_path / "nairobi.jsonl.gz"
    run_cli("nairobi", "backup", "--output", str(backup))
    with gzip.open(backup, "rt") as lines:
        text = lines.read()
    first_chunk = next(line for line in text.splitlines() if line.startswith('"'))
    damaged = first_chunk[:20] + ("A" if first_chunk[20] != "A" else "B") + first_chunk[21:]
    with gzip.open(backup, "wt") as out:
        out.write(text.replace(first_chunk, damaged, 1))
    result = run_cli("schools", "restore", str(backup), "--as", "broken", "--host", "broken.localhost")
    assert result.returncode == 2 and "wrong checksum or size for file" in result.stderr
    assert not list(school_with_files.db_dir.glob("broken*"))


def test_a_version_1_backup_still_restores(school, run_cli):
    # Written by the code before students' files existed (format version 1).
    result = run_cli("schools", "restore", str(FIXTURES / "backup-v1-nairobi.jsonl.gz"), "--as", "old", "--host", "old.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    with tenant_context(school_by_name("old")):
        assert Student.objects.count() == 320 and StudentFile.objects.count() == 0
    assert run_cli("old", "attach", "NBI/2021/012", str(FIXTURES / "backup-v1-nairobi.jsonl.gz"), "--kind", "other").returncode == 2


@pytest.mark.sqlite
def test_clone_and_move_carry_the_files(school_with_files, run_cli, tmp_path):
    assert run_cli("schools", "clone", "nairobi", "training", "--host", "training.localhost").returncode == 0
    outlive_registry_ttl()
    assert contents("training") == contents() and rows("training") == rows()
    before = contents()
    old_files = school_with_files.db_dir / "nairobi.files"
    result = run_cli("schools", "move", "nairobi", "--to", f"sqlite:{tmp_path / 'fast'}", "--drop-source")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    assert contents() == before and not old_files.exists()
    assert list((tmp_path / "fast").glob("nairobi-*.files"))


def test_backup_memory_stays_flat_with_many_photos(school):
    with tenant_context("nairobi"):
        students = [Student(registration_no=f"MANY-{n:04d}", first_name="A", second_name="B") for n in range(150)]
        Student.objects.bulk_create(students)
        storage = storage_for("nairobi")
        noise = os.urandom(40_000)
        for number, student in enumerate(Student.objects.filter(registration_no__startswith="MANY-")):
            # Stored directly (the upload path re-encodes): incompressible bytes make memory show.
            key = f"{number:032x}"
            size, sha256 = storage.save(key, [noise[number:] + noise[:number]])
            StudentFile.objects.create(
                student=student, kind="report", display_name="x.pdf", content_type="application/pdf",
                size=size, sha256=sha256, key=key,
            )
    total = 150 * 40_000
    tracemalloc.start()
    try:
        with tenant_context("nairobi"):
            write_backup(school_by_name("nairobi"), school.data_dir / "many.jsonl.gz")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < total / 5, f"peak {peak} bytes for {total} bytes of files"
    backup = BackupFile(school.data_dir / "many.jsonl.gz")
    backup.verify()
    assert len(backup.files_summary) == 150


# --- carrying a student's files to another school (transfers) ----------------------------------------


def test_a_students_files_can_be_carried_to_another_school(school_with_files):
    with tenant_context("nairobi"):
        source = Student.objects.get(registration_no="NBI-0001")
        carried = list(read_student_files(source))
        with tenant_context("accra"):
            target = Student.objects.get(registration_no="ACC-0001")
            written = write_student_files(target, carried)
            again = write_student_files(target, carried)  # a repeated transfer adds nothing
    assert len(written) == 1 and again == []
    [(number, kind, sha)] = rows("accra")
    assert number == "ACC-0001" and kind == "photo"
    assert sha in contents("accra") and contents("accra").keys() <= contents().keys()
    with tenant_context("accra"):
        photo = StudentFile.objects.get()
        assert photo.thumbnail_key and photo.uploaded_at == carried[0].uploaded_at
    assert StorageUsage.objects.get(school="accra").files == 1


@pytest.mark.mongodb
def test_gridfs_keeps_files_in_the_schools_database_and_a_broken_write_shows_nothing(school):
    row = attach("NBI-0001", "r.pdf", pdf())
    with tenant_context("nairobi"):
        storage = storage_for("nairobi")
        assert storage.database.name.endswith("nairobi")
        assert b"".join(read_chunks(storage.open(row.key))) == pdf()

        def broken():
            yield b"x" * (300 * 1024)  # more than one GridFS chunk
            raise RuntimeError("the uploader went away")

        with pytest.raises(RuntimeError):
            storage.save("feedfacefeedfacefeedfacefeedface", broken())
        assert sorted(storage.keys()) == [row.key]



def test_a_title_follows_the_rule_for_text(school):
    from School.documents.inspection import FileRefused

    assert attach("NBI/2021/012", "r.pdf", pdf(), title=" Term\u00a0 3\treport ").title == "Term 3 report"
    with pytest.raises(FileRefused, match="control character U\\+001B"):
        attach("NBI/2021/012", "r.pdf", pdf(), title="Term\x1b3")
