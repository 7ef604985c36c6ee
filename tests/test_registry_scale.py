"""A registry of thousands of schools: resolved on demand, kept right by the change log, bounded.

Sizes CI can afford (5,000 schools); the timings at 100,000 are in bench/national.py.
"""

from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS
from django.test import Client

from School import utils as registry_module
from School.models import RegistryChange, School, SchoolHost
from School.utils import registry, school_by_name, school_for_host
from tests.conftest import outlive_registry_ttl

SCHOOLS = 5_000


def register_many(count):
    """Registry rows only, inserted in bulk (no databases: nothing here opens them)."""
    School.objects.using(DEFAULT_DB_ALIAS).bulk_create(
        School(name=f"s{n:05d}", display_name=f"School {n}") for n in range(count)
    )
    ids = School.objects.using(DEFAULT_DB_ALIAS).filter(name__startswith="s").values_list("pk", "name")
    SchoolHost.objects.using(DEFAULT_DB_ALIAS).bulk_create(
        SchoolHost(school_id=pk, host=f"{name}.localhost") for pk, name in ids
    )


@pytest.fixture
def many_schools(three_schools):
    register_many(SCHOOLS)
    registry.invalidate()
    return three_schools


def name_at(host):
    school = school_for_host(host)
    return school and school.name


def test_every_host_of_thousands_reaches_its_school_with_a_bounded_cache(many_schools, settings):
    settings.SCHOOL_REGISTRY_CACHE_SIZE = 100
    registry.invalidate()
    for n in range(0, SCHOOLS, 7):
        assert name_at(f"s{n:05d}.localhost") == f"s{n:05d}"
    known, names, _unknown = registry.cached_counts()
    assert known <= 100 and names <= 100
    assert school_by_name("s04999").hosts == ("s04999.localhost",)


def test_a_flood_of_unknown_hosts_does_not_evict_known_ones(many_schools, settings, django_assert_num_queries):
    settings.SCHOOL_REGISTRY_TTL = 3600  # only the flood can change the cache here
    settings.SCHOOL_REGISTRY_UNKNOWN_CACHE_SIZE = 500
    registry.invalidate()
    known = [f"s{n:05d}.localhost" for n in range(0, 200)]
    for host in known:
        assert name_at(host) == host.split(".")[0]
    for n in range(5_000):  # ten times what the unknown cache holds
        assert school_for_host(f"junk{n}.attacker.example") is None
    assert Client(HTTP_HOST="junk-last.attacker.example").get("/").status_code == 404
    assert registry.cached_counts()[2] <= 500
    with django_assert_num_queries(0):
        for host in known:
            assert name_at(host) == host.split(".")[0]


def test_overlong_hosts_are_unknown_without_a_query_or_a_cache_entry(many_schools, django_assert_num_queries):
    name_at("s00001.localhost")  # the change-log position is read once
    with django_assert_num_queries(0):
        assert school_for_host("a" * 254) is None
    assert registry.cached_counts()[2] == 0


def test_changes_by_another_process_are_seen_within_the_ttl(many_schools, run_cli, settings):
    settings.SCHOOL_REGISTRY_TTL = 0.5
    client = Client()
    assert name_at("s00010.localhost") == "s00010"
    assert name_at("new.s00010.localhost") is None  # cached as unknown

    def changed_elsewhere(*args):
        result = run_cli("schools", *args)
        assert result.returncode == 0, result.stderr
        outlive_registry_ttl()

    changed_elsewhere("add-host", "s00010", "new.s00010.localhost")
    assert name_at("new.s00010.localhost") == "s00010"
    assert school_by_name("s00010").hosts == ("new.s00010.localhost", "s00010.localhost")

    changed_elsewhere("remove-host", "s00010", "s00010.localhost")
    assert name_at("s00010.localhost") is None

    changed_elsewhere("suspend", "s00010")
    assert client.get("/healthz", HTTP_HOST="new.s00010.localhost").status_code == 503
    changed_elsewhere("resume", "s00010")
    assert not school_for_host("new.s00010.localhost").suspended

    changed_elsewhere("remove", "s00010")
    assert name_at("new.s00010.localhost") is None
    assert school_by_name("s00010") is None


def move_host(host, to_school, log=True):
    """Give `host` to another school; without `log`, as a write that records no change."""
    target = School.objects.using(DEFAULT_DB_ALIAS).get(name=to_school)
    if log:
        SchoolHost.objects.using(DEFAULT_DB_ALIAS).filter(host=host).delete()
        SchoolHost.objects.using(DEFAULT_DB_ALIAS).create(school=target, host=host)
    else:
        SchoolHost.objects.using(DEFAULT_DB_ALIAS).filter(host=host).update(school=target)


@pytest.fixture
def changes_elsewhere(monkeypatch, settings):
    """Registry writes in this block act like another process's: only the change log tells this one.

    The TTL is long inside the block, so no log read happens while writing;
    afterwards it is short again, and outlive_registry_ttl() lets the worker read the log.
    """
    from contextlib import contextmanager

    @contextmanager
    def block():
        settings.SCHOOL_REGISTRY_TTL = 3600
        with monkeypatch.context() as patched:
            patched.setattr("School.signals.registry", SimpleNamespace(forget=lambda *args, **kwargs: None))
            yield
        settings.SCHOOL_REGISTRY_TTL = 0.2

    return block


def test_a_moved_host_is_never_served_by_its_old_school(many_schools, changes_elsewhere):
    assert name_at("s00020.localhost") == "s00020"
    with changes_elsewhere():
        move_host("s00020.localhost", "s00021")
        assert name_at("s00020.localhost") == "s00020"  # cached: the change is not read yet
    outlive_registry_ttl()
    assert name_at("s00020.localhost") == "s00021"
    assert school_by_name("s00020").hosts == ()


def test_a_lookup_racing_a_change_does_not_cache_the_old_answer(many_schools, settings, monkeypatch):
    settings.SCHOOL_REGISTRY_TTL = 3600
    registry.school_for_host("s00001.localhost")  # the change-log position is known
    real_school_at = registry_module._school_at

    def read_then_change_lands(host):
        found = real_school_at(host)  # read before the change...
        move_host(host, "s00031")  # ...which commits and is seen (here, by the signal)
        return found

    monkeypatch.setattr(registry_module, "_school_at", read_then_change_lands)
    assert name_at("s00030.localhost") == "s00030"  # this one answer was already under way
    monkeypatch.setattr(registry_module, "_school_at", real_school_at)
    assert name_at("s00030.localhost") == "s00031"


@pytest.mark.sqlite  # writes change ids out of order by hand; MongoDB's ids are ObjectIds
def test_a_change_committed_after_a_newer_one_is_still_applied(many_schools, changes_elsewhere):
    assert name_at("s00040.localhost") == "s00040"
    changes = RegistryChange.objects.using(DEFAULT_DB_ALIAS)
    newest = changes.order_by("-pk").first().pk
    with changes_elsewhere():
        changes.create(pk=newest + 10, school_key="0", name="unrelated", host="")
    outlive_registry_ttl()
    assert name_at("s00040.localhost") == "s00040"  # the worker has now read past newest + 10
    with changes_elsewhere():
        move_host("s00040.localhost", "s00041", log=False)
        key = str(School.objects.using(DEFAULT_DB_ALIAS).get(name="s00041").pk)
        changes.create(pk=newest + 5, school_key=key, name="s00041", host="s00040.localhost")
    outlive_registry_ttl()
    assert name_at("s00040.localhost") == "s00041"


def test_a_worker_behind_a_pruned_log_forgets_its_cache(many_schools, changes_elsewhere):
    assert name_at("s00050.localhost") == "s00050"
    assert name_at("s00052.localhost") == "s00052"
    with changes_elsewhere():
        move_host("s00050.localhost", "s00051")
        School.objects.using(DEFAULT_DB_ALIAS).get(name="s00002").save()  # a later, unrelated change
        call_command("prune_registry_log", "--days", "0", stdout=StringIO())
    assert RegistryChange.objects.using(DEFAULT_DB_ALIAS).count() == 1  # the newest is kept
    outlive_registry_ttl()
    assert name_at("s00050.localhost") == "s00051"
    assert name_at("s00052.localhost") == "s00052"


def test_an_unknown_school_error_names_a_few_schools_not_thousands(many_schools):
    from School.context import UnknownSchool

    message = str(UnknownSchool("nosuch"))
    assert message.startswith("unknown school 'nosuch'; known schools: default, accra, nairobi, s00000")
    assert message.endswith(f" and {SCHOOLS + 3 - 20} more")


def test_prune_refuses_a_negative_age(platform, run_cli):
    result = run_cli("prune_registry_log", "--days", "-1", script="manage.py")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["CommandError: --days must be 0 or more, not -1"]
