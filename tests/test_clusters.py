"""Several MongoDB clusters: new schools go to the one with fewest schools, listings show where.

No MongoDB server runs here: placement and listing read the registry (SQLite
in this suite) with the MongoDB settings switched on; tests/test_mongodb_offline.py
checks what the cluster count sends to MongoDB and that clients stay one per cluster.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS

from multitenant.databases import parse_clusters
from School.models import School
from School.operations.clusters import ClusterError, place

EAST = "mongodb://app:east-secret@e1:27017,e2:27017/?replicaSet=east"
WEST = "mongodb+srv://app:west-secret@west.example.net/"


def test_cluster_pool_parses_uris_with_commas_and_includes_the_main_cluster():
    clusters = parse_clusters(f"east={EAST}; west={WEST}", "mongodb://main:27017")
    assert clusters == {"main": "mongodb://main:27017", "east": EAST, "west": WEST}
    assert parse_clusters("", "") == {}


@pytest.mark.parametrize("text", ["east", "east=http://x", "2x=mongodb://x", "=mongodb://a:pw@x"])
def test_a_bad_cluster_entry_is_refused_without_showing_credentials(text):
    with pytest.raises(ValueError, match="bad MONGODB_CLUSTERS entry") as error:
        parse_clusters(text, "")
    assert "pw" not in str(error.value)


@pytest.fixture
def pool(settings, three_schools):
    settings.SCHOOL_ENGINE = "mongodb"
    settings.MONGODB_URI = "mongodb://app:main-secret@main:27017"
    settings.MONGODB_CLUSTERS = parse_clusters(f"east={EAST};west={WEST}", settings.MONGODB_URI)
    return three_schools


def put_on(name, cluster):
    school = School.objects.using(DEFAULT_DB_ALIAS).get(name=name)
    school.cluster = cluster
    school.save()


def test_new_schools_go_to_the_cluster_with_fewest_schools(pool):
    # default, nairobi and accra are on main.
    assert place() == "east"  # 0 schools; west too, but east comes first
    put_on("nairobi", "east")
    assert place() == "west"
    put_on("accra", "west")
    assert place() == "main"  # one school each: the pool's order decides
    put_on("default", "west")
    assert place() == "main"  # main 0, east 1, west 2


def test_a_named_cluster_is_used_and_an_unknown_one_refused(pool):
    assert place("west") == "west"
    with pytest.raises(ClusterError, match="unknown cluster 'north'; clusters: main, east, west"):
        place("north")


def test_schools_list_shows_each_cluster_and_counts_per_cluster(pool):
    put_on("nairobi", "east")
    out = StringIO()
    call_command("schools", "list", stdout=out)
    text = out.getvalue()
    assert "Schools per cluster: east 1, main 2, west 0" in text
    assert "school_nairobi on mongodb://e1:27017,e2:27017" in text
    assert "secret" not in text
    out = StringIO()
    call_command("schools", "list", "--format", "json", stdout=out)
    assert {row["name"]: row["cluster"] for row in json.loads(out.getvalue())} == {
        "default": "main", "accra": "main", "nairobi": "east",
    }


def test_cluster_needs_mongodb(three_schools, run_cli):
    result = run_cli("schools", "add", "kisumu", "--host", "kisumu.localhost", "--cluster", "east")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "CommandError: --cluster needs MONGODB_URI: this deployment keeps schools in SQLite files"
    ]
    assert not (three_schools.db_dir / "kisumu.sqlite3").exists()
