"""Hostile, bomb and forgotten files on the import page and import_students (issue 19).

Every file is built here, small: the limits are set low for the test rather
than writing hundreds of megabytes.
"""

import io
import os
import re
import time
import zipfile

import pytest

from School.context import tenant_context
from School.models import Student
from School.records.files import StudentImport
from School.records.formats import write_xlsx
from tests.test_import_pages import registrar  # noqa: F401 (the fixture: Nairobi's signed-in staff client)
from tests.student_rows import ROW_COLUMNS

SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE worksheet [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>registration_no</t></is></c><c r="B1" t="inlineStr"><is><t>first_name</t></is></c>\
<c r="C1" t="inlineStr"><is><t>second_name</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>
</sheetData></worksheet>"""


def workbook(rows):
    target = io.BytesIO()
    write_xlsx(target, ROW_COLUMNS, rows)
    return target.getvalue()


def students(count):
    return [[f"H/{n}", "Akinyi", "Otieno", "", "Form 1", "", "", "", ""] for n in range(count)]


def rewritten(data, replace=None, drop=()):
    """The workbook `data` with parts replaced ({name: bytes}) or dropped."""
    replace = replace or {}
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename not in drop:
                out.writestr(item.filename, replace.get(item.filename, source.read(item.filename)))
    return target.getvalue()


def billion_laughs():
    return rewritten(workbook(students(1)), replace={SHEET: LAUGHS})


def without_its_sheet():
    return rewritten(workbook(students(1)), drop=(SHEET,))


def upload(client, data, name="students.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/students/import/", {"file": file})


def uploads_left(platform):
    folder = platform.data_dir / "uploads"
    return sorted(path.name for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def nairobi_count():
    with tenant_context("nairobi"):
        return Student.objects.count()


def error_text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


HOSTILE = {
    "billion laughs": (billion_laughs, "the Excel workbook cannot be read"),
    "no sheet part": (without_its_sheet, "the Excel workbook cannot be read"),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_workbook_gets_a_400_with_one_message_and_leaves_nothing(registrar, platform, kind):
    build, message = HOSTILE[kind]
    response = upload(registrar, build())
    assert response.status_code == 400
    assert message in error_text(response)
    assert uploads_left(platform) == []
    assert nairobi_count() == 5


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_workbook_is_one_line_and_exit_2_on_the_command_line(three_schools, run_cli, tmp_path, kind):
    build, message = HOSTILE[kind]
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(build())
    result = run_cli("nairobi", "import_students", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert nairobi_count() == 5


def test_billion_laughs_without_defusedxml_is_still_one_line_and_exit_2(three_schools, run_cli, tmp_path):
    """openpyxl uses defusedxml when it is installed; without it expat stops the entities with ParseError."""
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(billion_laughs())
    result = run_cli("nairobi", "import_students", str(path), env={"OPENPYXL_DEFUSEDXML": "False"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the Excel workbook cannot be read (ParseError)" in result.stderr


# --- bombs: limits set low here, named in the refusal ------------------------------------


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_read(registrar, platform, settings):
    settings.IMPORT_MAX_UNPACKED_MB = 1
    data = workbook(students(3000))  # ~1.6 MB unpacked, ~100 KB packed
    assert len(data) < 1024 * 1024
    response = upload(registrar, data)
    assert response.status_code == 400
    assert re.search(r"the Excel workbook unpacks to \d+ MB, more than the 1 MB limit of an import", error_text(response))
    assert uploads_left(platform) == [] and nairobi_count() == 5


def test_a_zip_whose_parts_claim_less_than_they_unpack_to_is_not_read_past_the_claim(registrar, platform):
    """The size check trusts the sizes the archive declares: zipfile never unpacks more than that."""
    data = bytearray(workbook(students(200)))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    assert archive.getinfo(SHEET).file_size > 100
    entry = data.find(SHEET.encode(), archive.start_dir) - 46  # the sheet's central directory record
    assert data[entry:entry + 4] == b"PK\x01\x02"
    data[entry + 24:entry + 28] = (100).to_bytes(4, "little")  # its uncompressed size
    response = upload(registrar, bytes(data))
    assert response.status_code == 400 and "the Excel workbook cannot be read" in error_text(response)
    assert uploads_left(platform) == [] and nairobi_count() == 5


def test_a_web_import_refuses_more_rows_than_its_limit(registrar, platform, settings):
    settings.IMPORT_MAX_ROWS = 40
    response = upload(registrar, workbook(students(41)))
    assert response.status_code == 400
    assert "the file has more than 40 rows, the limit of one import" in error_text(response)
    assert uploads_left(platform) == [] and nairobi_count() == 5
    csv = (",".join(ROW_COLUMNS) + "\n" + "".join(",".join(row) + "\n" for row in students(41))).encode()
    assert "more than 40 rows" in error_text(upload(registrar, csv, name="students.csv"))
    # As many rows as the limit are fine.
    assert upload(registrar, workbook(students(40))).status_code == 200


def test_a_sheet_without_dimension_is_not_parsed_whole_before_its_rows_are_counted(registrar, platform, settings):
    """openpyxl's own size scan would read this sheet to its (broken) end before the first row;
    the rows are counted from the start, so the row limit speaks first."""
    settings.IMPORT_MAX_ROWS = 40
    data = workbook(students(60))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    assert b"<dimension" not in sheet
    broken = sheet.replace(b"</sheetData>", b"<row><c><v>unterminated")
    response = upload(registrar, rewritten(data, replace={SHEET: broken}))
    assert response.status_code == 400
    assert "the file has more than 40 rows" in error_text(response)
    assert uploads_left(platform) == []


def test_the_command_line_takes_more_rows_than_the_web_and_names_its_own_limit(three_schools, run_cli, tmp_path):
    path = tmp_path / "students.xlsx"
    path.write_bytes(workbook(students(30)))
    refused = run_cli("nairobi", "import_students", str(path), "--max-rows", "20")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"CommandError: {path}: the file has more than 20 rows, the limit of one import; nothing was written"
    ]
    assert nairobi_count() == 5
    done = run_cli("nairobi", "import_students", str(path), env={"IMPORT_MAX_ROWS": "10"})
    assert done.returncode == 0, done.stderr
    assert nairobi_count() == 35


def test_the_command_line_refuses_a_bomb_by_its_unpacked_size(three_schools, run_cli, tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(workbook(students(3000)))
    result = run_cli("nairobi", "import_students", str(path), env={"IMPORT_MAX_UNPACKED_MB": "1"})
    assert result.returncode == 2 and "more than the 1 MB limit of an import" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- forgotten uploads ---------------------------------------------------------------


def csv_of(count):
    return (",".join(ROW_COLUMNS) + "\n" + "".join(",".join(row) + "\n" for row in students(count))).encode()


def pending_upload(client, platform):
    """Preview a good file; (token, path of the upload kept for its confirmation)."""
    body = upload(client, csv_of(2), name="students.csv").content.decode()
    token = body.split('name="token" value="')[1].split('"')[0]
    return token, platform.data_dir / "uploads" / "nairobi" / f"{token}.upload"


def age(path, minutes):
    """Make the file look `minutes` old (its mtime is what expiry reads)."""
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def test_an_upload_never_confirmed_expires_on_the_schools_next_import_page(registrar, platform, settings):
    settings.IMPORT_UPLOAD_EXPIRY_MINUTES = 30
    _, old = pending_upload(registrar, platform)
    token, fresh = pending_upload(registrar, platform)
    age(old, 31)
    age(fresh, 29)
    accra = platform.data_dir / "uploads" / "accra" / f"{'a' * 32}.upload"
    accra.parent.mkdir(parents=True)
    accra.write_text("another school's")
    age(accra, 31)
    assert registrar.get("/students/import/").status_code == 200
    assert not old.exists() and fresh.exists() and accra.exists()
    # The fresh one can still be confirmed, once.
    done = registrar.post("/students/import/", {"token": token, "update": "0"}, follow=True)
    assert "Imported 2 students" in done.content.decode()
    assert not fresh.exists()


def test_an_expired_upload_cannot_be_confirmed(registrar, platform, settings):
    token, path = pending_upload(registrar, platform)
    age(path, settings.IMPORT_UPLOAD_EXPIRY_MINUTES + 1)
    response = registrar.post("/students/import/", {"token": token, "update": "0"}, follow=True)
    assert "That upload has expired" in response.content.decode()
    assert nairobi_count() == 5 and not path.exists()


def test_prune_uploads_sweeps_one_school_or_every_folder(registrar, platform, run_cli, settings):
    _, nairobi = pending_upload(registrar, platform)
    gone = platform.data_dir / "uploads" / "removed_school" / f"{'b' * 32}.upload"
    gone.parent.mkdir(parents=True)
    gone.write_text("a removed school's")
    for path in (nairobi, gone):
        age(path, settings.IMPORT_UPLOAD_EXPIRY_MINUTES + 1)
    result = run_cli("nairobi", "prune_uploads")
    assert result.returncode == 0 and "nairobi: deleted 1 upload(s)" in result.stdout
    assert not nairobi.exists() and gone.exists()
    result = run_cli("prune_uploads", script="manage.py")
    assert result.returncode == 0 and "every school: deleted 1 upload(s)" in result.stdout
    assert not gone.exists()


def test_removing_a_school_with_its_data_removes_its_uploads(registrar, platform, run_cli):
    _, path = pending_upload(registrar, platform)
    result = run_cli("schools", "remove", "nairobi", "--drop-data", "--yes")
    assert result.returncode == 0, result.stderr
    assert not path.parent.exists()


def test_no_upload_is_left_behind_an_unexpected_error(registrar, platform, monkeypatch):
    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(StudentImport, "check", broken)
    registrar.raise_request_exception = False
    assert upload(registrar, csv_of(2), name="students.csv").status_code == 500
    assert uploads_left(platform) == []
