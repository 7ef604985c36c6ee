"""What the MongoDB configuration does, observed without a MongoDB server.

Run by tests/test_mongodb_offline.py in a subprocess with MONGODB_URI pointing
at an address where nothing listens (127.0.0.1:1), because a process runs on
one engine: these facts need the MongoDB settings, the suite's own process has
the SQLite ones. Prints one JSON document; the tests make the assertions.

    python tests/mongodb_probe.py pipelines|clients|unavailable
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
        "student_search_special": compiled(StudentTableQuery(search="o'neil (jr.)*").queryset()[:50], "nairobi"),
        **{f"registry_{name}": compiled(registry_query(name, **params), "default") for name in REGISTRY_QUERIES},
        "admin_login_user": compiled(get_user_model().objects.filter(username="ama")[:21], "nairobi"),
        "api_token": compiled(token_query("some-key", timezone.now())[:1], "nairobi"),
        "admin_session": compiled(
            Session.objects.filter(session_key="k" * 32, expire_date__gt=timezone.now())[:21], "nairobi"
        ),
    }
    from School.operations.clusters import counts_query

    found["schools_per_cluster"] = compiled(counts_query(), "default")
    found.update(platform_queries())
    connected = [alias for alias in connections if connections[alias].connection is not None]
    return {"queries": found, "connected_aliases": connected}


def platform_queries():
    """What the platform's figures send: the count in a school, the flat reads of `default`."""
    from django.utils import timezone

    from School.platform.dashboard import TOP
    from School.platform.figures import counts_query
    from School.platform.health import FIELDS
    from School.platform.national import figures, schools

    return {
        "figures_count": compiled(counts_query("nairobi"), "nairobi"),
        "figures_listing": compiled(figures().values_list("school_id", *FIELDS), "default"),
        "figures_schools": compiled(schools().order_by("name").values_list("pk", "name", "cluster", "suspended"), "default"),
        "figures_fresh_backups": compiled(figures().filter(last_backup_at__gte=timezone.now()), "default"),
        "figures_largest": compiled(figures().order_by("-total").values_list("school_id", "total")[:TOP], "default"),
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


if __name__ == "__main__":
    result = {"pipelines": pipelines, "clients": clients, "unavailable": unavailable}[sys.argv[1]]()
    sys.stdout.write(json_util.dumps(result))
