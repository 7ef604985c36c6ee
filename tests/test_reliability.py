"""Faults and hostile input: nothing leaks, one school's trouble stays its own."""

import pytest
from django.db import connections
from django.test import Client


def get(host, path="/", **headers):
    return Client(HTTP_HOST=host, raise_request_exception=False).get(path, **headers)


@pytest.mark.sqlite  # removes a database file
def test_a_missing_database_is_a_503_for_that_school_only_and_recovers_without_restart(three_schools):
    path = three_schools.db_dir / "accra.sqlite3"
    away = path.with_name("accra.sqlite3.away")
    connections.close_all()
    path.rename(away)
    try:
        for page, headers in (("/", {}), ("/healthz", {}), ("/api/students/", {"HTTP_AUTHORIZATION": "Token abc"})):
            response = get("accra.localhost", page, **headers)
            assert response.status_code == 503, (page, response.status_code)
            assert "ACC-" not in response.content.decode()
        assert "Temporarily unavailable" in get("accra.localhost").content.decode()
        assert not path.exists(), "an empty database must not be created in its place"
        assert get("nairobi.localhost").status_code == 200
        assert get("localhost", "/healthz").json()["students"] == 3
    finally:
        away.rename(path)
    recovered = get("accra.localhost")
    assert recovered.status_code == 200 and "ACC-0000" in recovered.content.decode()


@pytest.mark.sqlite
def test_a_missing_database_fails_commands_with_one_line(three_schools, run_cli):
    (three_schools.db_dir / "nairobi.sqlite3").unlink()
    result = run_cli("nairobi", "shell", "-c", "from School.models import Student; Student.objects.count()")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "school_manage.py: error: cannot use the SQLite database: unable to open database file"
    )


def test_a_bug_is_still_a_500_not_a_503(three_schools, settings):
    settings.ROOT_URLCONF = "tests.urls_failing"
    assert get("accra.localhost", "/boom").status_code == 500

