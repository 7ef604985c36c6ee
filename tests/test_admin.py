"""Each school's admin uses that school's users, sessions and log."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client

from School.context import tenant_context
from School.models import Student
from tests.student_rows import NO_GUARDIANS_FORM

PASSWORD = "correct-horse-battery"


def make_superuser(school, username):
    with tenant_context(school):
        get_user_model().objects.create_superuser(username, f"{username}@{school}.test", PASSWORD)


def signed_in_client(host, username):
    client = Client(HTTP_HOST=host)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
    return client, response


@pytest.fixture
def accra_admin(three_schools):
    make_superuser("accra", "ama")
    return three_schools


def test_superuser_signs_in_at_own_school_and_sees_its_name(accra_admin):
    client, response = signed_in_client("accra.localhost", "ama")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    page = client.get("/admin/").content.decode()
    assert "Accra Academy administration" in page
    assert "Nairobi" not in page


def test_superuser_of_one_school_cannot_sign_in_at_another(accra_admin):
    _client, response = signed_in_client("nairobi.localhost", "ama")
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_session_cookie_of_one_school_is_worthless_at_another(accra_admin, settings):
    accra, _ = signed_in_client("accra.localhost", "ama")
    cookie = accra.cookies[settings.SESSION_COOKIE_NAME].value
    assert accra.get("/admin/").status_code == 200

    intruder = Client(HTTP_HOST="nairobi.localhost")
    intruder.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = intruder.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_student_added_in_admin_lands_in_that_school_with_its_log(accra_admin):
    client, _ = signed_in_client("accra.localhost", "ama")
    response = client.post(
        "/admin/School/student/add/",
        {
            "registration_no": "ACC/NEW/1", "first_name": "Efua", "second_name": "Quaye",
            "enrolment_date": "2024-01-08", "status": "active", **NO_GUARDIANS_FORM,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context("accra"):
        assert Student.objects.filter(registration_no="ACC/NEW/1").exists()
        assert LogEntry.objects.filter(object_repr__contains="ACC/NEW/1").count() == 1
    for other in ("nairobi", "default"):
        with tenant_context(other):
            assert not Student.objects.filter(registration_no="ACC/NEW/1").exists()
            assert not LogEntry.objects.exists()


def test_admin_student_list_searches(accra_admin):
    client, _ = signed_in_client("accra.localhost", "ama")
    page = client.get("/admin/School/student/", {"q": "ACCfirst3"}).content.decode()
    assert "ACC-0003" in page and "ACC-0004" not in page


def test_registry_is_administered_from_the_default_school_only(accra_admin):
    make_superuser("default", "root")
    root, _ = signed_in_client("localhost", "root")
    listing = root.get("/admin/School/school/")
    assert listing.status_code == 200
    assert "nairobi.localhost" in listing.content.decode()

    ama, _ = signed_in_client("accra.localhost", "ama")
    assert ama.get("/admin/School/school/").status_code == 403
    index = ama.get("/admin/").content.decode()
    assert "Schools" not in index and "nairobi" not in index


@pytest.fixture
def platform_admin(three_schools):
    make_superuser("default", "root")
    client, _ = signed_in_client("localhost", "root")
    return client


def test_platform_admin_adds_a_school_with_its_first_administrator(platform_admin):
    response = platform_admin.post(
        "/admin/School/school/add/",
        {
            "name": "kisumu",
            "display_name": "Kisumu High",
            "host_names": "kisumu.localhost, kisumu.school.local",
            "admin_username": "akinyi",
            "admin_email": "akinyi@kisumu.test",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Client(HTTP_HOST="kisumu.school.local").get("/healthz").json()["school"] == "kisumu"
    _client, signed_in = signed_in_client("kisumu.localhost", "akinyi")
    assert signed_in.status_code == 302
    _client, elsewhere = signed_in_client("localhost", "akinyi")
    assert elsewhere.status_code == 200  # the new school's admin is not the platform's


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"name": "kisumu", "host_names": "accra.localhost"}, "already belongs to school"),
        ({"name": "Kisumu", "host_names": "kisumu.localhost"}, "bad school name"),
        ({"name": "accra", "host_names": "accra2.localhost"}, "already exists"),
        ({"name": "kisumu", "host_names": "http://kisumu"}, "bad host"),
        ({"name": "kisumu", "host_names": "kisumu.localhost", "admin_username": "x"}, "password"),
    ],
)
def test_platform_admin_refuses_bad_schools_and_writes_nothing(platform_admin, fields, error):
    from School.models import School as SchoolModel

    before = list(SchoolModel.objects.using("default").values_list("name", flat=True))
    response = platform_admin.post("/admin/School/school/add/", {"display_name": "X", **fields})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert list(SchoolModel.objects.using("default").values_list("name", flat=True)) == before
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").status_code == 404
