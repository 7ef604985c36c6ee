"""school_manage.py and manage.py, run as a user runs them: in a subprocess."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from School.operations.demo import DEMO_SCHOOLS
from tests.conftest import ROOT

DEMO_SIZES = {name: count for name, _display, _hosts, _prefix, count, _classes, _phone in DEMO_SCHOOLS}
ACCRA_DEMO, NAIROBI_DEMO = DEMO_SIZES["accra"], DEMO_SIZES["nairobi"]

pytestmark = pytest.mark.sqlite  # reads the SQLite files to check where things landed


def tables(path):
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def query(path, sql):
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def schools_json(run_cli):
    result = run_cli("schools", "list", "--format", "json")
    assert result.returncode == 0, result.stderr
    return {school["name"]: school for school in json.loads(result.stdout)}


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0]


def registry_rows(platform):
    default = platform.db_dir / "default.sqlite3"
    return query(default, "SELECT name, display_name FROM School_school ORDER BY name") + query(
        default, "SELECT host, school_id FROM School_schoolhost ORDER BY host"
    )


@pytest.fixture(scope="module")
def demo_databases(tmp_path_factory):
    """The databases `up --no-serve` makes on a fresh machine, made once per module."""
    data_dir = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "SCHOOL_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "multitenant.settings"}
    subprocess.run([sys.executable, str(ROOT / "school_manage.py"), "up", "--no-serve"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    return data_dir / "db"


@pytest.fixture
def demo(demo_databases, platform):
    """This test's platform, as `school_manage.py up` leaves it."""
    for database in demo_databases.iterdir():
        shutil.copy(database, platform.db_dir / database.name)


def test_up_creates_the_demo_schools_with_their_own_students(run_cli, platform):
    result = run_cli("up", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "http://nairobi.localhost:8000/" in result.stdout
    assert "http://localhost:8000/" in result.stdout
    schools = schools_json(run_cli)
    assert list(schools) == ["default", "accra", "nairobi"]
    assert schools["nairobi"]["hosts"] == ["nairobi.localhost", "nairobi.school.local"]
    assert set(schools["default"]["hosts"]) == {"localhost", "127.0.0.1", "school.local"}
    for name, prefix in [("default", "DEF/"), ("nairobi", "NBI/"), ("accra", "ACC/")]:
        numbers = [row[0] for row in query(platform.db_dir / f"{name}.sqlite3", "SELECT registration_no FROM School_student")]
        assert numbers and all(number.startswith(prefix) for number in numbers), (name, numbers)
    # The registry is in `default` only.
    assert "School_school" in tables(platform.db_dir / "default.sqlite3")
    assert "School_school" not in tables(platform.db_dir / "nairobi.sqlite3")


def test_up_is_idempotent_and_keeps_data(demo, run_cli, platform):
    again = run_cli("up", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert "creating" not in again.stdout
    assert query(platform.db_dir / "accra.sqlite3", "SELECT count(*) FROM School_student") == [(ACCRA_DEMO,)]


def test_up_no_demo_registers_only_an_empty_default_school(run_cli, platform):
    result = run_cli("up", "--no-serve", "--no-demo")
    assert result.returncode == 0, result.stderr
    assert list(schools_json(run_cli)) == ["default"]
    assert query(platform.db_dir / "default.sqlite3", "SELECT count(*) FROM School_student") == [(0,)]


def test_schools_add_list_remove(demo, run_cli, platform):
    added = run_cli("schools", "add", "kisumu", "--host", "kisumu.localhost", "--display-name", "Kisumu High")
    assert added.returncode == 0, added.stderr
    database = platform.db_dir / "kisumu.sqlite3"
    assert {"School_student", "auth_user", "django_session", "django_admin_log"} <= tables(database)

    listing = run_cli("schools", "list")
    line = next(line for line in listing.stdout.splitlines() if line.startswith("kisumu"))
    assert "Kisumu High" in line and "kisumu.localhost" in line and str(database) in line

    removed = run_cli("schools", "remove", "kisumu", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert "kisumu" not in schools_json(run_cli)
    assert database.exists(), "data must be kept without --drop-data"

    # The kept data is picked up again when the school comes back.
    assert run_cli("schools", "add", "kisumu", "--host", "kisumu.localhost").returncode == 0
    dropped = run_cli("schools", "remove", "kisumu", "--drop-data", "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert not database.exists()


def test_suspend_resume_and_hosts_from_the_command_line(demo, run_cli):
    assert run_cli("schools", "suspend", "accra").returncode == 0
    assert schools_json(run_cli)["accra"]["status"] == "suspended"
    assert run_cli("schools", "resume", "accra").returncode == 0
    assert schools_json(run_cli)["accra"]["status"] == "active"
    assert run_cli("schools", "add-host", "accra", "accra.example.org").returncode == 0
    assert run_cli("schools", "remove-host", "accra", "accra.school.local").returncode == 0
    assert schools_json(run_cli)["accra"]["hosts"] == ["accra.example.org", "accra.localhost"]
    taken = run_cli("schools", "add-host", "accra", "nairobi.localhost")
    assert_one_line_error(taken, "'nairobi.localhost' already belongs to school 'nairobi'")


def test_drop_data_needs_confirmation(demo, run_cli, platform):
    result = run_cli("schools", "remove", "accra", "--drop-data", input="")
    assert_one_line_error(result, "--yes")
    assert "accra" in schools_json(run_cli)
    assert (platform.db_dir / "accra.sqlite3").exists()


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["schools", "add", "Kisumu", "--host", "kisumu.localhost"], ["bad school name 'Kisumu'"]),
        (["schools", "add", "9lives", "--host", "nine.localhost"], ["bad school name '9lives'"]),
        (["schools", "add", "a" * 41, "--host", "long.localhost"], ["bad school name"]),
        (["schools", "add", "up", "--host", "up.localhost"], ["bad school name 'up'", "school_manage.py"]),
        (["schools", "add", "hosts", "--host", "h.localhost"], ["bad school name 'hosts'"]),
        (["schools", "add", "kisumu", "--host", "nairobi.localhost"], ["'nairobi.localhost'", "'nairobi'"]),
        (["schools", "add", "kisumu", "--host", "NAIROBI.school.local."], ["'nairobi.school.local'", "'nairobi'"]),
        (["schools", "add", "kisumu", "--host", "http://kisumu.localhost:8000/"], ["bad host"]),
        (["schools", "add", "nairobi", "--host", "n2.localhost"], ["school 'nairobi' already exists"]),
        (["schools", "remove", "lagos", "--yes"], ["unknown school 'lagos'"]),
        (["schools", "remove", "default", "--yes"], ["default school"]),
        (["lagos", "migrate"], ["unknown school 'lagos'", "known schools: default, accra, nairobi"]),
        (["migrate"], ["unknown school 'migrate'", "NAME migrate"]),
        (["nairobi"], ["no command given"]),
        (["nairobi", "no_such_command"], ["unknown command 'no_such_command'"]),
        (["nairobi", "migrate", "--database=accra"], ["contradicts"]),
        (["--all"], ["--all needs a command"]),
        (["schools", "add", "kisumu", "--host", "k.localhost", "--mongodb-uri", "mongodb://u:pw@db1/"], ["needs MONGODB_URI"]),
    ],
)
def test_bad_input_gets_one_clear_line_exit_2_and_writes_nothing(demo, run_cli, platform, args, fragments):
    before = registry_rows(platform)
    files_before = sorted(platform.db_dir.iterdir())
    result = run_cli(*args)
    assert_one_line_error(result, *fragments)
    assert registry_rows(platform) == before
    assert sorted(platform.db_dir.iterdir()) == files_before


def test_createsuperuser_lands_in_that_schools_database_only(demo, run_cli, platform):
    env = {"DJANGO_SUPERUSER_PASSWORD": "correct-horse-battery"}
    plain = run_cli("accra", "createsuperuser", "--noinput", "--username", "ama", "--email", "ama@accra.test", env=env)
    assert plain.returncode == 0, plain.stderr
    # The tutorial's spelling, with --database, works too.
    tutorial = run_cli(
        "nairobi", "createsuperuser", "--database=nairobi", "--noinput", "--username", "baraka", "--email", "b@n.test", env=env
    )
    assert tutorial.returncode == 0, tutorial.stderr
    users = {
        name: [row[0] for row in query(platform.db_dir / f"{name}.sqlite3", "SELECT username FROM auth_user")]
        for name in ("default", "accra", "nairobi")
    }
    assert users == {"default": [], "accra": ["ama"], "nairobi": ["baraka"]}


def test_migrate_acts_on_the_named_school_only(demo, run_cli, platform):
    def has_students_table(name):
        return "School_student" in tables(platform.db_dir / f"{name}.sqlite3")

    down = run_cli("accra", "migrate", "School", "zero")
    assert down.returncode == 0, down.stderr
    assert not has_students_table("accra")
    assert has_students_table("nairobi") and has_students_table("default")

    up = run_cli("accra", "migrate")
    assert up.returncode == 0, up.stderr
    assert has_students_table("accra")

    # Django's own manage.py with the tutorial's --database.
    assert run_cli("nairobi", "migrate", "School", "zero").returncode == 0
    via_manage = run_cli("migrate", "--database=nairobi", script="manage.py")
    assert via_manage.returncode == 0, via_manage.stderr
    assert has_students_table("nairobi")
    assert "School_school" not in tables(platform.db_dir / "nairobi.sqlite3")


def summary(result):
    """{'migrated': 2, 'up to date': 1, ...} from the --all summary table."""
    counts = {}
    for line in result.stdout.splitlines():
        label, _, number = line.strip().rpartition(" ")
        if line.startswith("  ") and number.isdigit():
            counts[label.strip()] = int(number)
    return counts


def test_all_migrate_reaches_every_school_and_skips_up_to_date_ones(demo, run_cli, platform):
    for name in ("accra", "nairobi"):
        assert run_cli(name, "migrate", "School", "zero").returncode == 0
    result = run_cli("--all", "--jobs", "2", "migrate")
    assert result.returncode == 0, result.stderr
    assert summary(result) == {"migrated": 2, "up to date": 1, "failed": 0}
    assert "[1/2]" in result.stdout and "[2/2]" in result.stdout  # progress, schools that ran only
    for name in ("default", "accra", "nairobi"):
        assert "School_student" in tables(platform.db_dir / f"{name}.sqlite3")
    again = run_cli("--all", "migrate")
    assert summary(again) == {"migrated": 0, "up to date": 3, "failed": 0}
    assert "[1/" not in again.stdout  # no migration run started at all


def test_all_migrate_after_a_registry_schema_change(demo, run_cli):
    # As after deploying code whose registry has a new column: the registry
    # cannot be read until `default` is migrated, which --all does first.
    assert run_cli("default", "migrate", "School", "0001").returncode == 0
    result = run_cli("--all", "migrate")
    assert result.returncode == 0, result.stderr
    assert summary(result)["failed"] == 0
    assert set(schools_json(run_cli)) == {"default", "accra", "nairobi"}


def test_all_goes_on_past_a_failing_school_and_exits_non_zero(demo, run_cli, platform):
    (platform.db_dir / "accra.sqlite3").write_bytes(b"this is not a database")
    assert run_cli("nairobi", "migrate", "School", "zero").returncode == 0
    result = run_cli("--all", "migrate")
    assert result.returncode == 1
    assert summary(result) == {"migrated": 1, "up to date": 1, "failed": 1}
    assert "School_student" in tables(platform.db_dir / "nairobi.sqlite3")  # after accra, alphabetically
    assert "failed schools: accra" in result.stdout
    assert result.stderr.startswith("accra: ")


def test_all_runs_any_command_with_a_summary(demo, run_cli):
    result = run_cli("--all", "-j", "1", "check")
    assert result.returncode == 0, result.stderr
    assert summary(result) == {"succeeded": 3, "failed": 0}
    assert assert_one_line_error(run_cli("--all", "--jobs", "0", "check"), "--jobs needs a whole number") is None


def test_shell_runs_as_the_named_school(demo, run_cli):
    code = "from School.models import Student; print(Student.objects.count(), Student.objects.first().registration_no)"
    result = run_cli("accra", "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    count, first = result.stdout.strip().splitlines()[-1].split()
    assert int(count) == ACCRA_DEMO and first.startswith("ACC/")  # Accra's, not the default school's


def test_hosts_prints_etc_hosts_lines(demo, run_cli):
    assert run_cli("schools", "add", "kisumu", "--host", "kisumu.school.local").returncode == 0
    result = run_cli("hosts", "--ip", "10.1.2.3")
    assert result.returncode == 0
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert "10.1.2.3 nairobi.school.local  # nairobi" in lines
    assert "10.1.2.3 kisumu.school.local  # kisumu" in lines
    assert not any(line.startswith("10.1.2.3 127.0.0.1") for line in lines)
    assert run_cli("hosts", "--ip", "not-an-ip").returncode == 2


def test_help_lists_the_contract(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    for usage in ("up [--addr HOST:PORT] [--no-demo]", "schools add NAME --host HOST", "--all [--jobs N] COMMAND"):
        assert usage in result.stdout


def test_import_and_export_students_from_the_command_line(demo, run_cli, platform, tmp_path):
    exported = tmp_path / "nairobi.csv"
    assert run_cli("nairobi", "export_students", "--output", str(exported)).returncode == 0
    assert exported.read_text(encoding="utf-8-sig").startswith("registration_no,first_name,second_name,")

    bad = tmp_path / "bad.csv"
    bad.write_text("registration_no,first_name,second_name,date_of_birth\nK/1,A,B,2011-13-01\nK/2,C,D,\n")
    refused = run_cli("accra", "import_students", str(bad))
    assert refused.returncode == 2
    assert "line 2 (K/1): date_of_birth: bad date '2011-13-01'" in refused.stderr
    assert "nothing was written: 1 of 2 rows has errors" in refused.stderr
    assert query(platform.db_dir / "accra.sqlite3", "SELECT count(*) FROM School_student") == [(ACCRA_DEMO,)]

    imported = run_cli("accra", "import_students", str(exported))
    assert imported.returncode == 0, imported.stderr
    assert f"accra: imported {NAIROBI_DEMO} rows: {NAIROBI_DEMO} new, 0 updated" in imported.stdout
    numbers = query(platform.db_dir / "accra.sqlite3", "SELECT count(*) FROM School_student WHERE registration_no LIKE 'NBI/%'")
    assert numbers == [(NAIROBI_DEMO,)]
    again = run_cli("accra", "import_students", "--update", str(exported))
    assert f"0 new, {NAIROBI_DEMO} updated" in again.stdout


def test_a_demo_school_can_try_promotion_day_at_once(demo, run_cli, platform):
    # Its classes are its confirmed ladder, the last graduating: a dry run previews, a real one moves everyone up.
    assert run_cli("accra", "calendar", "set", "2099", "--first", "2099-01-05", "--last", "2099-12-04").returncode == 0
    preview = run_cli("accra", "promote", "--to", "2099", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "SHS 3" in preview.stdout and "SHS 2" in preview.stdout
    before = dict(query(platform.db_dir / "accra.sqlite3",
                        "SELECT grade, count(*) FROM School_student WHERE status = 'active' GROUP BY grade"))
    assert run_cli("accra", "promote", "--to", "2099").returncode == 0
    after = dict(query(platform.db_dir / "accra.sqlite3",
                       "SELECT grade, count(*) FROM School_student WHERE status = 'active' GROUP BY grade"))
    assert after == {"SHS 2": before["SHS 1"], "SHS 3": before["SHS 2"]}
    graduated = query(platform.db_dir / "accra.sqlite3",
                      "SELECT count(*) FROM School_student WHERE status = 'graduated' AND grade = 'SHS 3'")
    assert graduated[0][0] >= before["SHS 3"]
