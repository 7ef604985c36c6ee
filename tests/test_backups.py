"""Backup, restore, clone and move of one school, through school_manage.py as an operator runs them."""

import datetime
import gzip
import hashlib
import json
import sqlite3
import uuid

import pytest
import requests
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from School.context import tenant_context
from School.security.models import ApiToken
from School.security.tokens import create_token
from School.models import School, SchoolHost, Student
from School.operations import restore
from School.register.models import (
    AbsenceNotice, AbsenceReason, CarriedAttendance, CarriedMark, GroupMark, GroupMember, GroupRegister, Mark,
    RegisterGroup, RegisterSettings, RegisterTaken,
)
from School.school_year import calendar
from School.school_year.ladder import set_ladder
from School.school_year.models import CarriedEnrolment, Enrolment, PlatformStamp, Promotion, SchoolClass
from School.operations.backups import backups_of, school_models
from School.utils import school_by_name
from tests.conftest import outlive_registry_ttl
from School.identity.guardians import guardians_of
from School.identity.learner_number import is_valid
from School.identity.models import Guardian
from tests.student_rows import give_guardian

PASSWORD = "correct horse battery staple"


@pytest.fixture
def rich_school(three_schools):
    """Nairobi with a bit of everything a school keeps: users, a group, a token, the admin log, odd values."""
    with tenant_context("nairobi"):
        boss = get_user_model().objects.create_superuser("boss", "boss@nairobi.test", PASSWORD)
        clerk = get_user_model().objects.create_user("clerk", "clerk@nairobi.test", PASSWORD, is_staff=True)
        registrars = Group.objects.create(name="registrars")
        registrars.permissions.set(Permission.objects.filter(codename__endswith="_student"))
        clerk.groups.add(registrars)
        create_token(boss, name="nightly export")
        Student.objects.create(
            registration_no="NBI/UNI/1", first_name="Zoë", second_name="Ñandú \"quoted\" ,comma",
            date_of_birth=datetime.date(2010, 2, 28), grade="Form 2",
            status=Student.Status.TRANSFERRED,
        )
        give_guardian("nairobi", "NBI/UNI/1", "Ama", "+254 700 000001")
        student = Student.objects.get(registration_no="NBI/UNI/1")
        LogEntry.objects.log_actions(boss.pk, [student], ADDITION, change_message="added", single_object=True)
        add_school_year(student, clerk)
    return three_schools


def add_school_year(student, teacher):
    """Two years with terms and a closed day, a ladder, a class with its teacher, an enrolment, a promotion row."""
    this, then = calendar.set_year("nairobi", "2026", datetime.date(2026, 1, 5), datetime.date(2026, 11, 27),
                                   terms=[calendar.Span("Term 1", datetime.date(2026, 1, 5), datetime.date(2026, 4, 2))],
                                   closed=[calendar.Span("Madaraka Day", datetime.date(2026, 6, 1), datetime.date(2026, 6, 1))])
    following, _ = calendar.set_year("nairobi", "2027", datetime.date(2027, 1, 4), datetime.date(2027, 11, 26))
    form_2 = {grade.name: grade for grade in set_ladder("nairobi", ["Form 1", "Form 2"], finals=["Form 2"])}["Form 2"]
    east = SchoolClass.objects.create(year=this, grade=form_2, name="Form 2 East", teacher=teacher, capacity=40)
    Enrolment.objects.create(student=student, year=this, grade=form_2, school_class=east, first_day=this.first_day,
                             outcome=Enrolment.Outcome.TRANSFERRED_OUT)
    Promotion.objects.create(from_year=this, to_year=following, state=Promotion.State.STARTED, repeat=["NBI/UNI/1"],
                             counts={"promoted": 0}, started_at=timezone.now(), lease_until=timezone.now(), graduates_to="accra")
    # A year at an earlier school, carried by a transfer, and what the platform calendar last wrote here.
    CarriedEnrolment.objects.create(student=student, transfer_key=uuid.uuid4(), position=0, school="Mombasa Primary",
                                    year="2025", first_day=datetime.date(2025, 1, 6), last_day=datetime.date(2025, 11, 28),
                                    grade="Std 8", school_class="8 West", outcome=Enrolment.Outcome.GRADUATED)
    PlatformStamp.objects.create(key="year:2027", digest="0" * 64)
    # A register with an excused absence, the school's own reason and its settings (School/register/).
    register = RegisterTaken.objects.create(year=this, class_name="Form 2 East", date=datetime.date(2026, 2, 3),
                                            taken_by="clerk", taken_at=timezone.now(), version=2)
    Mark.objects.create(register=register, student=student, code="absent-excused", reason="Harvest")
    AbsenceReason.objects.create(name="Harvest")
    RegisterSettings.objects.create(two_sessions=True, weekdays="123456", absence_mails=True)
    # A guardian's absence mail of a day, and attendance at an earlier school carried by a transfer.
    AbsenceNotice.objects.create(student=student, date=datetime.date(2026, 2, 4), email="mama@home.test", sent_at=timezone.now())
    key = uuid.uuid4()
    CarriedAttendance.objects.create(student=student, transfer_key=key, position=0, school="Mombasa Primary", year="2025",
                                     expected=180, late=4, excused=3, unexcused=2, not_expected=1)
    CarriedMark.objects.create(student=student, transfer_key=key, position=0, school="Mombasa Primary", class_name="8 West",
                               date=datetime.date(2025, 3, 4), session="day", code="absent-excused", reason="sick")
    # A group other than a class (a trip), its member and its register with one absence.
    trip = RegisterGroup.objects.create(year=this, name="Museum trip", teacher=teacher, first_day=datetime.date(2026, 2, 5),
                                        last_day=datetime.date(2026, 2, 5), created_by="clerk")
    GroupMember.objects.create(group=trip, student=student)
    taken = GroupRegister.objects.create(group=trip, date=datetime.date(2026, 2, 5), taken_by="clerk", taken_at=timezone.now())
    GroupMark.objects.create(register=taken, student=student, code="absent-unexcused")


def every_row(name):
    """{table: [rows in primary-key order]} for every model in the school's database."""
    school = school_by_name(name)
    with tenant_context(school):
        return {
            model._meta.label_lower: list(
                model._base_manager.using(school.alias).order_by("pk").values_list(
                    *[field.attname for field in model._meta.concrete_fields]
                )
            )
            for model in school_models(school.alias)
        }


LEARNER_NO = [field.attname for field in Student._meta.concrete_fields].index("learner_no")


def learner_numbers(rows):
    return {row[LEARNER_NO] for row in rows["School.student"]}


def but_learner_numbers(rows):
    """every_row()'s rows without the students' learner numbers and the students' stamp."""
    return {
        **rows,
        "School.student": [row[:LEARNER_NO] + row[LEARNER_NO + 1:] for row in rows["School.student"]],
        "School.studentsstamp": [row for row in rows["School.studentsstamp"] if row[1] != "students"],
    }


def backup(run_cli, name, path):
    result = run_cli(name, "backup", "--output", str(path))
    assert result.returncode == 0, result.stderr
    return path


def files_under(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def registry_rows():
    return (
        sorted(School.objects.values_list("name", "database", "suspended")),
        sorted(SchoolHost.objects.values_list("host", "school__name")),
    )


def test_backup_restored_as_a_new_school_has_every_row_and_the_same_logins(rich_school, run_cli, live_server_url, tmp_path):
    file = backup(run_cli, "nairobi", tmp_path / "nairobi.jsonl.gz")
    result = run_cli("schools", "restore", str(file), "--as", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    assert "Restored school kisumu" in result.stdout

    outlive_registry_ttl()
    original, restored = every_row("nairobi"), every_row("kisumu")
    assert set(restored) == set(original)
    for table in original:  # table by table: a difference names its table
        assert (table, restored[table]) == (table, original[table])
    assert ("auth.user", "boss") in {("auth.user", row[4]) for row in restored["auth.user"]}
    # The school year came along too (compared row by row above): years, the class, the history, the promotion.
    assert [len(restored[f"school_year.{table}"]) for table in (
        "schoolyear", "term", "closedday", "schoolclass", "enrolment", "promotion", "carriedenrolment", "platformstamp",
    )] == [2, 1, 1, 1, 1, 1, 1, 1]
    assert [len(restored[f"register.{table}"]) for table in (
        "registertaken", "mark", "absencereason", "registersettings", "registergroup", "groupmember", "groupregister",
        "groupmark",
    )] == [1, 1, 1, 1, 1, 1, 1, 1]
    assert Client(HTTP_HOST="kisumu.localhost").get("/healthz").json()["students"] == 6

    # The password hashes came along: the same password opens kisumu's admin, over real HTTP.
    port = live_server_url.rsplit(":", 1)[1]
    session = requests.Session()
    session.headers["Host"] = f"kisumu.localhost:{port}"
    login = f"{live_server_url}/admin/login/"
    session.get(login, timeout=30)
    response = session.post(
        login, timeout=30,
        data={"username": "boss", "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"], "next": "/admin/"},
        headers={"Referer": f"http://kisumu.localhost:{port}/admin/login/"},
    )
    assert response.status_code == 200 and "Log out" in response.text, response.text[:300]
    assert "NBI/UNI/1" in session.get(f"{live_server_url}/admin/School/student/", timeout=30).text

    # Signed-in sessions stay out of a backup unless asked for.
    for extra, sessions in (([], None), (["--include-sessions"], 1)):
        result = run_cli("kisumu", "backup", "--output", str(tmp_path / "kisumu.jsonl.gz"), *extra)
        assert result.returncode == 0, result.stderr
        summary = restore.check_backup(tmp_path / "kisumu.jsonl.gz").tables_summary
        assert summary.get("sessions.session", {}).get("rows") == sessions


def test_backups_go_to_var_backups_and_keep_keeps_the_newest(three_schools, run_cli, tmp_path):
    result = run_cli("nairobi", "backup")
    assert result.returncode == 0, result.stderr
    (made,) = backups_of(three_schools.data_dir / "backups", "nairobi")
    assert made.name.startswith("nairobi-20") and made.name.endswith(".jsonl.gz")
    assert files_under(three_schools.data_dir / "backups") == [made.name]  # no .partial left behind

    nightly = tmp_path / "nightly"
    for _ in range(3):
        result = run_cli("--all", "backup", "--output-dir", str(nightly), "--keep", "2")
        assert result.returncode == 0, result.stderr + result.stdout
    runs = [sorted(path.name for path in backups_of(nightly, name)) for name in ("default", "nairobi", "accra")]
    assert [len(names) for names in runs] == [2, 2, 2]
    # The two kept are the newest: the first run's files are gone.
    assert all("nairobi" in name for name in runs[1])


def test_clone_copies_the_data_and_schema_only_copies_none(rich_school, run_cli):
    result = run_cli("schools", "clone", "nairobi", "mombasa", "--host", "mombasa.localhost")
    assert result.returncode == 0, result.stderr
    result = run_cli("schools", "clone", "nairobi", "empty", "--host", "empty.localhost", "--schema-only")
    assert result.returncode == 0, result.stderr

    outlive_registry_ttl()
    clone, source = every_row("mombasa"), every_row("nairobi")
    # A clone's children get learner numbers of their own (else each would be a certain duplicate of
    # itself at the source): that, and the students' stamp it renews, is all that differs.
    assert learner_numbers(clone) and learner_numbers(clone).isdisjoint(learner_numbers(source))
    assert all(is_valid(number) for number in learner_numbers(clone))
    assert but_learner_numbers(clone) == but_learner_numbers(source)
    empty = every_row("empty")
    assert empty["School.student"] == [] and empty["auth.user"] == []
    assert Client(HTTP_HOST="empty.localhost").get("/healthz").json() == {"school": "empty", "status": "ok", "students": 0}
    assert Client(HTTP_HOST="mombasa.localhost").get("/healthz").json()["students"] == 6


def test_replace_puts_the_school_back_suspended_meanwhile_and_keeps_what_it_replaced(rich_school, run_cli, tmp_path, monkeypatch, settings):
    file = backup(run_cli, "nairobi", tmp_path / "nairobi.jsonl.gz")
    before = every_row("nairobi")
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__startswith="NBI-").delete()
        Student.objects.create(registration_no="LATER/1", first_name="Late", second_name="Comer")
    changed = every_row("nairobi")

    seen_while_swapping = []
    build = restore.build_database

    def watched_build(*args, **kwargs):
        seen_while_swapping.append(Client(HTTP_HOST="nairobi.localhost").get("/").status_code)
        return build(*args, **kwargs)

    monkeypatch.setattr(restore, "build_database", watched_build)
    kept = restore.replace(str(file), "nairobi")

    assert seen_while_swapping == [503]
    assert every_row("nairobi") == before
    assert Client(HTTP_HOST="nairobi.localhost").get("/healthz").json()["students"] == 6
    assert kept.parent == rich_school.data_dir / "backups" / "replaced"
    # The replaced data is a backup file of its own, restorable like any other.
    monkeypatch.undo()
    result = run_cli("schools", "restore", str(kept), "--as", "replaced", "--host", "replaced.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    assert every_row("replaced") == changed


@pytest.mark.sqlite
def test_move_to_another_data_directory_is_served_from_there_by_every_worker(rich_school, run_cli, gunicorn, tmp_path):
    server = gunicorn(workers=2)
    for _ in range(4):  # every worker has nairobi's old database open
        assert server.get("nairobi.localhost", "/healthz")[0] == 200
    before = every_row("nairobi")
    old_file = rich_school.db_dir / "nairobi.sqlite3"
    elsewhere = tmp_path / "disk2"

    result = run_cli("schools", "move", "nairobi", "--to", f"sqlite:{elsewhere}")
    assert result.returncode == 0, result.stderr
    assert "unavailable for" in result.stdout

    outlive_registry_ttl()
    (new_file,) = elsewhere.glob("nairobi-*.sqlite3")
    assert every_row("nairobi") == before
    assert old_file.exists()  # kept until --drop-source
    with sqlite3.connect(new_file) as db:
        db.execute("INSERT INTO School_student (registration_no, first_name, second_name, grade, enrolment_date, status,"
                   " sex, learner_no, created_at, updated_at,"
                   " registration_key, first_name_key, second_name_key) VALUES"
                   " ('MOVED/1', 'M', 'V', '', '2024-01-01', 'active', '', '', '2024-01-01', '2024-01-01',"
                   " 'moved/1', 'm', 'v')")
    # Every worker serves from the new place (and none from the old file).
    for _ in range(4):
        status, body = server.get("nairobi.localhost", "/healthz")
        assert (status, json.loads(body)["students"]) == (200, 7)

    result = run_cli("schools", "move", "nairobi", "--to", "sqlite", "--drop-source")
    assert result.returncode == 0, result.stderr
    assert not new_file.exists()
    outlive_registry_ttl()
    assert Client(HTTP_HOST="nairobi.localhost").get("/healthz").json()["students"] == 7


def test_an_older_backup_is_restored_and_migrated(rich_school, run_cli, tmp_path):
    file = backup(run_cli, "nairobi", tmp_path / "nairobi.jsonl.gz")
    added_since_0003 = {
        "date_of_birth", "enrolment_date", "grade", "guardian_name", "guardian_phone", "status",  # 0003
        "first_name_key", "second_name_key", "registration_key",  # 0007
        "sex",  # 0011
    }
    old = rewrite(
        file, tmp_path / "old.jsonl.gz",
        manifest=lambda m: {**m, "migrations": [n for n in m["migrations"] if n[0] != "School" or n[1] < "0003"]},
        drop_fields={"School.student": added_since_0003},
        drop_tables={"School.studentsstamp"},  # 0007
    )
    result = run_cli("schools", "restore", str(old), "--as", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    with tenant_context("kisumu"):
        student = Student.objects.get(registration_no="NBI/UNI/1")
        assert (student.first_name, student.status, student.grade) == ("Zoë", "active", "")
        assert get_user_model().objects.get(username="boss").check_password(PASSWORD)


def test_a_backup_from_before_guardians_restores_them_as_each_students_first(rich_school, run_cli, tmp_path):
    """A backup made before School/identity/ (guardian_name and guardian_phone on the student) restores into the
    new shape: loaded in its own migration state, then migrated through the step that makes them guardians."""
    file = backup(run_cli, "nairobi", tmp_path / "nairobi.jsonl.gz")
    before_guardians = rewrite(
        file, tmp_path / "old.jsonl.gz",
        manifest=lambda m: {**m, "migrations": [n for n in m["migrations"] if not after_guardians(tuple(n))]},
        # What came with the guardians or after them (after_guardians' migrations) was not in such a backup.
        drop_tables={"identity.guardian", "identity.guardianship",
                     "register.absencenotice", "register.carriedattendance", "register.carriedmark",
                     "register.registergroup", "register.groupmember", "register.groupregister", "register.groupmark"},
        drop_fields={"School.student": ("learner_no",), "register.registersettings": ("absence_mails",)},
        add_fields={"School.student": ("guardian_name", "guardian_phone")},
        row=lambda table, fields, values: values + ["Ama Otieno", "+254 700 000001"] if table == "School.student" else values,
    )
    result = run_cli("schools", "restore", str(before_guardians), "--as", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()
    with tenant_context("kisumu"):
        students = list(Student.objects.values_list("pk", flat=True))
        found = guardians_of("kisumu", students)
        assert len(students) > 1 and set(found) == set(students)
        assert {(person.name, person.phone, link.primary_contact) for pairs in found.values() for link, person in pairs} == {
            ("Ama Otieno", "+254700000001", True)}
        assert Guardian.objects.count() == 1  # the siblings' guardian is one person


def after_guardians(node):
    """Whether migration `node` (app, name) came with the guardians or after them: a backup made before had none."""
    from django.db.migrations.loader import MigrationLoader

    plan = MigrationLoader(None, ignore_no_migrations=True).graph.forwards_plan(node)
    return node[0] == "identity" or ("School", "0012_guardians_moved") in plan


def rewrite(source, target, manifest=lambda m: m, drop_fields=None, row=None, drop_tables=(), add_fields=None):
    """A consistent backup file (checksums recomputed) with the manifest, tables or rows changed.

    add_fields: {table: (field, ...)} appended to its columns (`row` gives their values)."""
    drop_fields = drop_fields or {}
    add_fields = add_fields or {}
    with gzip.open(source, "rt", encoding="utf-8") as lines, gzip.open(target, "wt", encoding="utf-8") as out:
        head = json.loads(next(lines))
        out.write(json.dumps(manifest(head)) + "\n")
        keep, dropping, dropped_rows = None, False, 0
        for line in lines:
            record = json.loads(line)
            if isinstance(record, dict) and "table" in record:
                dropping = record["table"] in drop_tables
            if dropping:
                if isinstance(record, dict) and "end" in record:
                    dropping, dropped_rows = False, dropped_rows + record["rows"]
                continue
            if isinstance(record, dict) and "trailer" in record:
                record["trailer"]["tables"] -= len(drop_tables)
                record["trailer"]["rows"] -= dropped_rows
            if isinstance(record, list):
                values = [v for v, k in zip(record, keep) if k]
                values = row(table, fields, values) if row else values
                text = json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n"
                digest.update(text.encode())
                out.write(text)
                continue
            if "table" in record:
                table = record["table"]
                keep = [name not in drop_fields.get(table, ()) for name in record["fields"]]
                record["fields"] = fields = [name for name, k in zip(record["fields"], keep) if k] + list(
                    add_fields.get(table, ()))
                digest = hashlib.sha256()
            elif "end" in record:
                record["sha256"] = digest.hexdigest()
            out.write(json.dumps(record) + "\n")
    return target


def bad_files(good, tmp_path):
    data = good.read_bytes()
    raw = gzip.decompress(data)
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    cut_before_trailer = tmp_path / "no-trailer.jsonl.gz"
    cut_before_trailer.write_bytes(gzip.compress(raw[: raw.rindex(b'{"trailer"')]))
    corrupted = tmp_path / "corrupted.jsonl.gz"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(flipped))
    wrong_checksum = tmp_path / "wrong-checksum.jsonl.gz"
    wrong_checksum.write_bytes(gzip.compress(raw.replace(b'"boss"', b'"evil"', 1)))
    csv = tmp_path / "students.csv"
    csv.write_text("registration_no,first_name\nA1,Ann\n")
    other_json = tmp_path / "other.jsonl.gz"
    other_json.write_bytes(gzip.compress(b'{"model": "auth.user", "pk": 1}\n'))
    newer = rewrite(good, tmp_path / "newer.jsonl.gz",
                    manifest=lambda m: {**m, "migrations": [*m["migrations"], ["School", "9999_from_the_future"]]})
    return {
        "truncated": (truncated, "truncated"),
        "no trailer": (cut_before_trailer, "truncated"),
        "corrupted": (corrupted, "corrupted"),
        "wrong checksum": (wrong_checksum, "wrong checksum"),
        "csv": (csv, "not a backup of this project"),
        "other json": (other_json, "not a backup of this project"),
        "newer migrations": (newer, "lacks the migrations School.9999_from_the_future"),
        "missing": (tmp_path / "nowhere.jsonl.gz", "no such file"),
    }


def test_bad_input_is_one_line_exit_2_and_nothing_written(rich_school, run_cli, tmp_path):
    good = backup(run_cli, "nairobi", tmp_path / "nairobi.jsonl.gz")
    default_backup = backup(run_cli, "default", tmp_path / "default.jsonl.gz")
    cases = [
        *[(["schools", "restore", str(path), "--as", "kisumu", "--host", "kisumu.localhost"], expected)
          for path, expected in bad_files(good, tmp_path).values()],
        *[(["schools", "restore", str(path), "--replace", "nairobi", "--yes"], expected)
          for path, expected in bad_files(good, tmp_path).values()],
        (["schools", "restore", str(good), "--as", "accra", "--host", "new.localhost"], "school 'accra' already exists"),
        (["schools", "restore", str(good), "--as", "kisumu", "--host", "accra.localhost"], "already belongs to school 'accra'"),
        (["schools", "restore", str(good), "--as", "Bad-Name", "--host", "bad.localhost"], "name"),
        (["schools", "restore", str(default_backup), "--replace", "nairobi", "--yes"], "is a backup of school 'default', not of 'nairobi'"),
        (["schools", "restore", str(good), "--replace", "default", "--yes"], "default school holds the registry"),
        (["schools", "restore", str(good), "--replace", "nowhere", "--yes"], "unknown school 'nowhere'"),
        (["schools", "clone", "nairobi", "accra", "--host", "x.localhost"], "school 'accra' already exists"),
        (["schools", "clone", "nowhere", "kisumu", "--host", "kisumu.localhost"], "unknown school 'nowhere'"),
        (["schools", "move", "nairobi", "--to", "ftp://elsewhere"], "bad destination"),
        (["schools", "move", "default", "--to", f"sqlite:{tmp_path / 'x'}"], "default school holds the registry"),
    ]
    data_before, registry_before = files_under(rich_school.data_dir), registry_rows()
    for argv, expected in cases:
        result = run_cli(*argv)
        assert result.returncode == 2, (argv, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (argv, result.stderr)
        assert files_under(rich_school.data_dir) == data_before, argv
        assert registry_rows() == registry_before, argv
    assert not (tmp_path / "x").exists()


def test_platform_admin_backs_up_selected_schools_and_lists_their_backups(rich_school):
    from tests.test_admin import make_superuser, signed_in_client

    make_superuser("default", "root")
    platform_admin, _ = signed_in_client("localhost", "root")
    ids = [School.objects.get(name=name).pk for name in ("nairobi", "accra")]
    response = platform_admin.post(
        "/admin/School/school/", {"action": "back_up_now", "_selected_action": ids}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Backed up nairobi to" in page and "Backed up accra to" in page
    folder = rich_school.data_dir / "backups"
    assert [len(backups_of(folder, name)) for name in ("nairobi", "accra", "default")] == [1, 1, 0]
    (nairobi_backup,) = backups_of(folder, "nairobi")
    assert restore.check_backup(nairobi_backup).tables_summary["School.student"]["rows"] == 6

    detail = platform_admin.get(f"/admin/School/school/{ids[0]}/change/").content.decode()
    assert nairobi_backup.name in detail and ("KB" in detail or "bytes" in detail)

    # A school's own admin has neither the action nor the list.
    make_superuser("nairobi", "head")
    school_admin, _ = signed_in_client("nairobi.localhost", "head")
    assert school_admin.post("/admin/School/school/", {"action": "back_up_now", "_selected_action": ids}).status_code == 403
    assert school_admin.get(f"/admin/School/school/{ids[0]}/change/").status_code in (403, 404)
    assert len(backups_of(folder, "nairobi")) == 1


def test_a_backup_with_mongodb_ids_restores_on_sqlite_with_every_reference_kept(rich_school, run_cli, tmp_path):
    """The cross-engine path without a server: a backup whose ids are ObjectIds, as MongoDB writes them."""
    file = backup(run_cli, "nairobi", tmp_path / "nairobi.jsonl.gz")
    with tenant_context("nairobi"):
        references = {
            model._meta.label_lower: {
                field.attname: (field.related_model if field.is_relation else model)._meta.label_lower
                for field in model._meta.concrete_fields
                if field.is_relation or field is model._meta.auto_field
            }
            for model in school_models("nairobi")
        }
    object_ids = {}

    def object_id(label, value):  # one made-up ObjectId per (table, id), as hex text
        return object_ids.setdefault((label, value), f"{0x650000000000000000000000 + len(object_ids):024x}")

    def as_mongodb(table, fields, values):
        return [
            object_id(references[table][name], value) if value is not None and name in references[table] else value
            for name, value in zip(fields, values)
        ]

    mongo_file = rewrite(file, tmp_path / "from-mongodb.jsonl.gz", manifest=lambda m: {**m, "engine": "mongodb"}, row=as_mongodb)
    result = run_cli("schools", "restore", str(mongo_file), "--as", "kisumu", "--host", "kisumu.localhost")
    assert result.returncode == 0, result.stderr
    outlive_registry_ttl()

    def meaning(name):
        """What the rows say, whatever the ids: who is in which group, whose token, who did what."""
        with tenant_context(name):
            users = get_user_model().objects
            return {
                "users": sorted(users.values_list("username", "password", "is_superuser")),
                "groups": sorted(users.filter(groups__isnull=False).values_list("username", "groups__name")),
                "group permissions": sorted(Group.objects.values_list("name", "permissions__codename", "permissions__content_type__model")),
                "tokens": sorted(ApiToken.objects.values_list("digest", "name", "user__username")),
                "log": sorted(LogEntry.objects.values_list("user__username", "content_type__model", "object_repr")),
                "students": sorted(Student.objects.values_list("registration_no", "first_name", "second_name", "status", "created_at")),
                "content types": sorted(ContentType.objects.values_list("app_label", "model")),
            }

    assert meaning("kisumu") == meaning("nairobi")
    with tenant_context("kisumu"):
        assert get_user_model().objects.get(username="clerk").check_password(PASSWORD)
