"""A student's guardians (issue 33): one contact per person, phones in E.164, in files, the API, pages,
the migration from guardian_name/guardian_phone, and transfers."""

import csv
import io
import sqlite3

import pytest
from django.core.management import call_command
from django.test import Client

from School.context import tenant_context
from School.identity.guardians import guardians_of
from School.identity.models import Guardian, Guardianship
from School.models import Student
from School.records.files import StudentImport, export_lines
from School.records.table import StudentTableQuery
from tests.conftest import ON_MONGODB
from tests.test_api import api, token_for
from tests.test_identity_sex import set_language
from tests.student_rows import NO_GUARDIANS_FORM, give_guardian, set_time_zone

HEADER = "registration_no,first_name,second_name,guardian1_name,guardian1_relationship,guardian1_phone,guardian1_email"


def import_into(school, tmp_path, text, header=HEADER, **options):
    path = tmp_path / "students.csv"
    path.write_text(f"{header}\n{text}", encoding="utf-8")
    with tenant_context(school):
        return StudentImport(path, **options).apply()


def guardians(school, number):
    with tenant_context(school):
        pk = Student.objects.get(registration_no=number).pk
        return [(person.name, link.relationship, person.phone, person.email, link.primary_contact)
                for link, person in guardians_of(school, [pk]).get(pk, [])]


def test_siblings_guardian_is_one_contact_and_phones_are_stored_in_e164(three_schools, tmp_path):
    set_time_zone("nairobi", "Africa/Nairobi")
    report = import_into("nairobi", tmp_path, "S/1,Amani,Kamau,Grace Kamau,mother,0722 000111,\n"
                                               "S/2,Baraka,Kamau,grace kamau,Mother,+254 722 000 111,\n")
    assert report.ok, report.errors
    assert guardians("nairobi", "S/1") == [("Grace Kamau", "mother", "+254722000111", "", True)]
    with tenant_context("nairobi"):
        (person,) = Guardian.objects.all()
        assert Guardianship.objects.filter(guardian=person).count() == 2


def test_relationships_in_the_schools_language_and_the_old_columns_as_guardian_one(three_schools, tmp_path):
    set_language("accra", "fr")
    assert import_into("accra", tmp_path, "S/1,Efua,Quaye,Ama Quaye,Grand-parent,+233 20 123 4567,ama@x.test\n").ok
    assert guardians("accra", "S/1") == [("Ama Quaye", "grandparent", "+233201234567", "ama@x.test", True)]
    old = import_into("accra", tmp_path, "S/2,Kojo,Mensah,Kofi Mensah,+233 24 123 4567\n",
                      header="registration_no,first_name,second_name,guardian_name,guardian_phone")
    assert old.ok, old.errors
    assert guardians("accra", "S/2") == [("Kofi Mensah", "guardian", "+233241234567", "", True)]


@pytest.mark.parametrize(("row", "message"), [
    ("S/1,A,B,Mama,mother,12345,", "guardian1_phone: '12345' is not a phone number that can exist: write it with +"),
    ("S/1,A,B,Mama,mother,,", "guardian1_phone: a guardian needs a phone or an email, to be reached"),
    ("S/1,A,B,Mama,aunt,+254 722 000111,", "guardian1_relationship: unknown relationship 'aunt'"),
    ("S/1,A,B,,mother,+254 722 000111,", "guardian1_name: a guardian needs a name"),
    ("S/1,A,B,Mama,,+254 722 000111,not-an-email", "guardian1_email: Enter a valid email address."),
])
def test_a_bad_guardian_is_a_row_error_and_nothing_is_written(three_schools, tmp_path, row, message):
    report = import_into("nairobi", tmp_path, row + "\n")
    assert not report.written and message in str(report.errors[0]), report.errors
    with tenant_context("nairobi"):
        assert not Student.objects.filter(registration_no="S/1").exists() and not Guardian.objects.exists()


def test_export_writes_two_guardians_and_imports_back_the_same(three_schools, tmp_path):
    give_guardian("nairobi", "NBI-0001", "Mary Kamau", "+254 712 345678", "mary@x.test")
    with tenant_context("nairobi"):
        text = "".join(export_lines(StudentTableQuery(search="NBI-0001").queryset())).removeprefix("\ufeff")
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["guardian1_name"], row["guardian1_relationship"], row["guardian1_phone"], row["guardian1_email"],
            row["guardian2_name"]) == ("Mary Kamau", "guardian", "'+254712345678", "mary@x.test", "")  # + behind ' as formulas
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    with tenant_context("accra"):
        assert StudentImport(path).apply().ok
        assert "".join(export_lines(StudentTableQuery(search="NBI-0001").queryset())).removeprefix("\ufeff") == text


def test_an_update_without_guardian_columns_keeps_them(three_schools, tmp_path):
    give_guardian("nairobi", "NBI-0001", "Mary Kamau", "+254 712 345678")
    assert import_into("nairobi", tmp_path, "NBI-0001,Renamed,X\n", header="registration_no,first_name,second_name",
                       update=True).ok
    assert guardians("nairobi", "NBI-0001") == [("Mary Kamau", "guardian", "+254712345678", "", True)]


def test_the_api_nests_guardians_and_refuses_two_primary_contacts(three_schools):
    client = api("nairobi.localhost", token_for("nairobi", "timetabling"))
    body = {"registration_no": "S/1", "first_name": "A", "second_name": "B", "guardians": [
        {"name": "Mama", "relationship": "mother", "phone": "+254 722 000111", "primary_contact": True},
        {"name": "Baba", "relationship": "father", "email": "baba@x.test", "emergency_contact": True}]}
    created = client.post("/api/students/", body, format="json")
    assert created.status_code == 201, created.json()
    assert [(g["name"], g["phone"], g["primary_contact"]) for g in created.json()["guardians"]] == [
        ("Mama", "+254722000111", True), ("Baba", "", False)]
    both = {**body, "registration_no": "S/2", "guardians": [{**g, "primary_contact": True} for g in body["guardians"]]}
    refused = client.post("/api/students/", both, format="json")
    assert refused.status_code == 400 and refused.json() == {"guardians": ["Exactly one guardian is the primary contact."]}
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["Student"]["properties"]["guardians"]["items"] == {
        "$ref": "#/components/schemas/Guardian"}


def staff_client():
    from django.contrib.auth import get_user_model

    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("head", "head@x.test", "pw")
    client = Client(HTTP_HOST="nairobi.localhost")
    client.post("/admin/login/", {"username": "head", "password": "pw"})
    return client


def test_the_students_page_lists_guardians_and_the_admin_keeps_one_primary_contact(three_schools):
    give_guardian("nairobi", "NBI-0001", "Mary Kamau", "+254 712 345678", lives_with=True)
    client = staff_client()
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0001")
        link = Guardianship.objects.get(student=student)
    body = client.get(f"/students/{student.pk}/").content.decode()
    assert '<a href="tel:+254712345678">+254 712 345678</a>' in body and "primary contact, lives with the student" in body
    form = {"registration_no": "NBI-0001", "first_name": "A", "second_name": "B", "enrolment_date": "2024-01-08",
            "status": "active", "sex": "", **NO_GUARDIANS_FORM, "guardianships-TOTAL_FORMS": "1",
            "guardianships-INITIAL_FORMS": "1", "guardianships-0-id": str(link.pk),
            "guardianships-0-student": str(student.pk), "guardianships-0-guardian": str(link.guardian_id),
            "guardianships-0-relationship": "mother", "guardianships-0-position": "1"}
    refused = client.post(f"/admin/School/student/{student.pk}/change/", form)  # the primary contact unticked
    assert refused.status_code == 200 and "Choose exactly one guardian as the primary contact." in refused.content.decode()
    saved = client.post(f"/admin/School/student/{student.pk}/change/", {**form, "guardianships-0-primary_contact": "on"})
    assert saved.status_code == 302
    assert guardians("nairobi", "NBI-0001") == [("Mary Kamau", "mother", "+254712345678", "", True)]


def test_a_transfer_carries_the_guardians(three_schools):
    from tests.test_transfers import accept, send

    give_guardian("nairobi", "NBI-0001", "Wanjiru Kamau", "+254 722 000111")
    accept(send())
    assert guardians("accra", "NBI-0001") == [("Wanjiru Kamau", "guardian", "+254722000111", "", True)]


@pytest.mark.skipif(ON_MONGODB, reason="writes the old columns with SQL")
def test_the_migration_makes_the_old_guardian_the_first_and_siblings_share_one(three_schools):
    set_time_zone("nairobi", "Africa/Nairobi")
    call_command("migrate", "identity", "zero", database="nairobi", verbosity=0)  # School back to 0011 too
    path = three_schools.db_dir / "nairobi.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE School_student SET guardian_name = 'Grace Kamau', guardian_phone = '0722 000111'"
                   " WHERE registration_no IN ('NBI-0001', 'NBI-0002')")
        db.execute("UPDATE School_student SET guardian_name = 'Old', guardian_phone = '(0123) 45'"
                   " WHERE registration_no = 'NBI-0003'")
    call_command("migrate", database="nairobi", verbosity=0)
    assert guardians("nairobi", "NBI-0001") == [("Grace Kamau", "guardian", "+254722000111", "", True)]
    assert guardians("nairobi", "NBI-0003") == [("Old", "guardian", "012345", "", True)]  # kept, for the school to correct
    assert guardians("nairobi", "NBI-0004") == []
    with tenant_context("nairobi"):
        assert Guardian.objects.count() == 2
