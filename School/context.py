"""The school that is active now, for this request, task or command.

A ContextVar, not a thread-local: it follows ORM calls that ASGI runs in
sync_to_async threads, and every activation is undone with its token, so one
request's school can never be left behind for the next.
"""

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS

from School.connections import ensure_alias
from School.utils import SchoolInfo, all_schools, school_by_name

KNOWN_IN_MESSAGES = 20
_active_school = ContextVar("active_school", default=None)


class UnknownSchool(LookupError):
    def __init__(self, name):
        names = [school.name for school in all_schools()]
        # With thousands of schools the line would be unreadable: name a few.
        known = ", ".join(names[:KNOWN_IN_MESSAGES]) + (f" and {len(names) - KNOWN_IN_MESSAGES} more" if len(names) > KNOWN_IN_MESSAGES else "")
        super().__init__(f"unknown school {name!r}; known schools: {known}")
        self.name = name


def current_school():
    """The active SchoolInfo, or None outside any school."""
    return _active_school.get()


def current_alias():
    """The database alias queries go to now: the active school's, else `default`."""
    school = _active_school.get()
    return school.alias if school is not None else DEFAULT_DB_ALIAS


def activate(school):
    """Make `school` (a SchoolInfo) active; returns the token for deactivate()."""
    ensure_alias(school)
    return _active_school.set(school)


def deactivate(token):
    _active_school.reset(token)


def resolve_school(school):
    """A SchoolInfo from a SchoolInfo or a school's name (UnknownSchool if none)."""
    if isinstance(school, SchoolInfo):
        return school
    found = school_by_name(school)
    if found is None:
        raise UnknownSchool(school)
    return found


class tenant_context(ContextDecorator):
    """Run code as the given school, outside a request.

        with tenant_context("nairobi"):
            Student.objects.count()      # Nairobi's students

    Works as a decorator too; nesting restores the outer school on exit.
    """

    def __init__(self, school):
        self.school = school
        self._token = None

    def _recreate_cm(self):
        # A fresh instance per decorated call: calls in parallel threads must
        # not share one token.
        return type(self)(self.school)

    def __enter__(self):
        school = resolve_school(self.school)
        self._token = activate(school)
        return school

    def __exit__(self, *exc_info):
        deactivate(self._token)
        self._token = None
        return False
