"""Student data only for the school's own users in production; public in development (issue 14, goal 6)."""

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from School.context import tenant_context
from School.models import Student
from School.security.tokens import create_token
from tests.people_helpers import PASSWORD, signed_in

STUDENT_PAGES = ["/", "/students/export.csv", "/api/students/"]


def make_user(school, username, view_students=True, staff=False):
    with tenant_context(school):
        user = get_user_model().objects.create_user(username, "", PASSWORD, is_staff=staff)
        if view_students:
            user.user_permissions.add(Permission.objects.get(content_type__app_label="School", codename="view_student"))
        return user


@pytest.fixture
def production(three_schools, settings):
    settings.STUDENT_DATA_REQUIRES_LOGIN = True
    make_user("nairobi", "registrar", staff=True)
    make_user("nairobi", "teacher")
    make_user("nairobi", "caretaker", view_students=False)
    make_user("accra", "kofi", staff=True)
    with tenant_context("nairobi"):
        return Student.objects.get(registration_no="NBI-0001")


def test_anonymous_visitor_sees_the_school_name_and_a_sign_in_form_only(production):
    response = Client(HTTP_HOST="nairobi.localhost").get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nairobi School" in body and 'id="sign-in"' in body and 'name="password"' in body
    assert "NBI-" not in body and "nbifirst" not in body and "student-count" not in body


def test_anonymous_gets_no_student_data_anywhere(production):
    client = Client(HTTP_HOST="nairobi.localhost")
    for path in (f"/students/{production.pk}/", "/students/export.csv", "/students/import/"):
        response = client.get(path)
        assert response.status_code == 302 and "login" in response["Location"], path
    assert client.get("/api/students/").status_code in (401, 403)
    assert client.get(f"/api/students/{production.pk}/").status_code in (401, 403)
    health = client.get("/healthz").json()
    assert health == {"school": "nairobi", "status": "ok"}


def test_a_user_of_the_school_with_the_permission_sees_the_students(production):
    teacher = signed_in("nairobi.localhost", "teacher")
    page = teacher.get("/").content.decode()
    assert "NBI-0001" in page and 'id="sign-in"' not in page
    assert teacher.get("/api/students/").json()["count"] == 5
    assert teacher.get("/healthz").json()["students"] == 5
    registrar = signed_in("nairobi.localhost", "registrar")
    export = b"".join(registrar.get("/students/export.csv").streaming_content).decode()
    assert "NBI-0004" in export
    assert "NBI-0001" in registrar.get(f"/students/{production.pk}/").content.decode()


def test_a_user_without_the_permission_is_refused(production):
    caretaker = signed_in("nairobi.localhost", "caretaker")
    assert caretaker.get("/").status_code == 403
    assert caretaker.get("/api/students/").status_code == 403
    assert "students" not in caretaker.get("/healthz").json()


def test_a_token_of_the_school_shows_the_count_and_one_of_another_school_does_not(production):
    with tenant_context("nairobi"):
        nairobi_key, _ = create_token(get_user_model().objects.get(username="teacher"))
    with tenant_context("accra"):
        accra_key, _ = create_token(get_user_model().objects.get(username="kofi"))
    client = Client(HTTP_HOST="nairobi.localhost")
    assert client.get("/healthz", HTTP_AUTHORIZATION=f"Token {nairobi_key}").json()["students"] == 5
    assert "students" not in client.get("/healthz", HTTP_AUTHORIZATION=f"Token {accra_key}").json()
    assert client.get("/api/students/", HTTP_AUTHORIZATION=f"Token {accra_key}").status_code == 401


def test_a_user_of_another_school_cannot_sign_in_here(production):
    client = Client(HTTP_HOST="nairobi.localhost")
    response = client.post("/accounts/login/", {"username": "kofi", "password": PASSWORD})
    assert response.status_code == 200 and "NBI-" not in response.content.decode()


def test_development_keeps_the_public_table(three_schools, settings):
    settings.STUDENT_DATA_REQUIRES_LOGIN = False
    client = Client(HTTP_HOST="nairobi.localhost")
    assert "NBI-0001" in client.get("/").content.decode()
    assert client.get("/healthz").json()["students"] == 5


def test_sign_in_over_real_http_then_the_table(production, live_server_url):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    port = live_server_url.rsplit(":", 1)[1]
    host = f"nairobi.localhost:{port}"

    def fetch(path, data=None):
        request = urllib.request.Request(f"{live_server_url}{path}", data=data, headers={"Host": host})
        with opener.open(request, timeout=10) as response:
            return response.read().decode()

    landing = fetch("/")
    assert "Nairobi School" in landing and "NBI-" not in landing
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', landing).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "teacher", "password": PASSWORD, "next": "/"}
    ).encode()
    table = fetch("/accounts/login/", form)  # follows the redirect to /
    assert "NBI-0001" in table and "NBI-0004" in table and "ACC-" not in table
    # The same cookies name nobody at Accra.
    accra = urllib.request.Request(f"{live_server_url}/", headers={"Host": f"accra.localhost:{port}"})
    assert "ACC-" not in opener.open(accra, timeout=10).read().decode()
