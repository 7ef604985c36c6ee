"""/platform/: the dashboard across schools (issue 24): who may see it, what it shows, its actions."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from School.context import tenant_context
from School.models import School
from School.platform import dashboard
from School.platform.figures import recount
from School.platform.models import SchoolFigures
from School.security.headers import POLICY
from tests.conftest import outlive_registry_ttl

PASSWORD = "correct-horse-battery"
CHARTS = ("classes", "sizes", "trend", "largest", "growing")


@pytest.fixture
def counted(three_schools):
    for name in ("default", "nairobi", "accra"):
        recount(name)
    dashboard.forget()
    yield three_schools
    dashboard.forget()


def user(school, username, **flags):
    with tenant_context(school):
        return get_user_model().objects.create_user(username, "", PASSWORD, **flags)


def signed_in(host, username, enforce_csrf_checks=False):
    """A client signed in through the sign-in page, as a browser does."""
    client = Client(HTTP_HOST=host, enforce_csrf_checks=enforce_csrf_checks)
    form = client.get("/accounts/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_platform_staff_see_totals_charts_with_data_tables_and_health(counted):
    user("default", "operator", is_staff=True, is_superuser=True)
    page = signed_in("localhost", "operator").get("/platform/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Platform dashboard" in html
    totals = html.split('id="totals-title"')[1]
    assert re.search(r'<th scope="row">all</th><td class="number">15</td>', totals)
    for chart in CHARTS:
        assert f'src="/platform/charts/{chart}.svg"' in html
    assert html.count("<caption>") >= 7  # two totals tables, a data table per chart, the health table
    # The largest schools, in order, in the chart's data table.
    largest = html.split("Largest schools (data of the chart)")[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\w+)</th>', largest) == ["accra", "nairobi", "default"]
    assert "need attention" in html and "no recent backup" in html
    assert '/admin/School/school/' in html
    assert "<script" not in html and "style=" not in html


def test_charts_are_svg_without_script_or_outside_references(counted):
    user("default", "operator", is_staff=True, is_superuser=True)
    client = signed_in("localhost", "operator")
    for chart in CHARTS:
        response = client.get(f"/platform/charts/{chart}.svg")
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        svg = response.content.decode()
        assert svg.startswith("<svg") and "<script" not in svg
        assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
        assert "script-src" not in response["Content-Security-Policy"] and "default-src 'none'" in response["Content-Security-Policy"]
    assert client.get("/platform/").headers["Content-Security-Policy"] == POLICY
    assert client.get("/platform/charts/nope.svg").status_code == 404


def test_nobody_else_and_no_other_host_gets_the_dashboard(counted):
    assert Client(HTTP_HOST="localhost").get("/platform/").status_code == 302  # to the sign-in page
    assert Client(HTTP_HOST="localhost").get("/platform/").headers["Location"].startswith("/accounts/login/")
    user("default", "clerk", is_staff=True)
    assert signed_in("localhost", "clerk").get("/platform/").status_code == 404
    assert signed_in("localhost", "clerk").get("/platform/charts/sizes.svg").status_code == 404
    user("nairobi", "head", is_staff=True, is_superuser=True)
    head = signed_in("nairobi.localhost", "head")
    assert head.get("/platform/").status_code == 404
    assert head.get("/platform/charts/sizes.svg").status_code == 404
    assert Client(HTTP_HOST="nowhere.localhost").get("/platform/").status_code == 404
    # The permission alone is enough at default.
    viewer = user("default", "viewer")
    with tenant_context("default"):
        viewer.user_permissions.add(Permission.objects.get(codename="view_platform"))
    response = signed_in("localhost", "viewer").get("/platform/")
    assert response.status_code == 200
    assert "Back up default now" not in response.content.decode()  # actions need the right to change schools


def test_the_platform_admin_index_links_to_the_dashboard_and_no_school_admin_does(counted):
    user("default", "operator", is_staff=True, is_superuser=True)
    assert 'href="/platform/"' in signed_in("localhost", "operator").get("/admin/").content.decode()
    user("nairobi", "head", is_staff=True, is_superuser=True)
    assert "/platform/" not in signed_in("nairobi.localhost", "head").get("/admin/").content.decode()


def test_back_up_now_and_resume_are_posts_with_csrf(counted):
    user("default", "operator", is_staff=True, is_superuser=True)
    School.objects.using("default").filter(name="accra").update(suspended=True)
    for row in School.objects.using("default").filter(name="accra"):
        row.save()  # through the ORM, so that every worker hears of it
    outlive_registry_ttl()
    client = signed_in("localhost", "operator", enforce_csrf_checks=True)
    page = client.get("/platform/").content.decode()
    assert "Resume accra" in page and "Back up nairobi now" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post("/platform/schools/accra/resume").status_code == 403  # no CSRF token
    assert client.get("/platform/schools/accra/resume").status_code == 405
    response = client.post("/platform/schools/accra/resume", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.headers["Location"] == "/platform/#health"
    assert not School.objects.using("default").get(name="accra").suspended
    response = client.post("/platform/schools/nairobi/backup", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert SchoolFigures.objects.using("default").get(school__name="nairobi").last_backup_size > 0
    page = client.get("/platform/").content.decode()
    assert "Backed up nairobi" in page and "Resume accra" not in page
    assert client.post("/platform/schools/nowhere/backup", {"csrfmiddlewaretoken": token}).status_code == 404
