"""Whole tables of one school, read once per count and shared by everything counted from them.

A recount of a school's figures (School/platform/figures.py) counts its
students by class, its enrolments by year, the identity digests
(School/identity/registry.py) and the ministry's counts per year
(School/indicators/aggregate.py). Each read the students, the years, the
grades and the enrolments on its own, through the ORM, which built and
compiled every statement again for each of 100,000 schools: the refresh of
2,000 schools fell from 500 to 120 a second. Inside `shared_reads()` each
table is read once per school, by a statement compiled once per kind of
database (School/compiled.py); outside it every call reads afresh.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from School.compiled import rows_or_orm
from School.models import Student
from School.school_year.models import Enrolment, Grade, SchoolClass, SchoolYear

_shared = ContextVar("school_table_reads", default=None)  # {(alias, name): rows} while shared_reads() runs

# The columns of the one read of the students, in this order.
STUDENT_COLUMNS = ("pk", "grade", "status", "sex", "date_of_birth", "learner_no", "first_name", "second_name")


@contextmanager
def shared_reads():
    """Within: each whole-table read of a school is made once; later readers get the same rows."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def kept(alias, name, compute):
    """compute() of the school at `alias`, worked out once inside shared_reads() (`name`: one compute for each name)."""
    shared = _shared.get()
    if shared is None:
        return compute()
    key = (alias, name)
    if key not in shared:
        shared[key] = compute()
    return shared[key]


def table(alias, name, build):
    """Every row of `build()` (a values_list queryset with no parameters) at `alias`, as a list of tuples.

    `name` identifies the read: one `build` for each name.
    """
    return kept(alias, name, lambda: rows_or_orm(alias, ("table", name), build, []))


def students_query(alias):
    return Student.objects.using(alias).order_by().values_list(*STUDENT_COLUMNS)


def students(alias):
    """[STUDENT_COLUMNS tuples] of every student of the school."""
    return table(alias, "students", lambda: students_query(alias))


def years(alias):
    """[(pk, name, first day, last day, is current)] of the school's years, by first day."""
    return table(alias, "years", lambda: SchoolYear.objects.using(alias).order_by("first_day").values_list(
        "pk", "name", "first_day", "last_day", "is_current"))


def grades(alias):
    """[(pk, name, level, isced, is final)] of the school's grade ladder, lowest first."""
    return table(alias, "grades", lambda: Grade.objects.using(alias).order_by("position").values_list(
        "pk", "name", "level", "isced", "is_final"))


def classes(alias):
    """[(pk, name, grade pk, year pk)] of every class of every year."""
    return table(alias, "classes", lambda: SchoolClass.objects.using(alias).order_by().values_list(
        "pk", "name", "grade_id", "year_id"))


def enrolments(alias):
    """[(year pk, student pk, grade pk, class pk, outcome)] of every enrolment written."""
    return table(alias, "enrolments", lambda: Enrolment.objects.using(alias).order_by().values_list(
        "year_id", "student_id", "grade_id", "school_class_id", "outcome"))
