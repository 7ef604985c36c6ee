"""What the transfer tests look at: the raw databases, never the code under test."""

import sqlite3

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from School.context import tenant_context
from tests.test_student_access import PASSWORD, signed_in  # noqa: F401 (the transfer tests sign in the same way)


def default_holds(platform, *needles):
    """Which of `needles` appear anywhere in `default`'s database: every table, every row, and the raw file."""
    found = set()
    with sqlite3.connect(platform.db_dir / "default.sqlite3") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                text = " ".join(str(value) for value in row).lower()
                found |= {needle for needle in needles if needle.lower() in text}
    raw = b"".join(path.read_bytes() for path in platform.db_dir.glob("default.sqlite3*")).lower()
    found |= {needle for needle in needles if needle.lower().encode() in raw}
    return found


def rows(database, sql, *params):
    with sqlite3.connect(database) as db:
        return db.execute(sql, params).fetchall()


def student_state(platform, school, number, database=None):
    """(status or None) of the student with that registration number, read from the school's file."""
    found = rows(database or platform.db_dir / f"{school}.sqlite3",
                 "SELECT status FROM School_student WHERE registration_no = ?", number)
    assert len(found) <= 1
    return found[0][0] if found else None


def make_staff(school, username, transfer=True, staff=True):
    with tenant_context(school):
        user = get_user_model().objects.create_user(username, "", PASSWORD, is_staff=staff)
        codenames = ["view_student", "change_student"] + (["transfer_student"] if transfer else [])
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="School", codename__in=codenames))
        return user

