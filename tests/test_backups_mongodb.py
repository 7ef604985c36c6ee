"""SQLite -> MongoDB -> SQLite: one school's backup crosses engines and comes back the same.

Runs when MONGODB_URI is set (a deployment runs one engine, so the SQLite
sides are school_manage.py processes started without MONGODB_URI). The
id translation itself is also tested without a server in test_backups.py.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, outlive_registry_ttl

pytestmark = pytest.mark.mongodb

SETUP = """
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from School.security.models import ApiToken
from School.security.tokens import create_token
from School.models import Student
boss = User.objects.create_superuser("boss", "boss@nairobi.test", "a long pass phrase")
clerk = User.objects.create_user("clerk", "clerk@nairobi.test", "another pass phrase", is_staff=True)
group = Group.objects.create(name="registrars")
group.permissions.set(Permission.objects.filter(codename__endswith="_student"))
clerk.groups.add(group)
create_token(boss, name="nightly export")
Student.objects.bulk_create(Student(registration_no=f"NBI/{n:04d}", first_name=f"Zoë{n}", second_name="Ñandú") for n in range(300))
LogEntry.objects.log_actions(boss.pk, [Student.objects.first()], ADDITION, change_message="added", single_object=True)
"""

# What the rows say, whatever the ids (which change between engines).
MEANING = """
import json
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from School.security.models import ApiToken
from School.models import Student
print(json.dumps({
    "users": sorted(User.objects.values_list("username", "password", "is_superuser", "date_joined")),
    "groups": sorted(User.objects.filter(groups__isnull=False).values_list("username", "groups__name")),
    "group permissions": sorted(Group.objects.values_list("name", "permissions__codename")),
    "tokens": sorted(ApiToken.objects.values_list("digest", "name", "user__username")),
    "log": sorted(LogEntry.objects.values_list("user__username", "content_type__model", "object_repr")),
    "students": sorted(Student.objects.values_list("registration_no", "first_name", "second_name", "created_at")),
}, default=str))
"""


def sqlite_cli(data_dir, *args):
    env = {key: value for key, value in os.environ.items() if key not in ("MONGODB_URI", "MONGODB_DB_PREFIX")}
    env.update(SCHOOL_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="multitenant.settings")
    result = subprocess.run([sys.executable, str(ROOT / "school_manage.py"), *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def meaning(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_school_goes_from_sqlite_to_mongodb_and_back_unchanged(platform, run_cli, tmp_path):
    first, last = tmp_path / "sqlite1", tmp_path / "sqlite2"
    sqlite_cli(first, "schools", "add", "nairobi", "--host", "nairobi.localhost")
    sqlite_cli(first, "nairobi", "shell", "-c", SETUP)
    original = meaning(sqlite_cli(first, "nairobi", "shell", "-c", MEANING))
    sqlite_cli(first, "nairobi", "backup", "--output", str(tmp_path / "from-sqlite.jsonl.gz"))

    restored = run_cli("schools", "restore", str(tmp_path / "from-sqlite.jsonl.gz"), "--as", "nairobi", "--host", "nairobi.localhost")
    assert restored.returncode == 0, restored.stderr
    on_mongodb = run_cli("nairobi", "shell", "-c", MEANING)
    assert on_mongodb.returncode == 0, on_mongodb.stderr
    assert meaning(on_mongodb) == original

    # Within the cluster, to a database of its default name; then checked and served from there.
    moved = run_cli("schools", "move", "nairobi", "--to", os.environ["MONGODB_URI"], "--drop-source")
    assert moved.returncode == 0, moved.stderr
    outlive_registry_ttl()
    assert meaning(run_cli("nairobi", "shell", "-c", MEANING)) == original

    backed_up = run_cli("nairobi", "backup", "--output", str(tmp_path / "from-mongodb.jsonl.gz"))
    assert backed_up.returncode == 0, backed_up.stderr
    sqlite_cli(last, "schools", "restore", str(tmp_path / "from-mongodb.jsonl.gz"), "--as", "nairobi", "--host", "nairobi.localhost")
    assert meaning(sqlite_cli(last, "nairobi", "shell", "-c", MEANING)) == original
