"""CSV import and export: checks with line numbers, all or nothing, round trips."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from School.context import tenant_context
from School.models import Student
from School.records.files import CsvFileError, StudentImport, export_lines
from School.records.table import StudentTableQuery
from tests.student_rows import ROW_COLUMNS
from tests.student_rows import give_guardian

HEADER = ",".join(ROW_COLUMNS)


def write(tmp_path, text, name="students.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def registration_numbers(school):
    with tenant_context(school):
        return sorted(Student.objects.values_list("registration_no", flat=True))


def import_into(school, path, update=False, check_only=False):
    with tenant_context(school):
        job = StudentImport(path, update=update)
        return job.check() if check_only else job.apply()


def test_a_good_file_imports_every_row(three_schools, tmp_path):
    path = write(tmp_path, f"{HEADER}\nK/1,Akinyi,Otieno,2011-03-04,Form 1,2024-01-08,active,Jane Otieno,+254 712 000001\n"
                           "K/2,Baraka,Kiprop,,Form 2,2023-01-09,Graduated,,\n")
    report = import_into("nairobi", path)
    assert report.ok and report.written and (report.new, report.updated) == (2, 0)
    with tenant_context("nairobi"):
        baraka = Student.objects.get(registration_no="K/2")
    assert (baraka.grade, baraka.status, str(baraka.enrolment_date)) == ("Form 2", "graduated", "2023-01-09")
    assert "K/1" not in registration_numbers("accra")


@pytest.mark.parametrize(
    "row, message",
    [
        ("K/1,Ama,Owusu,2011-02-30,,,,,", "bad date '2011-02-30': there is no such day"),
        ("K/1,Ama,Owusu,04/03/2011,,,,,", "bad date '04/03/2011'"),
        ("K/1,Ama,Owusu,2099-01-01,,,,,", "is in the future"),
        ("K/1,,Owusu,,,,,,", "first_name: This field cannot be blank"),
        (",Ama,Owusu,,,,,,", "registration_no: This field cannot be blank"),
        ("K/1,Ama,Owusu,,,,expelled,,", "unknown status 'expelled'"),
        ("K/1,Ama,Owusu,,,,,Ama Owusu,not a phone", "guardian1_phone: 'not a phone' is not a phone number"),
        ("NBI-0001,Ama,Owusu,,,,,,", "already exists"),
        ("K/1,Ama,Owusu", "has 3 fields, the header has 9"),
    ],
)
def test_one_bad_row_writes_nothing_and_says_why_on_which_line(three_schools, tmp_path, row, message):
    before = registration_numbers("nairobi")
    path = write(tmp_path, f"{HEADER}\nK/0,Good,Row,,,,,,\n{row}\nK/9,Good,Row,,,,,,\n")
    report = import_into("nairobi", path)
    assert not report.ok and not report.written
    assert [error.line for error in report.errors] == [3]
    assert message in str(report.errors[0]), str(report.errors[0])
    assert registration_numbers("nairobi") == before


def test_duplicates_within_the_file_are_reported_with_both_lines(three_schools, tmp_path):
    path = write(tmp_path, f"{HEADER}\nK/1,A,B,2011-02-30,,,,,\nK/2,C,D,,,,,,\nK/1,E,F,,,,,,\n")
    report = import_into("nairobi", path, check_only=True)
    assert [str(error) for error in report.errors] == [
        "line 2 (K/1): date_of_birth: bad date '2011-02-30': there is no such day",
        "line 4 (K/1): registration number repeated (first on line 2)",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("name,surname\nA,B\n", "unknown column 'name'"),
        ("registration_no,first_name\nK/1,A\n", "missing column 'second_name'"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(three_schools, tmp_path, text, message):
    with pytest.raises(CsvFileError, match=message):
        import_into("nairobi", write(tmp_path, text))


def test_files_that_are_not_text_are_refused(three_schools, tmp_path):
    # Text in UTF-8, UTF-16 or Windows-1252 is read (tests/test_student_files.py);
    # bytes that are none of them are refused as a whole.
    path = tmp_path / "students.csv"
    path.write_bytes(HEADER.encode() + b"\nK/1,\x00\x01\x02,M\n")
    with pytest.raises(CsvFileError, match="neither text"):
        import_into("nairobi", path)
    assert "K/1" not in registration_numbers("nairobi")


def test_bom_and_semicolons_as_spreadsheets_write_them(three_schools, tmp_path):
    text = "\ufeff" + HEADER.replace(",", ";") + "\nK/1;Zoë;Müller;;Form 1;;;;\n"
    report = import_into("nairobi", write(tmp_path, text))
    assert report.ok and report.new == 1
    with tenant_context("nairobi"):
        assert Student.objects.get(registration_no="K/1").first_name == "Zoë"


def test_update_changes_existing_students_and_only_the_columns_in_the_file(three_schools, tmp_path):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0001").update(grade="Form 1", enrolment_date="2020-01-06")
    path = write(tmp_path, "registration_no,first_name,second_name,status\nNBI-0001,Renamed,Student,graduated\nK/7,New,One,\n")
    refused = import_into("nairobi", path)
    assert not refused.ok and "already exists" in str(refused.errors[0])
    report = import_into("nairobi", path, update=True)
    assert report.ok and (report.new, report.updated) == (1, 1)
    with tenant_context("nairobi"):
        changed = Student.objects.get(registration_no="NBI-0001")
        assert Student.objects.count() == 6  # updated, not duplicated
    assert (changed.first_name, changed.status, changed.grade, str(changed.enrolment_date)) == (
        "Renamed", "graduated", "Form 1", "2020-01-06"
    )


def test_export_then_import_round_trips_unchanged(three_schools, tmp_path):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0002").update(
            date_of_birth="2010-05-17", grade="Form 3", status="graduated",
            first_name="Ñandú",
        )
    give_guardian("nairobi", "NBI-0002", 'Mary "Mama" Kamau, Jr', "+254 712 345678")
    with tenant_context("nairobi"):
        exported = "".join(export_lines(StudentTableQuery().queryset()))
    path = write(tmp_path, exported)
    report = import_into("accra", path)
    assert report.ok and report.new == 5
    with tenant_context("accra"):
        again = "".join(export_lines(StudentTableQuery(search="NBI").queryset()))
    assert again == exported
    # And re-importing the same file with update changes nothing.
    assert import_into("nairobi", path, update=True).updated == 5
    with tenant_context("nairobi"):
        assert "".join(export_lines(StudentTableQuery().queryset())) == exported


def test_export_follows_the_table_filters(three_schools):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0003").update(status="withdrawn")
        lines = list(export_lines(StudentTableQuery(status="withdrawn").queryset()))
    assert len(lines) == 2 and lines[1].startswith("NBI-0003,")


@pytest.mark.parametrize(
    "values",
    [
        {"registration_no": "", "first_name": "", "second_name": "x" * 101},
        {"registration_no": "bad number!", "first_name": "A", "second_name": "B"},
        {"registration_no": "K/1", "first_name": "A", "second_name": "B", "status": "expelled", "grade": "G" * 41},
        {"registration_no": "K/1", "first_name": "A", "second_name": "B", "date_of_birth": datetime.date(2099, 1, 1)},
        {"registration_no": "K/1", "first_name": " \u00a0 ", "second_name": "B\x08", "grade": "\x85",
         "enrolment_date": datetime.date(1899, 12, 31)},
        {"registration_no": "K/1", "first_name": "A", "second_name": "B"},
    ],
)
def test_the_import_checks_exactly_what_full_clean_checks(values):
    # The import's cheaper check must find the same problems, with the same messages, as the admin's.
    from School.records.files import _field_problems

    student = Student(**values)
    try:
        student.clean_fields()
        expected = {}
    except ValidationError as error:
        expected = error.message_dict
    assert _field_problems(Student(**values), exclude={}) == expected


def test_an_import_cannot_claim_a_transfer_that_never_happened(three_schools, tmp_path):
    path = write(tmp_path, "registration_no,first_name,second_name,status\nNBI-0001,Amani,Njoroge,transferred\nK/8,New,One,transferred\n")
    report = import_into("nairobi", path, update=True)
    assert not report.ok and [error.line for error in report.errors] == [2, 3]
    assert "set by a transfer to another school only" in str(report.errors[0])
    with tenant_context("nairobi"):
        assert not Student.objects.filter(status="transferred").exists()
