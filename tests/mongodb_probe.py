"""What the MongoDB configuration does, observed without a MongoDB server.

Run by tests/test_mongodb_offline.py in a subprocess with MONGODB_URI pointing
at an address where nothing listens (127.0.0.1:1), because a process runs on
one engine: these facts need the MongoDB settings, the suite's own process has
the SQLite ones. Prints one JSON document; the tests make the assertions.

    python tests/mongodb_probe.py pipelines|clients|unavailable|transfers|documents|school_year|branding|register|indicators|access
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")

import django  # noqa: E402

django.setup()

from bson import json_util  # noqa: E402
from django.db import connections  # noqa: E402

from School.connections import ensure_alias  # noqa: E402
from School.utils import SchoolInfo  # noqa: E402


def compiled(queryset, alias):
    """The collection and aggregation pipeline a queryset sends; opens no connection."""
    compiler = queryset.query.get_compiler(using=alias)
    compiler.pre_sql_setup()
    return {"collection": compiler.collection_name, "pipeline": compiler.build_query().get_pipeline()}


def pipelines():
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from School.accounts.second_factor import device_query
    from School.identity.models import Guardian, Guardianship
    from School.records.table import StudentTableQuery
    from School.security.tokens import token_query
    from School.utils import REGISTRY_QUERIES, registry_query

    from bson import ObjectId

    key = ObjectId("0123456789abcdef01234567")
    params = {"host": "nairobi.localhost", "name": "nairobi", "school_key": key, "after": key}

    school = SchoolInfo("nairobi", "Nairobi")
    ensure_alias(school)
    page_two = StudentTableQuery(search="wanj", sort="second_name").queryset()[50:100]
    found = {
        "student_page": compiled(page_two, "nairobi"),
        "student_page_descending": compiled(StudentTableQuery(sort="first_name", descending=True).queryset()[:50], "nairobi"),
        "student_page_sex": compiled(
            StudentTableQuery.from_params({"sex": "unrecorded"}, hide_transferred=True).queryset()[:51], "nairobi"
        ),
        "guardianships_of_page": compiled(
            Guardianship.objects.filter(student_id__in=[key]).order_by("student_id", "position"), "nairobi"),
        "guardians_by_phone": compiled(Guardian.objects.filter(phone__in=["+254712345678"]), "nairobi"),
        "student_search_special": compiled(StudentTableQuery(search="o'neil (jr.)*").queryset()[:50], "nairobi"),
        # As typed or pasted: a no-break space, a double space, a decomposed accent.
        "student_search_pasted": compiled(
            StudentTableQuery.from_params({"q": " Mary\u00a0 Ame\u0301lie "}).queryset()[:50], "nairobi"
        ),
        **{f"registry_{name}": compiled(registry_query(name, **params), "default") for name in REGISTRY_QUERIES},
        "admin_login_user": compiled(get_user_model().objects.filter(username="ama")[:21], "nairobi"),
        "api_token": compiled(token_query("some-key", timezone.now())[:1], "nairobi"),
        "otp_device": compiled(device_query("otp_totp.totpdevice/0123456789abcdef01234567"), "nairobi"),
        "admin_session": compiled(
            Session.objects.filter(session_key="k" * 32, expire_date__gt=timezone.now())[:21], "nairobi"
        ),
    }
    from School.operations.clusters import counts_query

    found["schools_per_cluster"] = compiled(counts_query(), "default")
    from School.jobs.models import Job

    found["jobs_page"] = compiled(Job.objects.of_school("nairobi")[:100], "default")
    found["jobs_waiting"] = compiled(Job.objects.filter(state="queued", created_at__lt=timezone.now()), "default")
    found.update(platform_queries())
    found.update(identity_queries())
    connected = [alias for alias in connections if connections[alias].connection is not None]
    return {"queries": found, "connected_aliases": connected}


def platform_queries():
    """What the platform's figures send: the count in a school, the flat reads of `default`."""
    from django.utils import timezone

    from School.platform.dashboard import TOP
    from School.platform.health import FIELDS
    from School.platform.national import figures, schools
    from School.table_reads import students_query

    return {
        "figures_students": compiled(students_query("nairobi"), "nairobi"),
        "figures_listing": compiled(figures().values_list("school_id", *FIELDS), "default"),
        "figures_schools": compiled(schools().order_by("name").values_list("pk", "name", "cluster", "suspended"), "default"),
        "figures_fresh_backups": compiled(figures().filter(last_backup_at__gte=timezone.now()), "default"),
        "figures_largest": compiled(figures().order_by("-total").values_list("school_id", "total")[:TOP], "default"),
    }


def identity_queries():
    """What learner numbers and the duplicates report send (School/identity/)."""
    from School.identity.duplicates import shared_query
    from School.identity.registry import waiting_query
    from School.platform.models import StudentDigest

    return {
        "learner_waiting": compiled(waiting_query("nairobi"), "nairobi"),
        "duplicates_by_number": compiled(shared_query("learner"), "default"),
        "digests_of_school": compiled(StudentDigest.objects.filter(school_id="0123456789abcdef01234567")
                                      .values_list("pk", "student", "learner", "fingerprint", "active"), "default"),
    }


def clients():
    from School.mongo.clients import shared_clients

    threads_before = threading.active_count()
    main_cluster = [SchoolInfo(f"school{n:03d}", "x") for n in range(200)]
    # A district on a cluster of its own, as `schools add --mongodb-uri` does.
    other_cluster = [SchoolInfo(f"district{n:02d}", "x", (), "mongodb://127.0.0.2:1/?replicaSet=rs1") for n in range(20)]
    # Schools placed on another cluster of the pool (MONGODB_CLUSTERS), by name.
    pool_cluster = [SchoolInfo(f"east{n:02d}", "x", cluster="east") for n in range(20)]
    wrappers = []
    for school in main_cluster + other_cluster + pool_cluster:
        wrapper = connections[ensure_alias(school)]
        # What connect() does before its first command to the server.
        wrapper.connection = wrapper.get_new_connection(wrapper.get_connection_params())
        wrappers.append(wrapper)
    distinct = {id(wrapper.connection) for wrapper in wrappers}
    database_names = {wrapper.settings_dict["NAME"] for wrapper in wrappers}
    threads_after = threading.active_count()

    # Closing one school's pool must leave its neighbours working.
    survivor = wrappers[1].connection
    wrappers[0].close_pool()
    survivor_open = not survivor._closed and wrappers[1].connection is survivor

    # A forked worker must not inherit the parent's clients.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        child = {"shared_clients": len(shared_clients.clients()), "wrapper_connected": wrappers[5].connection is not None}
        os.write(write_end, json.dumps(child).encode())
        os._exit(0)
    os.close(write_end)
    child = json.loads(os.read(read_end, 4096))
    os.waitpid(pid, 0)
    return {
        "east_hosts": sorted({connections[school.name].settings_dict["HOST"] for school in pool_cluster}),
        "schools": len(wrappers),
        "distinct_clients": len(distinct),
        "shared_clients": len(shared_clients.clients()),
        "distinct_database_names": len(database_names),
        "threads_added": threads_after - threads_before,
        "neighbour_survives_close": survivor_open,
        "child_after_fork": child,
    }


def transfers():
    """A transfer from a school on the main cluster to one on `east`: which alias, cluster and collection each step's queries use."""
    import uuid

    from bson import ObjectId

    from School.transfers import protocol
    from School.transfers.models import OPEN_STATES

    sender, receiver = SchoolInfo("nairobi", "Nairobi"), SchoolInfo("accra", "Accra", cluster="east")
    neighbour = SchoolInfo("tamale", "Tamale", cluster="east")
    for school in (sender, receiver, neighbour):
        ensure_alias(school)
    key = uuid.UUID("12345678-1234-4678-9234-123456789abc")
    steps = {
        # accept:claimed, the incoming list, the command's listing: the registry.
        "claim": (protocol.envelopes().filter(key__in=[key], state__in=OPEN_STATES), "default"),
        "incoming": (protocol.envelopes().filter(target="accra", state__in=OPEN_STATES), "default"),
        # send:recorded, accept:prepared, accept:finalized: the sender's rows and students.
        "sender_rows": (protocol.outgoing(sender).filter(key__in=[key]), sender.alias),
        "sender_students": (protocol.students_at(sender).filter(pk__in=[ObjectId("0123456789abcdef01234567")]), sender.alias),
        # accept:copied: the receiver's markers and registration numbers.
        "receiver_markers": (protocol.arrivals(receiver).filter(key__in=[key]), receiver.alias),
        "receiver_numbers": (protocol.students_at(receiver).filter(registration_no__in=["NBI-0001"]), receiver.alias),
    }
    found = {}
    for name, (queryset, alias) in steps.items():
        assert queryset.db == alias, (name, queryset.db)
        found[name] = {**compiled(queryset, queryset.db), "alias": queryset.db,
                       "host": connections[queryset.db].settings_dict["HOST"],
                       "database": connections[queryset.db].settings_dict["NAME"]}
    wrappers = {school.alias: connections[school.alias] for school in (sender, receiver, neighbour)}
    for wrapper in wrappers.values():
        wrapper.connection = wrapper.get_new_connection(wrapper.get_connection_params())
    connected = [alias for alias in connections if alias not in wrappers and connections[alias].connection is not None]
    return {
        "steps": found,
        "receiver_shares_east_client": wrappers["accra"].connection is wrappers["tamale"].connection,
        "sender_client_is_other": wrappers["nairobi"].connection is not wrappers["accra"].connection,
        "connected_aliases": connected,
    }


def documents():
    """Where a school's files go on MongoDB: GridFS in the school's own database (no server needed to tell)."""
    from bson import ObjectId

    from django_mongodb_backend.base import DatabaseWrapper

    from School.documents.models import StudentFile
    from School.documents.storage import storage_for

    # Connecting asks the server its version; pymongo itself opens nothing until an operation.
    DatabaseWrapper.get_database_version = lambda self: (7, 0)
    found = {}
    for school in (SchoolInfo("nairobi", "Nairobi"), SchoolInfo("kisumu", "Kisumu", database="school_kisumu_20261130t0900z_abc123")):
        ensure_alias(school)
        storage = storage_for(school.alias)
        found[school.name] = {
            "storage": type(storage).__name__,
            "database": storage.database.name,
            "bucket": storage.bucket._collection.name,
        }
    student = ObjectId("0123456789abcdef01234567")
    found["page"] = compiled(StudentFile.objects.filter(student=student).order_by("kind", "-uploaded_at"), "nairobi")
    found["thumbnail"] = compiled(StudentFile.objects.only("thumbnail_key").filter(pk=student, kind="photo"), "nairobi")
    return found


def school_year():
    """What promotion day sends to a school's database: flat reads on indexed fields (no server needed to tell)."""
    from bson import ObjectId

    import uuid

    from School.platform.models import PlatformYear
    from School.school_year.models import CarriedEnrolment, Enrolment, PlatformStamp, Promotion, SchoolYear

    year = ObjectId("0123456789abcdef01234567")
    school = SchoolInfo("nairobi", "Nairobi")
    ensure_alias(school)
    found = {
        "current_year": compiled(SchoolYear.objects.filter(is_current=True)[:1], "nairobi"),
        "year_enrolments": compiled(
            Enrolment.objects.filter(year=year).values_list("student_id", "pk", "grade_id", "school_class_id"), "nairobi"
        ),
        "new_year_students": compiled(
            Enrolment.objects.filter(year=year, student__in=[year]).values_list("student_id", "pk"), "nairobi"
        ),
        "promotion_into": compiled(Promotion.objects.filter(to_year=year)[:1], "nairobi"),
        "promotion_out_of": compiled(Promotion.objects.filter(from_year=year)[:1], "nairobi"),
        # The platform calendar's copy, a transfer's years, graduates sent on (issue 32, the command-line slice).
        "platform_stamp": compiled(PlatformStamp.objects.filter(key="year:2027").values_list("digest", flat=True)[:1], "nairobi"),
        "carried_once": compiled(CarriedEnrolment.objects.filter(transfer_key__in=[uuid.uuid4()]).values_list("transfer_key"), "nairobi"),
        "carried_of_students": compiled(CarriedEnrolment.objects.filter(student_id__in=[year]), "nairobi"),
        "students_years": compiled(Enrolment.objects.filter(student_id__in=[year]).values_list("year_id", "outcome"), "nairobi"),
        "closed_by_promotion": compiled(Enrolment.objects.filter(closed_by=year).values_list("student_id"), "nairobi"),
        "platform_year": compiled(PlatformYear.objects.filter(name="2027")[:1], "default"),
        # A student's years on their page (School/school_year/history.py): one flat read, however many years.
        "student_history": compiled(
            Enrolment.objects.filter(student=year).values_list(
                "year_id", "grade_id", "school_class_id", "first_day", "last_day", "outcome"), "nairobi"
        ),
    }
    connected = [alias for alias in connections if connections[alias].connection is not None]
    return {"queries": found, "connected_aliases": connected}


def branding():
    """What a worker sends to a school's database for its look, and for its logo: one flat read by the unique key."""
    from School.branding.looks import look_query
    from School.branding.models import KEY, Branding

    ensure_alias(SchoolInfo("nairobi", "Nairobi"))
    found = {
        "look": compiled(look_query("nairobi"), "nairobi"),
        "logo": compiled(Branding.objects.filter(key=KEY, logo_digest="ab" * 16).values_list("logo", "logo_type")[:1], "nairobi"),
    }
    connected = [alias for alias in connections if connections[alias].connection is not None]
    return {"queries": found, "connected_aliases": connected}


def register():
    """What taking and reading registers sends (School/register/): flat reads on indexed fields, no join."""
    import datetime

    from bson import ObjectId

    import uuid

    from School.register.models import (
        AbsenceNotice, CarriedAttendance, CarriedMark, GroupMark, GroupMember, GroupRegister, Mark, RegisterGroup, RegisterTaken,
    )

    key = ObjectId("0123456789abcdef01234567")
    day = datetime.date(2026, 3, 2)
    school = SchoolInfo("nairobi", "Nairobi")
    ensure_alias(school)
    registers = RegisterTaken.objects.using("nairobi")
    marks = Mark.objects.using("nairobi")
    found = {
        # service.take: the register being saved, its marks, and the marks it replaces.
        "register": compiled(registers.filter(year=key, class_name="Form 1 East", date=day, session="day")[:1], "nairobi"),
        "register_marks": compiled(marks.filter(register=key).values_list("student_id", "code", "reason"), "nairobi"),
        "replaced_marks": compiled(marks.filter(register=key, student_id__in=[key]).values_list("pk"), "nairobi"),
        # reading.today, sheet.class_sheet and reading.student_attendance.
        "today": compiled(registers.filter(date=day, year=key), "nairobi"),
        "day_absences": compiled(marks.filter(register_id__in=[key], code__in=["absent-unexcused"]), "nairobi"),
        "month": compiled(registers.filter(year=key, class_name="Form 1 East", date__gte=day, date__lt=day)
                          .values_list("pk", "date", "session"), "nairobi"),
        "student_marks": compiled(marks.filter(student=key).values_list("register_id", "code"), "nairobi"),
        # absence_mails.send_notices: the day's mails already queued; carry.py: what a transfer carried.
        "day_notices": compiled(AbsenceNotice.objects.using("nairobi").filter(date=day, student_id__in=[key])
                                .values_list("student_id"), "nairobi"),
        "carried_attendance": compiled(CarriedAttendance.objects.using("nairobi").filter(student_id__in=[key]), "nairobi"),
        "carried_once": compiled(CarriedMark.objects.using("nairobi").filter(transfer_key__in=[uuid.UUID(int=1)]).values_list("transfer_key"), "nairobi"),
        # groups.py: a group by its name, its members, its register and marks (service.take with a GroupRef), and
        # the groups a transferred student leaves.
        "group": compiled(RegisterGroup.objects.using("nairobi").filter(year=key, name="Museum trip")[:1], "nairobi"),
        "group_members": compiled(GroupMember.objects.using("nairobi").filter(group_id=key).values_list("student_id"), "nairobi"),
        "group_register": compiled(GroupRegister.objects.using("nairobi").filter(group_id=key, date=day, session="day")[:1], "nairobi"),
        "group_marks": compiled(GroupMark.objects.using("nairobi").filter(register=key).values_list("student_id", "code"), "nairobi"),
        "left_groups": compiled(GroupMember.objects.using("nairobi").filter(student_id__in=[key]).values_list("pk"), "nairobi"),
    }
    connected = [alias for alias in connections if connections[alias].connection is not None]
    return {"queries": found, "connected_aliases": connected}


def indicators():
    """What counting a school's years and reading the indicators send (School/indicators/): flat reads, no join."""
    import datetime

    from bson import ObjectId

    from School.indicators.aggregate import active_users, members_query
    from School.indicators.attendance import current_rows
    from School.indicators.dashboard import snapshots
    from School.indicators.rates import rows
    from School.platform.models import YearAggregates
    from School.register.models import Mark, RegisterTaken
    from School.school_year.models import Enrolment, Promotion

    key = ObjectId("0123456789abcdef01234567")
    school = SchoolInfo("nairobi", "Nairobi")
    ensure_alias(school)
    day = datetime.date(2026, 3, 2)
    found = {
        "closed_years": compiled(Promotion.objects.using("nairobi").filter(state="done").values_list("from_year_id"), "nairobi"),
        "enrolments": compiled(Enrolment.objects.using("nairobi").order_by().values_list("year_id", "student_id", "grade_id", "outcome"), "nairobi"),
        "registers": compiled(RegisterTaken.objects.using("nairobi").order_by().values_list("pk", "year_id", "class_name", "date"), "nairobi"),
        "marks": compiled(Mark.objects.using("nairobi").order_by().values_list("register_id", "student_id", "code"), "nairobi"),
        "teacher_ids": compiled(members_query("nairobi", key), "nairobi"),
        "teachers": compiled(active_users("nairobi", [key]), "nairobi"),
        "school_years": compiled(YearAggregates.objects.using("default").filter(school_id=key), "default"),
        "year_rows": compiled(rows("2026").values_list("school_id", "closed"), "default"),
        "current_rows": compiled(current_rows().filter(last_register_day__lt=day).values_list("school_id"), "default"),
        "snapshot": compiled(snapshots()[:1], "default"),
    }
    connected = [alias for alias in connections if connections[alias].connection is not None]
    return {"queries": found, "connected_aliases": connected}


def unavailable():
    from django.test import Client

    timings = {}
    start = time.monotonic()
    response = Client(HTTP_HOST="nairobi.localhost", raise_request_exception=False).get("/")
    timings["page_seconds"] = time.monotonic() - start
    return {
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "body": response.content.decode(),
        **timings,
    }


def access():
    """Issue 30 on MongoDB: ids and page numbers from a request bounded, the rights queries compiled."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.http import Http404

    from School.models import Student
    from School.records.table import PAGE_SIZE, StudentTableQuery
    from School.security.bounds import object_ids, page_number
    from School.security.privileges import rights_query

    school = SchoolInfo("nairobi", "Nairobi")
    ensure_alias(school)
    ids = {}
    for text in ("0123456789abcdef01234567", "9" * 25, "1", "x"):
        try:
            ids[text] = [str(pk) for pk in object_ids(Student, [text])]
        except Http404:
            ids[text] = "404"
    offset = (page_number("9" * 25) - 1) * PAGE_SIZE
    user = get_user_model()(pk="0123456789abcdef01234567", username="amina")
    groups = Group.objects.filter(permissions__isnull=False).values_list(
        "pk", "permissions__content_type__app_label", "permissions__codename")
    found = {
        "ids": ids,
        "last_page": compiled(StudentTableQuery().queryset()[offset:offset + PAGE_SIZE + 1], "nairobi"),
        "rights": compiled(rights_query(user), "nairobi"),
        "group_rights": compiled(groups, "nairobi"),
        "permission_names": compiled(Permission.objects.values_list("content_type__app_label", "codename"), "nairobi"),
    }
    connected = [alias for alias in connections if connections[alias].connection is not None]
    return {"found": found, "connected_aliases": connected}


if __name__ == "__main__":
    result = {
        "pipelines": pipelines, "clients": clients, "unavailable": unavailable, "transfers": transfers, "documents": documents,
        "school_year": school_year, "branding": branding, "register": register, "indicators": indicators,
        "access": access,
    }[sys.argv[1]]()
    sys.stdout.write(json_util.dumps(result))
