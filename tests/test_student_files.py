"""The files registrars have: Excel workbooks, Windows and UTF-16 text, tabs; formulas kept inert.

Every file is made in the test the way the program that writes it would:
openpyxl for workbooks, str.encode('cp1252' / 'utf-16') for Excel's text
formats.
"""

import csv
import io

import openpyxl
import pytest

from School.context import tenant_context
from School.models import Student
from School.records.files import COLUMNS, CsvFileError, StudentImport, export_lines, export_xlsx
from School.records.table import StudentTableQuery
from tests.test_import_pages import registrar  # noqa: F401 - a fixture
from tests.student_rows import ROW_COLUMNS
from tests.student_rows import give_guardian, set_time_zone
from School.identity.guardians import guardians_of

ROWS = [
    ["K/1", "José", "Müller", "2011-03-04", "Form 1", "2024-01-08", "active", "Señora Müller", "+254 712 000001"],
    ["K/2", "Zoë", "Ødegård", "", "Form 2", "2023-01-09", "graduated", "", ""],
]
# What a spreadsheet would run, and a name that really starts with a quote.
HOSTILE = {
    "first_name": '=HYPERLINK("http://evil","x")',
    "second_name": "+cmd|calc",
    "grade": "-2+3",
}
HOSTILE_GUARDIAN = "@SUM(A1)"
QUOTED = {"first_name": "'Ngozi", "second_name": "'=not a formula"}


def import_file(school, path, **options):
    with tenant_context(school):
        return StudentImport(path, **options).apply()


def students(school, *numbers):
    with tenant_context(school):
        return {s.registration_no: s for s in Student.objects.filter(registration_no__in=numbers)}


def text_file(path, encoding, delimiter, bom=""):
    lines = [delimiter.join(ROW_COLUMNS)] + [delimiter.join(row) for row in ROWS]
    path.write_bytes((bom + "\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize(
    "encoding, bom, delimiter, name, detected",
    [
        ("cp1252", "", ",", "excel.csv", "Windows-1252 comma-separated"),
        ("cp1252", "", ";", "excel-europe.csv", "Windows-1252 semicolon-separated"),
        ("utf-16", "", "\t", "unicode-text.txt", "UTF-16 tab-separated"),  # Python writes the BOM
        ("utf-8", "", "\t", "students.tsv", "UTF-8 tab-separated"),
        ("utf-8", "\ufeff", ",", "students.csv", "UTF-8 comma-separated"),
        ("utf-8", "", ";", "students.xlsx", "UTF-8 semicolon-separated"),  # the name does not decide
    ],
)
def test_text_files_in_every_encoding_and_separator_import(three_schools, tmp_path, encoding, bom, delimiter, name,
                                                          detected):
    report = import_file("nairobi", text_file(tmp_path / name, encoding, delimiter, bom))
    assert report.ok and report.new == 2, report.errors
    assert report.file_format == detected
    imported = students("nairobi", "K/1", "K/2")
    assert (imported["K/1"].first_name, imported["K/1"].second_name) == ("José", "Müller")
    assert imported["K/2"].second_name == "Ødegård" and str(imported["K/1"].date_of_birth) == "2011-03-04"


def workbook_file(path, rows, header=ROW_COLUMNS):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Notes").append(["only the first sheet is read"])
    workbook.save(path)
    return path


def test_an_excel_workbook_imports_with_real_dates_and_numbers(three_schools, tmp_path):
    import datetime

    rows = [["K/9", "Amani", "Kamau", datetime.datetime(2011, 3, 4), "Form 1", datetime.date(2024, 1, 8), "Active",
             "Mama Amani", 254712000001]]
    set_time_zone("nairobi", "Africa/Nairobi")  # a number without + is read as Kenyan
    report = import_file("nairobi", workbook_file(tmp_path / "list.csv", rows))  # a workbook named .csv
    assert report.ok and report.new == 1 and report.file_format == "Excel workbook"
    amani = students("nairobi", "K/9")["K/9"]
    with tenant_context("nairobi"):
        ((_link, mama),) = guardians_of("nairobi", [amani.pk])[amani.pk]
    assert (str(amani.date_of_birth), str(amani.enrolment_date), mama.phone) == ("2011-03-04", "2024-01-08", "+254712000001")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02\x03binary\xff\xfe\x00", "neither text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "Excel 97-2003"),
        ("zip", "zip archive, not an Excel workbook"),
        (b"PK\x03\x04 truncated", "zip archive, not an Excel workbook"),
        (b"\xff\xfe" + "registration_no\tfirst_name".encode("utf-16-le") + b"\x00", "not UTF-16 text"),
    ],
)
def test_files_of_no_known_format_get_one_error_and_write_nothing(three_schools, tmp_path, content, message):
    path = tmp_path / "upload.xlsx"
    if content == "zip":
        import zipfile

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "not a workbook")
    else:
        path.write_bytes(content)
    with pytest.raises(CsvFileError, match=message):
        import_file("nairobi", path)
    with tenant_context("nairobi"):
        assert Student.objects.count() == 5


def make_hostile(school):
    with tenant_context(school):
        Student.objects.filter(registration_no="NBI-0001").update(**HOSTILE)
        Student.objects.filter(registration_no="NBI-0002").update(**QUOTED)
    give_guardian(school, "NBI-0001", HOSTILE_GUARDIAN, "+254 712 000001")


def test_csv_export_neutralises_formulas_and_imports_back_exactly(three_schools, tmp_path):
    make_hostile("nairobi")
    with tenant_context("nairobi"):
        exported = "".join(export_lines(StudentTableQuery().queryset()))
    cells = {row["registration_no"]: row for row in csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))}
    assert cells["NBI-0001"]["first_name"] == "'" + HOSTILE["first_name"]
    assert cells["NBI-0001"]["second_name"] == "'+cmd|calc"
    assert cells["NBI-0001"]["guardian1_name"] == "'@SUM(A1)" and cells["NBI-0001"]["grade"] == "'-2+3"
    assert cells["NBI-0002"]["first_name"] == "''Ngozi"  # a real leading quote is kept by quoting it too
    assert all(not value.startswith(("=", "+", "-", "@")) for row in cells.values() for value in row.values())
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8")
    assert import_file("accra", path).new == 5
    assert_same_names(students("accra", "NBI-0001", "NBI-0002"))


def assert_same_names(imported):
    for field, value in HOSTILE.items():
        assert getattr(imported["NBI-0001"], field) == value
    for field, value in QUOTED.items():
        assert getattr(imported["NBI-0002"], field) == value


def test_xlsx_export_has_only_text_cells_and_imports_back_exactly(three_schools, tmp_path):
    make_hostile("nairobi")
    path = tmp_path / "export.xlsx"
    with tenant_context("nairobi"):
        export_xlsx(StudentTableQuery().queryset(), path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and all(cell.data_type == "s" for cell in cells)  # never a formula
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert "'" + HOSTILE["first_name"] in [cell.value for cell in cells]
    report = import_file("accra", path)
    assert report.new == 5 and report.file_format == "Excel workbook"
    assert_same_names(students("accra", "NBI-0001", "NBI-0002"))
    # Both formats carry the same data.
    with tenant_context("accra"):
        again = tmp_path / "again.xlsx"
        export_xlsx(StudentTableQuery(search="NBI").queryset(), again)
    assert [[c.value for c in row] for row in openpyxl.load_workbook(again).worksheets[0].iter_rows()] == [
        [c.value for c in row] for row in sheet.iter_rows()
    ]


def test_a_hand_made_leading_quote_is_kept(three_schools, tmp_path):
    # Only the quote that our export adds (before = + - @ tab CR or a quote) is removed.
    path = tmp_path / "names.csv"
    path.write_text("registration_no,first_name,second_name\nK/5,'Neill,O'Brien\n", encoding="utf-8")
    import_file("nairobi", path)
    assert students("nairobi", "K/5")["K/5"].first_name == "'Neill"


def upload_and_confirm(client, content, name):
    file = io.BytesIO(content)
    file.name = name
    preview = client.post("/students/import/", {"file": file})
    body = preview.content.decode()
    token = body.split('name="token" value="')[1].split('"')[0]
    client.post("/students/import/", {"token": token, "update": "0"})
    return body


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_web_export_and_import_round_trip_with_formulas(registrar, three_schools, extension):
    make_hostile("nairobi")
    response = registrar.get(f"/students/export.{extension}")
    assert response.status_code == 200
    assert f'nairobi-students.{extension}"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    with tenant_context("nairobi"):
        Student.objects.all().delete()
    body = upload_and_confirm(registrar, content, f"students.{extension}")
    assert ("Excel workbook" if extension == "xlsx" else "UTF-8 comma-separated") in body
    assert "Ready to import 5 rows: 5 new, 0 updated." in body
    assert_same_names(students("nairobi", "NBI-0001", "NBI-0002"))


def test_web_preview_names_a_utf16_file_and_refuses_garbage(registrar):
    content = "\t".join(ROW_COLUMNS).encode("utf-16") + "\r\n".join([""] + ["\t".join(r) for r in ROWS]).encode("utf-16-le")
    body = upload_and_confirm(registrar, content, "students.txt")
    assert "Read as: UTF-16 tab-separated." in body
    assert set(students("nairobi", "K/1", "K/2")) == {"K/1", "K/2"}
    file = io.BytesIO(b"\x00\x01garbage")
    file.name = "students.csv"
    refused = registrar.post("/students/import/", {"file": file})
    assert refused.status_code == 400 and "neither text" in refused.content.decode()


def test_cli_exports_xlsx_and_names_what_it_imported(three_schools, run_cli, tmp_path):
    make_hostile("nairobi")
    path = tmp_path / "out.xlsx"
    assert run_cli("nairobi", "export_students", "--format", "xlsx", "--output", str(path)).returncode == 0
    imported = run_cli("accra", "import_students", str(path))
    assert imported.returncode == 0, imported.stderr
    assert "read as Excel workbook" in imported.stdout and "5 new" in imported.stdout
    assert_same_names(students("accra", "NBI-0001", "NBI-0002"))
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\xff\x00binary")
    refused = run_cli("accra", "import_students", str(garbage))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "nothing was written" in refused.stderr
