"""MongoDB checks that need no server: they run in every CI run.

Facts that need the MongoDB settings are observed by tests/mongodb_probe.py in
a subprocess whose MONGODB_URI points at 127.0.0.1:1, where nothing listens.
What only a real server can show (indexes being used, transactions, the whole
suite on MongoDB) is covered by running this suite with MONGODB_URI set.
"""

import json
import subprocess
import sys
import time

import pytest
from pymongo import MongoClient
from pymongo.errors import ServerSelectionTimeoutError

from School.availability import unavailable_reason
from School.mongo.clients import SharedClients
from School.models import RegistryChange, School, SchoolHost, Student
from School.uri import redact_uri
from tests.conftest import ROOT

UNREACHABLE = "mongodb://admin:s3cret@127.0.0.1:1/?replicaSet=rs0"


def mongodb_env(tmp_path, **extra):
    import os

    return {
        **os.environ,
        "MONGODB_URI": UNREACHABLE,
        "MONGODB_TIMEOUT_MS": "1000",
        "SCHOOL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "multitenant.settings",
        **extra,
    }


def run(args, env, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def probe(tmp_path, what):
    result = run(["tests/mongodb_probe.py", what], mongodb_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


# --- one client per cluster -------------------------------------------------


EAST = "mongodb://app:east-secret@127.0.0.3:1/?replicaSet=rs2"


def test_two_hundred_schools_share_one_client_per_cluster(tmp_path):
    result = run(["tests/mongodb_probe.py", "clients"], mongodb_env(tmp_path, MONGODB_CLUSTERS=f"east={EAST}"))
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout)
    assert facts["schools"] == 240
    assert facts["east_hosts"] == [EAST]  # schools placed on `east` open that cluster
    assert facts["distinct_clients"] == 3  # the deployment's cluster, east, and the district's own
    assert facts["shared_clients"] == 3
    assert facts["distinct_database_names"] == 240  # each school keeps its own database
    assert facts["threads_added"] == 0  # clients are lazy: no monitor threads for idle schools
    assert facts["neighbour_survives_close"] is True
    assert facts["child_after_fork"] == {"shared_clients": 0, "wrapper_connected": False}


def test_shared_clients_key_on_cluster_not_database():
    clients = SharedClients()
    a = clients.acquire({"host": "mongodb://127.0.0.1:1", "serverSelectionTimeoutMS": 100})
    b = clients.acquire({"host": "mongodb://127.0.0.1:1", "serverSelectionTimeoutMS": 100})
    c = clients.acquire({"host": "mongodb://127.0.0.2:1", "serverSelectionTimeoutMS": 100})
    assert a is b and a is not c
    assert isinstance(a, MongoClient)
    clients.release(a)
    assert not a._closed  # b still uses it
    clients.release(b)
    assert a._closed
    assert clients.clients() == [c]
    clients.close_all()
    assert c._closed


# --- fast, clear failure ------------------------------------------------------


def test_page_answers_503_quickly_without_secrets(tmp_path):
    facts = probe(tmp_path, "unavailable")
    assert facts["status"] == 503
    assert facts["retry_after"] == "30"
    assert "temporarily unavailable" in facts["body"].lower()
    for secret in ("s3cret", "admin:", "127.0.0.1:1"):
        assert secret not in facts["body"]
    # The configured 1 s, not pymongo's 30 s (generous margin for a busy machine).
    assert facts["page_seconds"] < 15


def test_cli_fails_with_one_line_naming_the_cluster(tmp_path):
    started = time.monotonic()
    result = run(["school_manage.py", "nairobi", "migrate"], mongodb_env(tmp_path))
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[-1]] and "error: cannot reach the MongoDB cluster 127.0.0.1:1" in lines[-1], result.stderr
    assert "s3cret" not in result.stderr and "admin" not in result.stderr
    assert elapsed < 25  # three 1 s attempts at most, never pymongo's 30 s


def test_manage_py_check_passes_with_the_cluster_down(tmp_path):
    result = run(["manage.py", "check"], mongodb_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_unavailable_reason_names_servers_and_timeout_only():
    error = ServerSelectionTimeoutError(
        "db1.example:27017: timed out (configured timeouts: connectTimeoutMS: 5000.0ms),"
        "db2.example:27017: [Errno 111] Connection refused (configured timeouts: connectTimeoutMS: 5000.0ms), "
        "Timeout: 5.0s, Topology Description: <TopologyDescription id: 1, topology_type: ReplicaSetNoPrimary>"
    )
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = error
    assert unavailable_reason(wrapped) == (
        "cannot reach the MongoDB cluster db1.example:27017, db2.example:27017 (no answer within 5.0s): timed out"
    )
    assert unavailable_reason(ValueError("a bug")) is None


@pytest.mark.parametrize(
    "uri, shown",
    [
        ("mongodb://admin:s3cret@db1:27017,db2:27017/?replicaSet=rs0", "mongodb://db1:27017,db2:27017"),
        ("mongodb+srv://user:p%40ss@cluster0.example.mongodb.net/?retryWrites=true", "mongodb+srv://cluster0.example.mongodb.net"),
        ("mongodb://localhost", "mongodb://localhost"),
    ],
)
def test_uris_are_shown_without_credentials(uri, shown):
    assert redact_uri(uri) == shown


# --- two migration trees, both up to date -----------------------------------------


@pytest.mark.parametrize("engine", ["sqlite", "mongodb"])
def test_migrations_are_up_to_date_for_both_engines(tmp_path, engine):
    env = mongodb_env(tmp_path, SCHOOL_DATABASES_OFFLINE="1")
    if engine == "sqlite":
        env.pop("MONGODB_URI")
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


# --- what the hot queries send to MongoDB ----------------------------------------------


def stages(query):
    return [next(iter(stage)) for stage in query["pipeline"]]


def indexed_fields(model):
    fields = {field.attname for field in model._meta.fields if field.unique or field.primary_key}
    for index in model._meta.indexes:
        fields.update(name.lstrip("-") for name in index.fields)
    return fields | {"_id"}


def matched_fields(match):
    found = set()
    for key, value in match.items():
        if key in ("$or", "$and"):
            for part in value:
                found |= matched_fields(part)
        else:
            found.add(key)
    return found


def compiled_offline(tmp_path_factory, what):
    facts = probe(tmp_path_factory.mktemp("mongo"), what)
    assert facts["connected_aliases"] == []  # compiling opened no connection
    return facts


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory):
    return compiled_offline(tmp_path_factory, "pipelines")["queries"]


def test_student_page_pipeline_is_paginated_sorted_and_has_no_lookup(pipelines):
    page = pipelines["student_page"]
    assert page["collection"] == Student._meta.db_table
    assert "$lookup" not in stages(page)
    assert {"$skip": 50} in page["pipeline"] and {"$limit": 50} in page["pipeline"]
    sort = next(stage["$sort"] for stage in page["pipeline"] if "$sort" in stage)
    assert list(sort.items()) == [("second_name", 1), ("_id", 1)]
    match = next(stage["$match"] for stage in page["pipeline"] if "$match" in stage)
    # The prefix search compares the lower-case key columns and the learner number (stored in
    # capitals), each indexed.
    assert matched_fields(match) == {"first_name_key", "second_name_key", "registration_key", "learner_no"}
    assert matched_fields(match) | set(sort) <= indexed_fields(Student)
    descending = pipelines["student_page_descending"]
    assert next(s["$sort"] for s in descending["pipeline"] if "$sort" in s) == {"first_name": -1, "_id": -1}


def test_the_sex_filter_matches_on_an_indexed_field_and_the_figures_group_by_it(pipelines):
    page = pipelines["student_page_sex"]
    assert "$lookup" not in stages(page)
    match = next(stage["$match"] for stage in page["pipeline"] if "$match" in stage)
    assert {"sex": ""} in match["$and"]  # "unrecorded" is the stored empty value
    assert matched_fields(match) - {"$nor"} == {"sex"}  # and not transferred ($nor: status)
    assert "sex" in indexed_fields(Student)
    # The figures count by sex from the one read of the students (School/table_reads.py).
    from School.table_reads import STUDENT_COLUMNS

    assert "sex" in STUDENT_COLUMNS and pipelines["figures_students"]["collection"] == Student._meta.db_table


def test_guardians_are_read_in_two_flat_queries_on_indexed_fields(pipelines):
    from School.identity.models import Guardian, Guardianship

    for name, model in (("guardianships_of_page", Guardianship), ("guardians_by_phone", Guardian)):
        query = pipelines[name]
        assert query["collection"] == model._meta.db_table and "$lookup" not in stages(query), name
        fields = matched_fields(query["pipeline"][0]["$match"])
        assert fields <= indexed_fields(model) | {f"{field}_id" for field in indexed_fields(model)}, name


def test_user_search_text_is_not_a_regular_expression(pipelines):
    pipeline = pipelines["student_search_special"]["pipeline"]
    match = next(stage["$match"] for stage in pipeline if "$match" in stage)
    # A range from the text as typed (lower-case), never a regular expression.
    assert match["$or"][0]["$and"][0] == {"first_name_key": {"$gte": "o'neil (jr.)*"}}
    assert "$regex" not in json.dumps(pipeline)


def test_a_pasted_search_is_normalised_as_names_are_stored(pipelines):
    # The same form as the key columns hold (School.validation.normalise_text, lower-case).
    match = next(stage["$match"] for stage in pipelines["student_search_pasted"]["pipeline"] if "$match" in stage)
    assert match["$or"][0]["$and"][0] == {"first_name_key": {"$gte": "mary amélie"}}


HOT_REGISTRY_QUERIES = {
    # What a worker runs on the request path: a first-seen host or name, and
    # the change log every SCHOOL_REGISTRY_TTL seconds.
    "registry_host": (SchoolHost, {"host"}),
    "registry_school_by_key": (School, {"_id"}),
    "registry_school_by_name": (School, {"name"}),
    "registry_hosts_of_school": (SchoolHost, {"school_id"}),
    "registry_changes_since": (RegistryChange, {"_id"}),
}


def test_registry_hot_queries_are_flat_and_match_on_indexed_fields(pipelines):
    for name, (model, fields) in HOT_REGISTRY_QUERIES.items():
        query = pipelines[name]
        assert query["collection"] == model._meta.db_table
        assert "$lookup" not in stages(query), name
        assert stages(query)[0] == "$match", name
        assert matched_fields(query["pipeline"][0]["$match"]) == fields, name
        indexed = indexed_fields(model) | {f"{field}_id" for field in indexed_fields(model)}
        assert fields <= indexed, name
    assert {"$sort": {"_id": 1}} in pipelines["registry_changes_since"]["pipeline"]
    assert pipelines["registry_latest_change"]["pipeline"] == [{"$sort": {"_id": -1}}, {"$limit": 1}]
    for name in ("registry_host", "registry_school_by_key", "registry_school_by_name", "registry_hosts_of_school"):
        assert "$sort" not in stages(pipelines[name]), name


def test_a_schools_jobs_are_read_by_its_indexed_name_newest_first_without_a_join(pipelines):
    from School.jobs.models import Job

    page = pipelines["jobs_page"]
    assert page["collection"] == Job._meta.db_table and "$lookup" not in stages(page)
    match = next(stage["$match"] for stage in page["pipeline"] if "$match" in stage)
    assert matched_fields(match) <= indexed_fields(Job) and {"$limit": 100} in page["pipeline"]
    sort = next(stage["$sort"] for stage in page["pipeline"] if "$sort" in stage)
    assert list(sort.items())[0] == ("created_at", -1)
    waiting = next(stage["$match"] for stage in pipelines["jobs_waiting"]["pipeline"] if "$match" in stage)
    assert matched_fields(waiting) <= indexed_fields(Job) | {"state", "created_at"}


def test_schools_per_cluster_is_counted_by_the_server(pipelines):
    query = pipelines["schools_per_cluster"]
    assert query["collection"] == School._meta.db_table
    assert "$lookup" not in stages(query)
    assert "$group" in stages(query)  # not one document per school sent to the worker
    assert query["pipeline"][0] == {"$match": {"mongodb_uri": ""}}


def test_admin_login_queries_match_on_unique_keys(pipelines):
    user = pipelines["admin_login_user"]
    assert user["collection"] == "auth_user"
    assert user["pipeline"][0] == {"$match": {"username": "ama"}}
    session = pipelines["admin_session"]
    assert session["collection"] == "django_session"
    assert "$lookup" not in stages(user) + stages(session)
    assert {"session_key": "k" * 32} in session["pipeline"][0]["$match"]["$and"]


def test_api_token_lookup_matches_the_unique_digest_without_a_join(pipelines):
    from School.security.models import ApiToken
    from School.security.tokens import digest

    token = pipelines["api_token"]
    assert token["collection"] == ApiToken._meta.db_table
    assert "$lookup" not in stages(token)
    match = token["pipeline"][0]["$match"]
    assert {"digest": digest("some-key")} in match["$and"]
    assert "digest" in indexed_fields(ApiToken)
    assert "some-key" not in str(token)  # only the hash is ever sent


def test_a_sessions_second_factor_is_found_by_its_objectid(pipelines):
    # django-otp's own look-up does int(id): no session would stay verified on MongoDB.
    device = pipelines["otp_device"]
    assert device["collection"] == "otp_totp_totpdevice"
    assert "$lookup" not in stages(device) and "$sort" not in stages(device)
    assert device["pipeline"] == [{"$match": {"_id": {"$oid": "0123456789abcdef01234567"}}}, {"$limit": 1}]


def test_schools_list_shows_the_cluster_without_credentials(settings):
    from School.management.commands.schools import database_of
    from School.utils import SchoolInfo

    settings.SCHOOL_ENGINE = "mongodb"
    settings.MONGODB_URI = "mongodb://app:hunter2@db1:27017,db2:27017/?replicaSet=rs0"
    settings.MONGODB_DB_PREFIX = "school_"
    assert database_of(SchoolInfo("nairobi", "Nairobi")) == "school_nairobi on mongodb://db1:27017,db2:27017"
    district = SchoolInfo("kisumu", "Kisumu", (), "mongodb+srv://ops:s3cret@district.example.net/")
    assert database_of(district) == "school_kisumu on mongodb+srv://district.example.net"


# --- a transfer between two clusters ---------------------------------------------------------------


def test_a_transfer_across_clusters_reads_and_writes_each_school_on_its_own_cluster(tmp_path):
    """Sender on the deployment's cluster, receiver on `east`: each step's queries go to that school's
    alias and cluster, the envelope to the registry; no query joins (a $lookup cannot cross databases)."""
    from School.transfers.models import IncomingTransfer, OutgoingTransfer, Transfer

    result = run(["tests/mongodb_probe.py", "transfers"], mongodb_env(tmp_path, MONGODB_CLUSTERS=f"east={EAST}"))
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout)
    steps = facts["steps"]
    expected = {
        "claim": ("default", UNREACHABLE, Transfer, {"key", "state"}),
        "incoming": ("default", UNREACHABLE, Transfer, {"target", "state"}),
        "sender_rows": ("nairobi", UNREACHABLE, OutgoingTransfer, {"key"}),
        "sender_students": ("nairobi", UNREACHABLE, Student, {"_id"}),
        "receiver_markers": ("accra", EAST, IncomingTransfer, {"key"}),
        "receiver_numbers": ("accra", EAST, Student, {"registration_no"}),
    }
    for name, (alias, host, model, fields) in expected.items():
        step = steps[name]
        assert (step["alias"], step["host"], step["collection"]) == (alias, host, model._meta.db_table), name
        assert "$lookup" not in stages(step), name
        assert matched_fields(step["pipeline"][0]["$match"]) == fields, name
        assert next(iter(fields - {"state"})) in indexed_fields(model), name
    assert steps["receiver_markers"]["database"] == "school_accra" and steps["sender_rows"]["database"] == "school_nairobi"
    assert facts["receiver_shares_east_client"] and facts["sender_client_is_other"]
    assert facts["connected_aliases"] == []  # compiling opened no connection


# --- students' files (School/documents/) -------------------------------------------------


def test_student_files_go_to_gridfs_in_the_schools_own_database(tmp_path):
    facts = probe(tmp_path, "documents")
    assert facts["nairobi"] == {"storage": "GridFSStorage", "database": "school_nairobi", "bucket": "documents"}
    # A restored or moved school's files follow its database.
    assert facts["kisumu"]["database"] == "school_kisumu_20261130t0900z_abc123"
    for query in (facts["page"], facts["thumbnail"]):
        assert query["collection"] == "documents_studentfile" and "$lookup" not in stages(query)


def test_platform_figures_are_counted_from_one_flat_read_of_the_students_and_read_without_a_join(pipelines):
    from School.platform.models import SchoolFigures

    # One flat read of the students' few columns a count, shared by the figures, the
    # digests and the indicators (School/table_reads.py), which all needed every student.
    read = pipelines["figures_students"]
    assert read["collection"] == Student._meta.db_table and "$lookup" not in stages(read)
    assert not {"$match", "$group"} & set(stages(read))  # every student, as the digests need them, in one read
    for name in ("figures_students", "figures_listing", "figures_schools", "figures_fresh_backups", "figures_largest"):
        assert "$lookup" not in stages(pipelines[name]), name
    assert pipelines["figures_listing"]["collection"] == SchoolFigures._meta.db_table
    assert pipelines["figures_schools"]["collection"] == School._meta.db_table
    assert {"$limit": 10} in pipelines["figures_largest"]["pipeline"]
    assert next(s["$sort"] for s in pipelines["figures_largest"]["pipeline"] if "$sort" in s) == {"total": -1}
    assert "last_backup_at" in matched_fields(pipelines["figures_fresh_backups"]["pipeline"][0]["$match"])


def test_learner_numbers_and_duplicates_are_found_by_indexed_fields_and_grouped_by_the_server(pipelines):
    from School.platform.models import StudentDigest

    waiting = pipelines["learner_waiting"]
    assert waiting["collection"] == Student._meta.db_table and "$lookup" not in stages(waiting)
    assert matched_fields(waiting["pipeline"][0]["$match"]) <= indexed_fields(Student)
    shared = pipelines["duplicates_by_number"]
    assert shared["collection"] == StudentDigest._meta.db_table and "$group" in stages(shared)
    assert matched_fields(shared["pipeline"][0]["$match"]) <= {"active", "learner"}
    digests = pipelines["digests_of_school"]
    assert "$lookup" not in stages(digests) and matched_fields(digests["pipeline"][0]["$match"]) == {"school_id"}


# --- the school year (School/school_year/) ------------------------------------------------------


def flat_read_of(query, name, model, fields):
    """Check `query` reads `model`'s collection with a first $match on exactly `fields`, no join; its indexed fields."""
    assert query["collection"] == model._meta.db_table, name
    assert "$lookup" not in stages(query), name
    assert stages(query)[0] == "$match", name
    assert matched_fields(query["pipeline"][0]["$match"]) == fields, name
    indexed = {field.attname for field in model._meta.fields if field.db_index or field.unique}
    for constraint in model._meta.constraints:
        indexed.update(model._meta.get_field(field).attname for field in constraint.fields)
    for index in model._meta.indexes:
        indexed.update(model._meta.get_field(field).attname for field in index.fields)
    return indexed


def test_promotion_days_queries_are_flat_and_match_on_indexed_fields(tmp_path):
    """The new app's collections in the school's own database; every read promotion makes is a $match
    on fields with an index (a foreign key's, a unique constraint's), with no join. Its migrations are
    checked by test_migrations_are_up_to_date_for_both_engines."""
    from School.platform.models import PlatformYear
    from School.school_year.models import CarriedEnrolment, Enrolment, PlatformStamp, Promotion, SchoolYear

    facts = probe(tmp_path, "school_year")
    assert facts["connected_aliases"] == []  # compiling opened no connection
    queries = facts["queries"]
    expected = {
        "current_year": (SchoolYear, {"is_current"}),
        "year_enrolments": (Enrolment, {"year_id"}),
        "new_year_students": (Enrolment, {"year_id", "student_id"}),
        "promotion_into": (Promotion, {"to_year_id"}),
        "promotion_out_of": (Promotion, {"from_year_id"}),
        "student_history": (Enrolment, {"student_id"}),
        "platform_stamp": (PlatformStamp, {"key"}),
        "carried_once": (CarriedEnrolment, {"transfer_key"}),
        "carried_of_students": (CarriedEnrolment, {"student_id"}),
        "students_years": (Enrolment, {"student_id"}),
        "closed_by_promotion": (Enrolment, {"closed_by_id"}),
        "platform_year": (PlatformYear, {"name"}),
    }
    for name, (model, fields) in expected.items():
        assert fields <= flat_read_of(queries[name], name, model, fields), name


# --- the daily register (School/register/) ------------------------------------------------------


def test_the_registers_queries_are_flat_and_match_on_indexed_fields(tmp_path):
    """Saving a register, today's page, the class sheet and a student's figures: each a $match on fields
    with an index (a foreign key's, a unique constraint's, the date's), with no join. Its migrations are
    checked by test_migrations_are_up_to_date_for_both_engines."""
    from School.register.models import (
        AbsenceNotice, CarriedAttendance, CarriedMark, GroupMark, GroupMember, GroupRegister, Mark, RegisterGroup, RegisterTaken,
    )

    facts = probe(tmp_path, "register")
    assert facts["connected_aliases"] == []  # compiling opened no connection
    expected = {
        "register": (RegisterTaken, {"year_id", "class_name", "date", "session"}),
        "register_marks": (Mark, {"register_id"}),
        "replaced_marks": (Mark, {"register_id", "student_id"}),
        "today": (RegisterTaken, {"date", "year_id"}),
        "day_absences": (Mark, {"register_id", "code"}),
        "month": (RegisterTaken, {"year_id", "class_name", "date"}),
        "student_marks": (Mark, {"student_id"}),
        "day_notices": (AbsenceNotice, {"date", "student_id"}),
        "carried_attendance": (CarriedAttendance, {"student_id"}),
        "carried_once": (CarriedMark, {"transfer_key"}),
        "group": (RegisterGroup, {"year_id", "name"}),
        "group_members": (GroupMember, {"group_id"}),
        "group_register": (GroupRegister, {"group_id", "date", "session"}),
        "group_marks": (GroupMark, {"register_id"}),
        "left_groups": (GroupMember, {"student_id"}),
    }
    for name, (model, fields) in expected.items():
        # An index to start from; the other fields matched narrow what it finds.
        assert fields & flat_read_of(facts["queries"][name], name, model, fields), name


# --- the ministry's numbers (School/indicators/) -------------------------------------------------


def test_the_indicators_count_a_school_and_read_default_without_a_join(tmp_path):
    """Counting a school's years (enrolments, registers, marks, teachers) and the platform's reads of YearAggregates:
    each a flat read, its first $match on indexed fields. The new model and the grades' levels are checked in both
    migration trees by test_migrations_are_up_to_date_for_both_engines."""
    from django.contrib.auth import get_user_model

    from School.platform.models import IndicatorSnapshot, YearAggregates
    from School.register.models import Mark, RegisterTaken
    from School.school_year.models import Enrolment, Promotion

    facts = probe(tmp_path, "indicators")
    assert facts["connected_aliases"] == []  # compiling opened no connection
    queries = facts["queries"]
    for name, query in queries.items():
        assert "$lookup" not in stages(query), name
    # A school's enrolments, registers and marks are each read whole, once per count (School/indicators/aggregate.py).
    for name, model in (("enrolments", Enrolment), ("registers", RegisterTaken), ("marks", Mark)):
        assert queries[name]["collection"] == model._meta.db_table, name
    expected = {
        "closed_years": (Promotion, {"state"}),
        "teachers": (get_user_model(), {"_id", "is_active"}),
        "teacher_ids": (get_user_model().groups.through, {"group_id"}),
        "school_years": (YearAggregates, {"school_id"}),
        "year_rows": (YearAggregates, {"year"}),
        "current_rows": (YearAggregates, {"is_current", "last_register_day"}),
    }
    for name, (model, fields) in expected.items():
        if name in ("closed_years", "teachers", "teacher_ids"):  # a school's few promotions; its teachers
            assert queries[name]["collection"] == model._meta.db_table and stages(queries[name])[0] == "$match", name
            continue
        assert fields & flat_read_of(queries[name], name, model, fields), name
    # The dashboard's kept rates by grade: the latest snapshot, sorted on its indexed computed_at, one document.
    snapshot = queries["snapshot"]
    assert snapshot["collection"] == IndicatorSnapshot._meta.db_table and IndicatorSnapshot._meta.get_field("computed_at").db_index
    assert {"$sort": {"computed_at": -1}} in snapshot["pipeline"] and {"$limit": 1} in snapshot["pipeline"]
    assert "$lookup" not in stages(snapshot)


# --- each school's branding (School/branding/) --------------------------------------------------


def test_a_schools_look_and_logo_are_one_flat_read_of_its_own_database(tmp_path):
    """The branding's row is in the school's own database (collection branding_branding there), read by
    its unique key with no join and no sort. Its migrations are
    checked by test_migrations_are_up_to_date_for_both_engines."""
    from School.branding.models import Branding

    facts = probe(tmp_path, "branding")
    assert facts["connected_aliases"] == []
    look, logo = facts["queries"]["look"], facts["queries"]["logo"]
    for query in (look, logo):
        assert query["collection"] == Branding._meta.db_table == "branding_branding"
        assert stages(query)[0] == "$match" and "$lookup" not in stages(query) and "$sort" not in stages(query)
        assert {"$limit": 1} in query["pipeline"]
    assert matched_fields(look["pipeline"][0]["$match"]) == {"key"} and Branding._meta.get_field("key").unique


# --- issue 30: what a request may ask of the database, and who may grant what ------------------


@pytest.fixture(scope="module")
def access(tmp_path_factory):
    return compiled_offline(tmp_path_factory, "access")["found"]


def test_only_object_ids_reach_a_query_on_mongodb(access):
    assert access["ids"] == {
        "0123456789abcdef01234567": ["0123456789abcdef01234567"], "9" * 25: "404", "1": "404", "x": "404",
    }


def test_a_hostile_page_number_is_a_bounded_skip(access):
    pipeline = access["last_page"]["pipeline"]
    skip = next(stage["$skip"] for stage in pipeline if "$skip" in stage)
    assert 0 < skip < 2**31 and {"$limit": 51} in pipeline  # an int32, what every server takes


def test_the_rights_a_school_admin_is_compared_with_compile_for_mongodb(access):
    # A user's permissions directly and through groups, and each group's: joins, but on admin pages only.
    for name in ("rights", "group_rights", "permission_names"):
        assert access[name]["collection"] in ("auth_permission", "auth_group"), name
    rights = json.dumps(access["rights"]["pipeline"])
    assert "auth_user_user_permissions" in rights and "auth_user_groups" in rights
