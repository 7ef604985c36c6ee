"""New SQLite schools are copies of a migrated template, identical to a migrated database."""

import sqlite3

import pytest

import School.operations.provisioning as provisioning
import School.operations.templates as templates
from School.operations.provisioning import add_school
from School.context import tenant_context
from School.models import Student

pytestmark = pytest.mark.sqlite  # copies SQLite files; MongoDB schools are migrated in process


def rows(path, sql):
    with sqlite3.connect(path) as db:
        return sorted(db.execute(sql).fetchall())


def schema(path):
    return rows(path, "SELECT type, name, tbl_name, sql FROM sqlite_master")


def applied(path):
    return rows(path, "SELECT app, name FROM django_migrations")


def no_migrations(monkeypatch):
    def refuse(school, **kwargs):
        raise AssertionError(f"{school.name} was migrated, not copied")

    monkeypatch.setattr(provisioning, "migrate_school", refuse)


def test_a_provisioned_school_is_identical_to_a_freshly_migrated_database(three_schools, monkeypatch):
    add_school("kisumu", ["kisumu.localhost"])  # builds the template on first use
    no_migrations(monkeypatch)
    add_school("kakamega", ["kakamega.localhost"])
    migrated = three_schools.templates / "school.sqlite3"  # `migrate` run on an empty file
    for name in ("kisumu", "kakamega"):
        copied = three_schools.db_dir / f"{name}.sqlite3"
        assert schema(copied) == schema(migrated)
        assert applied(copied) == applied(migrated)
        # Rows that post_migrate writes (content types, permissions) are there too.
        for table in ("django_content_type", "auth_permission"):
            assert rows(copied, f"SELECT * FROM {table}") == rows(migrated, f"SELECT * FROM {table}")
    with tenant_context("kakamega"):
        Student.objects.create(registration_no="KAK-1", first_name="Ama", second_name="Owusu")
        assert Student.objects.count() == 1
    with tenant_context("kisumu"):
        assert Student.objects.count() == 0


def test_changed_migrations_build_a_new_template_and_drop_the_old(three_schools, monkeypatch):
    add_school("kisumu", ["kisumu.localhost"])
    (old,) = three_schools.db_dir.glob(".template-*.sqlite3")
    monkeypatch.setattr(templates, "migration_state", lambda: "0123456789abcdef")
    add_school("kakamega", ["kakamega.localhost"])
    assert [path.name for path in three_schools.db_dir.glob(".template-*")] == [".template-0123456789abcdef.sqlite3"]
    assert not old.exists()


def test_an_existing_database_is_migrated_and_kept_not_overwritten(three_schools, monkeypatch):
    add_school("kisumu", ["kisumu.localhost"])
    with tenant_context("kisumu"):
        Student.objects.create(registration_no="KIS-1", first_name="Otieno", second_name="Odhiambo")
    provisioning.remove_school("kisumu")  # data kept
    add_school("kisumu", ["kisumu.localhost"])
    with tenant_context("kisumu"):
        assert list(Student.objects.values_list("registration_no", flat=True)) == ["KIS-1"]
    assert not list(three_schools.db_dir.glob(".kisumu.sqlite3.copy-*"))


def test_the_template_state_follows_the_migration_graph(monkeypatch):
    before = templates.migration_state()
    nodes = templates.migration_graph_nodes()
    monkeypatch.setattr(templates, "migration_graph_nodes", lambda: nodes | {("School", "0099_new")})
    assert templates.migration_state() != before


def test_the_template_state_follows_the_standard_groups(monkeypatch):
    """A permission given to a standard group without a migration: new schools must not copy a template without it."""
    from School.accounts import groups

    before = templates.migration_state()
    changed = (*groups.SPECS[:-1], groups.GroupSpec(groups.SPECS[-1].name, (*groups.SPECS[-1].permissions, "x.y"), True))
    monkeypatch.setattr(groups, "SPECS", changed)
    assert templates.migration_state() != before
