"""The registry: names and hosts are validated, and changes are served without restarts."""


import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from django.db.models.signals import post_save

from School.models import School, SchoolHost
from School.operations.provisioning import SchoolError, add_school, remove_school
from tests.conftest import ON_MONGODB, outlive_registry_ttl
from School.utils import registry
from School.validation import normalize_host, validate_school_name


@pytest.mark.parametrize("name", ["nairobi", "st_marys_2", "a", "x" * 40])
def test_good_school_names(name):
    validate_school_name(name)


@pytest.mark.parametrize("name", ["Nairobi", "2nd", "_x", "st-marys", "a" * 41, "", "up", "schools", "hosts", "naïrobi"])
def test_bad_school_names(name):
    with pytest.raises(ValidationError):
        validate_school_name(name)


@pytest.mark.parametrize(
    "given, stored",
    [("Nairobi.School.Local", "nairobi.school.local"), ("kisumu.localhost.", "kisumu.localhost"), ("münchen.school", "xn--mnchen-3ya.school")],
)
def test_hosts_are_stored_as_browsers_send_them(given, stored):
    assert normalize_host(given) == stored


@pytest.mark.parametrize("host", ["", "http://a.localhost", "a.localhost:8000", "*.school.local", "a b", "a/b", "-a.local", "a" * 64 + ".local"])
def test_bad_hosts(host):
    with pytest.raises(ValidationError):
        normalize_host(host)


def served(host):
    return Client(HTTP_HOST=host).get("/healthz").status_code == 200


def test_school_added_in_process_is_served_at_once(three_schools):
    assert not served("kisumu.localhost")  # cached as unknown
    add_school("kisumu", ["kisumu.localhost"], "Kisumu High")  # real provisioning: migrates
    assert served("kisumu.localhost")
    remove_school("kisumu")
    assert not served("kisumu.localhost")


def test_school_added_by_another_process_is_served_within_the_ttl(three_schools, run_cli, settings):
    settings.SCHOOL_REGISTRY_TTL = 0.5
    assert not served("kisumu.localhost")
    result = run_cli("schools", "add", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    assert served("kisumu.localhost")
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").json()["school"] == "kisumu"


def test_a_host_is_resolved_once_while_the_registry_is_fresh(three_schools, django_assert_num_queries, settings):
    settings.SCHOOL_REGISTRY_TTL = 3600
    assert registry.school_for_host("nairobi.localhost").name == "nairobi"
    with django_assert_num_queries(0):
        for _ in range(100):
            assert registry.school_for_host("nairobi.localhost").name == "nairobi"


def test_add_school_rejects_a_taken_host_before_creating_anything(three_schools):
    with pytest.raises(SchoolError, match="host 'accra.localhost' already belongs to school 'accra'"):
        add_school("kumasi", ["kumasi.localhost", "accra.localhost"])
    if not ON_MONGODB:
        assert not (three_schools.db_dir / "kumasi.sqlite3").exists()
    assert not served("kumasi.localhost")


@pytest.fixture
def failing_host_registration():
    """Make registering the host `broken.localhost` fail, as a crash mid-way would."""

    def fail(sender, instance, **kwargs):
        if instance.host == "broken.localhost":
            raise RuntimeError("injected failure while registering hosts")

    post_save.connect(fail, sender=SchoolHost, dispatch_uid="inject-failure")
    yield
    post_save.disconnect(sender=SchoolHost, dispatch_uid="inject-failure")


def test_failed_migration_names_the_step_and_registers_nothing(three_schools, monkeypatch):
    import School.operations.provisioning as provisioning
    import School.operations.templates as templates

    def broken_migrate(school, **kwargs):
        raise RuntimeError("disk full")

    # Both ways a new database is migrated: the SQLite template's build and the school's own run.
    monkeypatch.setattr(provisioning, "migrate_school", broken_migrate)
    monkeypatch.setattr(templates, "migrate_school", broken_migrate)
    with pytest.raises(SchoolError, match="could not create the database of school 'kumasi': disk full"):
        add_school("kumasi", ["kumasi.localhost"])
    assert not School.objects.using("default").filter(name="kumasi").exists()
    assert not served("kumasi.localhost")


def test_failed_registration_leaves_the_registry_as_it_was_and_can_be_retried(three_schools, failing_host_registration):
    before = list(School.objects.using("default").values_list("name", flat=True))
    with pytest.raises(SchoolError, match="could not register school 'kumasi'.*injected failure"):
        add_school("kumasi", ["kumasi.localhost", "broken.localhost"])
    assert list(School.objects.using("default").values_list("name", flat=True)) == before
    assert not SchoolHost.objects.using("default").filter(host="kumasi.localhost").exists()
    assert not served("kumasi.localhost")
    # The retry (without the broken host) succeeds and reuses the migrated database.
    add_school("kumasi", ["kumasi.localhost"])
    assert served("kumasi.localhost")
