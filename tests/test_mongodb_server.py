"""Behaviour only a real MongoDB server can show; runs when MONGODB_URI is set.

The rest of the suite runs on that server too (see conftest.py); these tests
look at MongoDB itself: databases, indexes, the shared client.
"""

import pytest
from django.conf import settings
from django.db import connections

from School.context import tenant_context
from School.models import Student
from School.mongo.clients import shared_clients
from School.operations.provisioning import add_school, remove_school

pytestmark = pytest.mark.mongodb


def database_names():
    return set(connections["default"].connection.list_database_names())


def test_each_school_is_its_own_database_on_one_shared_client(three_schools):
    prefix = settings.MONGODB_DB_PREFIX
    assert {f"{prefix}default", f"{prefix}nairobi", f"{prefix}accra"} <= database_names()
    with tenant_context("nairobi"):
        Student.objects.count()
    with tenant_context("accra"):
        Student.objects.count()
    assert connections["nairobi"].connection is connections["accra"].connection
    assert len(shared_clients.clients()) == 1
    raw = connections["nairobi"].connection[f"{prefix}nairobi"]["School_student"]
    assert raw.count_documents({"registration_no": {"$regex": "^ACC-"}}) == 0
    assert raw.count_documents({"registration_no": {"$regex": "^NBI-"}}) == 5


def test_declared_indexes_exist_in_every_school(three_schools):
    for school in ("nairobi", "accra"):
        indexes = connections[school].get_collection("School_student").index_information()
        unique = [spec for spec in indexes.values() if spec.get("unique")]
        assert [("registration_no", 1)] in [spec["key"] for spec in unique]
        assert "student_name_idx" in indexes


def test_drop_data_drops_the_schools_database(three_schools):
    add_school("kisumu", ["kisumu.localhost"])
    assert f"{settings.MONGODB_DB_PREFIX}kisumu" in database_names()
    remove_school("kisumu", drop_data=True)
    assert f"{settings.MONGODB_DB_PREFIX}kisumu" not in database_names()


def test_a_school_on_an_unreachable_cluster_is_a_503_for_that_school_only(three_schools, settings):
    from django.test import Client

    from School.models import School as SchoolRecord
    from School.models import SchoolHost

    settings.MONGODB_TIMEOUT_MS = 500
    school = SchoolRecord.objects.using("default").create(
        name="faraway", display_name="Far Away", mongodb_uri="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500"
    )
    SchoolHost.objects.using("default").create(school=school, host="faraway.localhost")
    response = Client(HTTP_HOST="faraway.localhost", raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert "127.0.0.1:1" not in response.content.decode()
    assert Client(HTTP_HOST="nairobi.localhost").get("/").status_code == 200
