"""`schools import FILE.csv`: rows all-or-nothing, bad rows named by line, reruns skip what exists."""

import sqlite3

from django.test import Client

from tests.conftest import ON_MONGODB, outlive_registry_ttl

GOOD = [
    ("kisumu", "kisumu.localhost kisumu.school.local", "Kisumu High"),
    ("kakamega", "kakamega.localhost;kakamega.school.local", "Kakamega School"),
    ("eldoret", "eldoret.localhost", ""),
]
BAD = [
    ("Bad-Name", "bad.localhost", "Bad", "lowercase"),  # a bad name
    ("thika", "accra.localhost", "Thika", "host 'accra.localhost' already belongs to school 'accra'"),
    ("nyeri", "kisumu.localhost", "Nyeri", "host 'kisumu.localhost' already belongs to school 'kisumu'"),
    ("meru", "", "Meru", "needs at least one --host"),
]


def write_csv(path, rows):
    lines = ["name,hosts,display_name"] + [",".join(f'"{cell}"' for cell in row[:3]) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def registered(platform):
    if ON_MONGODB:
        return None
    with sqlite3.connect(platform.db_dir / "default.sqlite3") as db:
        return sorted(db.execute("SELECT s.name, h.host FROM School_school s JOIN School_schoolhost h ON h.school_id = s.id"))


def healthz(host):
    return Client(HTTP_HOST=host).get("/healthz")


def test_import_adds_good_rows_reports_bad_ones_by_line_and_reruns_skip(three_schools, run_cli, tmp_path):
    # Lines: 1 header, 2-4 good, 5-8 bad.
    path = write_csv(tmp_path / "schools.csv", GOOD + BAD)
    result = run_cli("schools", "import", str(path))
    assert result.returncode == 1
    for line, (_name, _hosts, _display, reason) in enumerate(BAD, start=5):
        assert any(error.startswith(f"{path}:{line}: ") and reason in error for error in result.stderr.splitlines()), (line, result.stderr)
    assert "3 added, 0 skipped, 4 failed (7 rows)" in result.stdout
    assert "[7/7]" in result.stdout  # one progress line per row when not on a terminal
    outlive_registry_ttl()
    assert healthz("kakamega.school.local").json()["school"] == "kakamega"
    assert healthz("eldoret.localhost").json() == {"school": "eldoret", "status": "ok", "students": 0}
    for host in ("bad.localhost", "meru.localhost"):
        assert healthz(host).status_code == 404
    assert healthz("accra.localhost").json()["school"] == "accra"  # untouched by the bad row

    before = registered(three_schools)
    rerun = run_cli("schools", "import", str(path))
    assert rerun.returncode == 1
    assert "0 added, 3 skipped, 4 failed (7 rows)" in rerun.stdout
    assert registered(three_schools) == before

    fixed = write_csv(tmp_path / "fixed.csv", GOOD + [("thika", "thika.localhost", "Thika")])
    final = run_cli("schools", "import", str(fixed))
    assert final.returncode == 0, final.stderr
    assert "1 added, 3 skipped, 0 failed (4 rows)" in final.stdout


def test_a_row_differing_from_an_existing_school_fails_without_changing_it(three_schools, run_cli, tmp_path):
    path = write_csv(tmp_path / "schools.csv", [("nairobi", "nairobi.localhost", "Nairobi School")])
    result = run_cli("schools", "import", str(path))
    assert result.returncode == 1
    assert f"{path}:2: school 'nairobi' already exists with other hosts" in result.stderr
    assert healthz("nairobi.school.local").json()["school"] == "nairobi"


def test_a_file_that_is_not_a_school_list_is_refused_whole(three_schools, run_cli, tmp_path):
    path = tmp_path / "students.csv"
    path.write_text("registration_no,first_name\nX-1,Ama\n")
    before = registered(three_schools)
    result = run_cli("schools", "import", str(path))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "missing: name, hosts" in result.stderr
    assert registered(three_schools) == before
    missing = run_cli("schools", "import", str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
