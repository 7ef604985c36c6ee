"""A student's sex (issue 33): files, the table's filter, the API, the student's page and the platform's figures."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.test import Client

from School.context import tenant_context
from School.models import School, Student
from School.records.files import StudentImport, export_lines
from School.records.table import StudentTableQuery
from tests.test_api import api, token_for
from tests.test_platform_figures import assert_no_foreign_students_in_default, refresh, report

HEADER = "registration_no,first_name,second_name,sex"


def import_into(school, tmp_path, text):
    path = tmp_path / "students.csv"
    path.write_text(f"{HEADER}\n{text}", encoding="utf-8")
    with tenant_context(school):
        return StudentImport(path).apply()


def sexes(school):
    with tenant_context(school):
        return dict(Student.objects.filter(registration_no__startswith="S/").values_list("registration_no", "sex"))


def set_language(name, language):
    row = School.objects.using(DEFAULT_DB_ALIAS).get(name=name)
    row.language = language
    row.save()  # the registry's change log: this process forgets the school at once


def test_existing_students_are_not_recorded_and_the_form_says_so(three_schools):
    with tenant_context("nairobi"):
        assert set(Student.objects.values_list("sex", flat=True)) == {""}
        assert Student._meta.get_field("sex").formfield().choices == [
            ("female", "Female"), ("male", "Male"), ("", "Not recorded")]


def test_import_reads_letters_words_and_the_schools_language(three_schools, tmp_path):
    report = import_into("nairobi", tmp_path, "S/1,A,B,F\nS/2,C,D,m\nS/3,E,F,Female\nS/4,G,H,\nS/5,I,J,MALE\n")
    assert report.ok and report.new == 5, report.errors
    assert sexes("nairobi") == {"S/1": "female", "S/2": "male", "S/3": "female", "S/4": "", "S/5": "male"}
    set_language("accra", "fr")
    report = import_into("accra", tmp_path, "S/1,A,B,féminin\nS/2,C,D,Masculin\nS/3,E,F,non renseigné\n")
    assert report.ok, report.errors
    assert sexes("accra") == {"S/1": "female", "S/2": "male", "S/3": ""}


def test_an_unknown_sex_is_a_row_error_and_nothing_is_written(three_schools, tmp_path):
    report = import_into("nairobi", tmp_path, "S/1,A,B,F\nS/2,C,D,x\n")
    assert not report.ok and not report.written
    assert str(report.errors[0]) == "line 3 (S/2): sex: unknown sex 'x': use female, male, F, M or leave it empty"
    assert sexes("nairobi") == {}


def test_an_update_without_the_column_keeps_the_sex(three_schools, tmp_path):
    import_into("nairobi", tmp_path, "S/1,A,B,F\n")
    path = tmp_path / "names.csv"
    path.write_text("registration_no,first_name,second_name\nS/1,Changed,B\n")
    with tenant_context("nairobi"):
        assert StudentImport(path, update=True).apply().ok
    assert sexes("nairobi") == {"S/1": "female"}


def test_export_writes_female_male_or_nothing_and_imports_back(three_schools, tmp_path):
    import_into("nairobi", tmp_path, "S/1,A,B,f\nS/2,C,D,M\nS/3,E,F,\n")
    with tenant_context("nairobi"):
        text = "".join(export_lines(StudentTableQuery(search="S/").queryset())).removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["registration_no"], row["sex"]) for row in rows] == [("S/1", "female"), ("S/2", "male"), ("S/3", "")]


def table(**params):
    body = Client(HTTP_HOST="nairobi.localhost").get("/", params).content.decode()
    return body


def test_the_table_filters_by_sex_and_keeps_the_filter_in_its_links(three_schools):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__in=["NBI-0001", "NBI-0003"]).update(sex="female")
        Student.objects.filter(registration_no="NBI-0002").update(sex="male")
    assert "2 students matching" in table(sex="female")
    assert "1 student matching" in table(sex="male")
    body = table(sex="unrecorded", sort="-registration_no")
    assert "2 students matching" in body and "NBI-0004" in body and "NBI-0001" not in body
    assert 'sex=unrecorded' in body and '<option value="unrecorded" selected>' in body
    assert "5 students" in table(sex="nonsense")  # an unknown value filters nothing, as an unknown status


def test_the_api_writes_filters_and_documents_the_sex(three_schools):
    client = api("nairobi.localhost", token_for("nairobi", "timetabling"))
    created = client.post("/api/students/", {"registration_no": "S/1", "first_name": "A", "second_name": "B",
                                             "sex": "female"}, format="json")
    assert created.status_code == 201 and created.json()["sex"] == "female"
    assert client.post("/api/students/", {"registration_no": "S/2", "first_name": "A", "second_name": "B",
                                          "sex": "F"}, format="json").json() == {"sex": ['"F" is not a valid choice.']}
    assert [s["registration_no"] for s in client.get("/api/students/", {"sex": "female"}).json()["results"]] == ["S/1"]
    assert client.get("/api/students/", {"sex": "unrecorded"}).json()["count"] == 5
    refused = client.get("/api/students/", {"sex": "girl"})
    assert refused.status_code == 400 and "sex" in refused.json()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    document = json.loads(schema.content)
    schemas = document["components"]["schemas"]
    assert schemas["Student"]["properties"]["sex"]["oneOf"] == [
        {"$ref": "#/components/schemas/SexEnum"}, {"$ref": "#/components/schemas/BlankEnum"}]
    assert (schemas["SexEnum"]["enum"], schemas["BlankEnum"]["enum"]) == (["female", "male"], [""])
    parameters = {p["name"]: p for p in document["paths"]["/api/students/"]["get"]["parameters"]}
    assert parameters["sex"]["schema"]["enum"] == ["female", "male", "unrecorded"]


def test_the_students_page_shows_the_sex_in_the_schools_language(three_schools):
    set_language("nairobi", "fr")
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("head", "head@x.test", "pw")
        student = Student.objects.get(registration_no="NBI-0001")
        Student.objects.filter(pk=student.pk).update(sex="female")
    client = Client(HTTP_HOST="nairobi.localhost")
    client.post("/admin/login/", {"username": "head", "password": "pw"})
    body = client.get(f"/students/{student.pk}/").content.decode()
    assert '<dt>Sexe</dt><dd id="sex">Féminin</dd>' in body


def test_the_platform_counts_active_students_by_sex_without_their_names(three_schools, run_cli):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__in=["NBI-0001", "NBI-0003"]).update(sex="female")
        Student.objects.filter(registration_no="NBI-0002").update(sex="male")
        Student.objects.filter(registration_no="NBI-0004").update(sex="male", status="graduated")
    assert refresh(run_cli, "--all").returncode == 0
    by_sex = dict(json.loads(report(run_cli, "--by", "sex", "--format", "json"))[n].values()
                  for n in range(3))
    assert by_sex == {"female": 2, "male": 1, "sex_not_recorded": 11}  # 15 students, one graduated
    by_class = {row["class"]: row for row in json.loads(report(run_cli, "--by", "class", "--format", "json"))}
    assert (by_class[""]["female"], by_class[""]["male"], by_class[""]["graduated"]) == (2, 1, 1)
    assert_no_foreign_students_in_default()
