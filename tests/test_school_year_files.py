"""Student lists meet the school year (issue 32): an import's `class` column places students in the current
year's class, an unknown class is that row's error; `export_students --year` lists a year's enrolments."""

import csv
import io

import openpyxl

from School.context import tenant_context
from School.models import Student
from School.school_year.models import Grade, SchoolClass, SchoolYear
from tests.test_school_year import NEXT, THIS_YEAR, ready, secondary  # noqa: F401 (fixtures)


def with_classes():
    with tenant_context("nairobi"):
        year = SchoolYear.objects.get(is_current=True)
        form_1 = Grade.objects.get(name="Form 1")
        for name in ("Form 1 East", "Form 1 West"):
            SchoolClass.objects.create(year=year, grade=form_1, name=name)


def import_file(run_cli, tmp_path, text):
    path = tmp_path / "students.csv"
    path.write_text(text)
    return run_cli("nairobi", "import_students", str(path))


def test_the_class_column_places_new_students_in_the_current_years_class(ready, run_cli, tmp_path):
    with_classes()
    result = import_file(run_cli, tmp_path, "registration_no,first_name,second_name,grade,class\n"
                                            "NEW-1,Ama,Owusu,,Form 1 East\nNEW-2,Kofi,Mensah,Form 1,Form 1 West\nNEW-3,Esi,Boateng,Form 2,\n")
    assert result.returncode == 0, result.stdout + result.stderr
    with tenant_context("nairobi"):
        assert dict(Student.objects.filter(registration_no__startswith="NEW").values_list("registration_no", "grade")) == {
            "NEW-1": "Form 1 East", "NEW-2": "Form 1 West", "NEW-3": "Form 2"}
    # Promotion reads the class from the row: the class's grade moves up.
    promoted = run_cli("nairobi", "promote", "--to", NEXT)
    assert promoted.returncode == 0, promoted.stderr
    with tenant_context("nairobi"):
        assert Student.objects.get(registration_no="NEW-1").grade == "Form 2"


def test_an_unknown_class_is_a_row_error_with_its_line_and_nothing_is_written(ready, run_cli, tmp_path):
    with_classes()
    result = import_file(run_cli, tmp_path, "registration_no,first_name,second_name,grade,class\n"
                                            "NEW-1,Ama,Owusu,,Form 1 East\nNEW-2,Kofi,Mensah,,Form 9 North\n"
                                            "NEW-3,Esi,Boateng,Form 2,Form 1 West\n")
    assert result.returncode != 0
    assert "line 3" in result.stdout + result.stderr and f"class 'Form 9 North' is not a class of year {THIS_YEAR}" in result.stdout + result.stderr
    assert "line 4" in result.stdout + result.stderr and "is of grade Form 1, not Form 2" in result.stdout + result.stderr
    with tenant_context("nairobi"):
        assert not Student.objects.filter(registration_no__startswith="NEW").exists()


def export(run_cli, *args):
    result = run_cli("nairobi", "export_students", *args)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))


def test_export_by_year_lists_that_years_grade_class_and_outcome(ready, run_cli, tmp_path):
    assert run_cli("nairobi", "promote", "--to", NEXT, "--repeat", "F1-00").returncode == 0
    current = {row["registration_no"]: row for row in export(run_cli, "--year", NEXT)}
    earlier = {row["registration_no"]: row for row in export(run_cli, "--year", str(THIS_YEAR))}
    assert (earlier["F1-01"]["grade"], earlier["F1-01"]["outcome"]) == ("Form 1", "promoted")
    assert (current["F1-01"]["grade"], current["F1-01"]["outcome"]) == ("Form 2", "enrolled")
    assert (earlier["F1-00"]["outcome"], current["F1-00"]["grade"]) == ("repeated", "Form 1")
    assert earlier["F4-00"]["outcome"] == "graduated" and "F4-00" not in current
    assert earlier["OLD-1"]["outcome"] == "withdrawn" and "OLD-1" not in current
    assert list(current) == sorted(current)
    # Without --year: the current year.
    assert {row["registration_no"] for row in export(run_cli, "--year", "")} == set(current)
    result = run_cli("nairobi", "export_students", "--year", NEXT, "--format", "xlsx", "--output", str(tmp_path / "y.xlsx"))
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "y.xlsx").active
    assert [cell.value for cell in sheet[1]][-2:] == ["class", "outcome"] and sheet.title == NEXT


def test_an_unknown_year_is_one_line_exit_2(ready, run_cli):
    result = run_cli("nairobi", "export_students", "--year", "1999")
    assert result.returncode == 2 and f"there is no year 1999 (years: {THIS_YEAR}, {NEXT})" in result.stderr


def test_the_export_page_offers_the_years_and_downloads_one(ready, run_cli):
    from tests.test_admin import make_superuser, signed_in_client

    assert run_cli("nairobi", "promote", "--to", NEXT).returncode == 0
    make_superuser("nairobi", "head")
    client, _ = signed_in_client("nairobi.localhost", "head")
    page = client.get("/students/export/").content.decode()
    assert f'<option value="{NEXT}">{NEXT}</option>' in page and f'<option value="{THIS_YEAR}">' in page
    chosen = client.get("/students/export/", {"format": "csv", "year": str(THIS_YEAR)})
    assert chosen.status_code == 302 and f"year={THIS_YEAR}" in chosen["Location"]
    response = client.get(chosen["Location"])
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert {row["outcome"] for row in rows} == {"promoted", "graduated", "withdrawn"}
    assert f'filename="nairobi-{THIS_YEAR}.csv"' in response["Content-Disposition"]
    assert client.get("/students/export.csv", {"year": "1999"}).status_code == 404
