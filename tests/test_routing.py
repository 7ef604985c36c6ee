"""Each host sees its own school's data, and nothing else; unknown hosts see nothing."""

from contextlib import ExitStack, contextmanager

import pytest
from django.db import connections
from django.test import Client

from School.context import UnknownSchool, current_school, tenant_context
from School.models import Student
from School.utils import get_tenants_map, tenant_db_from_the_request


def page(host, path="/", **params):
    return Client(HTTP_HOST=host).get(path, params)


def test_each_host_shows_only_its_own_students(three_schools):
    for host, own, others in [
        ("nairobi.localhost", "NBI-", ("ACC-", "DEF-")),
        ("accra.school.local", "ACC-", ("NBI-", "DEF-")),
        ("localhost:8000", "DEF-", ("NBI-", "ACC-")),
    ]:
        response = page(host)
        body = response.content.decode()
        assert response.status_code == 200
        assert own in body
        for other in others:
            assert other not in body, f"{host} shows {other} rows"


def test_school_name_is_in_the_page_title(three_schools):
    body = page("nairobi.localhost").content.decode()
    assert "<title>Students · Nairobi School</title>" in body
    assert "Accra" not in body


def test_data_written_in_one_school_is_invisible_in_the_others(three_schools):
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="ONLY-NAIROBI", first_name="Wanjiku", second_name="Kariuki")
    with tenant_context("accra"):
        assert not Student.objects.filter(registration_no="ONLY-NAIROBI").exists()
    assert "ONLY-NAIROBI" in page("nairobi.localhost", q="ONLY").content.decode()
    assert "ONLY-NAIROBI" not in page("accra.localhost", q="ONLY").content.decode()
    assert "ONLY-NAIROBI" not in page("localhost", q="ONLY").content.decode()


def test_same_registration_number_may_exist_in_two_schools(three_schools):
    for name in ("nairobi", "accra"):
        with tenant_context(name):
            Student.objects.create(registration_no="2024/001", first_name=name, second_name="Twin")
    with tenant_context("accra"):
        assert Student.objects.get(registration_no="2024/001").first_name == "accra"


HOSTILE_HOSTS = [
    "evil.school.local",
    "nairobi.localhost.attacker.com",
    "xnairobi.localhost",
    "nairobi.localhostx",
    "school.local.evil.com",
    "10.0.0.1",
    "[::1]",
    "anything.school.local",
]


@contextmanager
def no_database_touched(aliases):
    """Fail if any of `aliases` is connected to or queried inside the block."""
    for alias in aliases:
        connections[alias].close()
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with ExitStack() as stack:
        for alias in aliases:
            stack.enter_context(connections[alias].execute_wrapper(record))
        yield
    assert queries == []
    for alias in aliases:
        assert connections[alias].connection is None, f"{alias} was connected to"


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_unknown_host_gets_404_naming_no_school(three_schools, host):
    response = page(host)
    body = response.content.decode()
    assert response.status_code == 404
    assert "No school is served at" in body
    for marker in ("NBI-", "ACC-", "DEF-", "Nairobi", "Accra", "Default School"):
        assert marker not in body


@pytest.mark.sqlite  # observes SQL connections; MongoDB's client is shared and stays open
@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_unknown_host_touches_no_school_database(three_schools, host, settings):
    settings.SCHOOL_REGISTRY_TTL = 3600  # no log check between the two requests
    # The registry lives in `default`: a worker asks it once about a host it
    # has never seen (one indexed query), then remembers the host as unknown.
    with no_database_touched(["nairobi", "accra"]):
        assert page(host).status_code == 404
    with no_database_touched(["default", "nairobi", "accra"]):
        assert page(host).status_code == 404


@pytest.mark.parametrize("host", ["", "a b", "nairobi.localhost:abc", "[bad", "nai/robi.localhost"])
def test_missing_or_malformed_host_gets_400(three_schools, host):
    response = page(host)
    assert response.status_code == 400
    assert "no school can be chosen" in response.content.decode()
    assert "NBI-" not in response.content.decode()


def test_missing_host_header_does_not_fall_back_to_the_server_name(three_schools):
    # The WSGI server's own name is `localhost`, which belongs to `default`.
    response = Client(SERVER_NAME="localhost").get("/", HTTP_HOST="")
    assert response.status_code == 400


@pytest.mark.parametrize("host", ["NAIROBI.LOCALHOST", "nairobi.localhost.", "Nairobi.Localhost:8000"])
def test_host_spelling_variants_reach_the_right_school(three_schools, host):
    response = page(host)
    assert response.status_code == 200
    assert "NBI-" in response.content.decode()


def test_health_endpoint_names_its_school_and_counts_its_students(three_schools):
    assert page("accra.localhost", "/healthz").json() == {"school": "accra", "status": "ok", "students": 7}
    assert page("evil.localhost", "/healthz").status_code == 404


def test_tutorial_helpers_map_hosts_to_databases(three_schools, rf):
    assert get_tenants_map()["nairobi.school.local"] == "nairobi"
    assert get_tenants_map()["localhost"] == "default"
    assert tenant_db_from_the_request(rf.get("/", HTTP_HOST="accra.localhost:8000")) == "accra"
    assert tenant_db_from_the_request(rf.get("/", HTTP_HOST="evil.localhost")) is None


def test_no_school_is_active_after_a_request(three_schools):
    page("nairobi.localhost")
    assert current_school() is None


def test_no_school_is_active_after_a_request_that_raised(three_schools, settings):
    settings.ROOT_URLCONF = "tests.urls_failing"
    from tests.urls_failing import seen_during_request

    seen_during_request.clear()
    response = Client(HTTP_HOST="accra.localhost", raise_request_exception=False).get("/boom")
    assert response.status_code == 500
    assert seen_during_request == ["accra"]
    assert current_school() is None


def test_tenant_context_routes_and_restores(three_schools):
    with tenant_context("nairobi"):
        assert Student.objects.count() == 5
        with tenant_context("accra"):
            assert Student.objects.count() == 7
        assert Student.objects.count() == 5
    assert current_school() is None
    assert Student.objects.count() == 3  # no school active: `default`


def test_tenant_context_as_decorator(three_schools):
    @tenant_context("accra")
    def count():
        return Student.objects.count()

    assert count() == 7
    assert current_school() is None


def test_tenant_context_rejects_an_unknown_school(three_schools):
    with pytest.raises(UnknownSchool, match="unknown school 'lagos'; known schools: default, accra, nairobi"):
        with tenant_context("lagos"):
            pass


def test_object_loaded_from_one_school_is_saved_back_there(three_schools):
    with tenant_context("accra"):
        student = Student.objects.get(registration_no="ACC-0001")
    with tenant_context("nairobi"):
        student.first_name = "Moved?"
        student.save()
        assert not Student.objects.filter(first_name="Moved?").exists()
    with tenant_context("accra"):
        assert Student.objects.get(registration_no="ACC-0001").first_name == "Moved?"


def test_the_platform_apps_tables_are_made_in_default_only():
    """The operator's view (School/platform/) keeps counts and digests in `default`: none of its tables is made
    in a school's database, where a school's backup would carry it and its migrations would need it."""
    from django.apps import apps

    from School.router import SchoolRouter

    router = SchoolRouter()
    for model in apps.get_app_config("platform").get_models():
        assert router.allow_migrate("default", "platform", model._meta.model_name) is True, model
        assert router.allow_migrate("nairobi", "platform", model._meta.model_name) is False, model
