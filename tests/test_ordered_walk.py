"""A broad search's page read by walking the sort's index: the same rows the database's sort gives, or none."""

import pytest

from School.context import tenant_context
from School.models import Student
from School.records import ordered_walk
from School.records.table import PAGE_SIZE, SORTABLE, SchoolFacts, StudentTableQuery
from School.views import ROW_FIELDS

SURNAMES = ["Kamau", "Mensah", "Owusu", "Achieng", "Kiprop"]


@pytest.fixture
def school(platform):
    """400 students: surnames spread evenly, a first name common to one in four, and 60 Zulus registered last."""
    students = [
        (f"R-{n:04d}", "Amina" if n % 4 == 0 else f"Name{n % 13}", SURNAMES[n % len(SURNAMES)]) for n in range(340)
    ] + [(f"R-{n:04d}", f"Late{n % 7}", "Zulu") for n in range(340, 400)]
    platform.add_school("kisumu", ["kisumu.localhost"], "Kisumu High", students[::-1])  # rowids not in registration order
    with tenant_context("kisumu"):
        Student.objects.filter(registration_no="R-0007").update(first_name="Kamau")  # matches on two keys
        yield


@pytest.fixture
def walks(monkeypatch):
    """What each walk the page tried returned: a page (True) or nothing (False)."""
    outcomes = []
    original = ordered_walk.walk_page

    def recorded(*args):
        rows = original(*args)
        outcomes.append(rows is not None)
        return rows

    monkeypatch.setattr("School.records.table.walk_page", recorded)
    return outcomes


def sorted_by_the_database(query, number):
    offset = (number - 1) * PAGE_SIZE
    students = query.queryset().values_list(*ROW_FIELDS)
    return list(students[offset:offset + PAGE_SIZE]), students.count()


SEARCHES = ["kamau", "amina", "r-01", "zulu", "late3", "nobody"]
SORTS = [f"{sign}{column}" for column in SORTABLE for sign in ("", "-")]


@pytest.mark.parametrize("walk_factor", [4, 40])
def test_every_page_of_every_search_and_sort_is_the_databases_page(school, walks, monkeypatch, walk_factor):
    monkeypatch.setattr(ordered_walk, "WALK_FACTOR", walk_factor)
    if walk_factor == 4:
        # Every search walked, bounded to 4 rows per row needed: many give up.
        monkeypatch.setattr("School.records.table.worth_walking", lambda students, matches: True)
    for search in SEARCHES:
        for sort in SORTS:
            query = StudentTableQuery.from_params({"q": search, "sort": sort})
            for number in (1, 2, 3):
                page = query.page_rows(number, ROW_FIELDS, SchoolFacts())
                expected, count = sorted_by_the_database(query, page.number)
                assert (page.rows, page.count) == (expected, count), (search, sort, number)
    # Both ways were taken: walks that found their page, and walks that gave up.
    assert True in walks and (walk_factor == 40 or False in walks)


def test_a_walk_gives_up_when_the_matches_lie_beyond_its_bound(school, monkeypatch):
    monkeypatch.setattr(ordered_walk, "WALK_FACTOR", 4)  # reads at most 4 x 51 of the 400 rows
    zulus = StudentTableQuery.from_params({"q": "zulu"}).queryset().values_list(*ROW_FIELDS)
    assert ordered_walk.walk_page(zulus, "registration_no", False, ROW_FIELDS, 0, PAGE_SIZE + 1, 400) is None
    # From the other end they come first: the walk finds them.
    descending = StudentTableQuery.from_params({"q": "zulu", "sort": "-registration_no"}).queryset().values_list(*ROW_FIELDS)
    rows = ordered_walk.walk_page(descending, "registration_no", True, ROW_FIELDS, 0, PAGE_SIZE + 1, 400)
    assert rows == list(descending[:PAGE_SIZE + 1])


def test_only_searches_with_enough_matches_are_walked():
    assert ordered_walk.worth_walking(students=400, matches=80)  # one in five
    assert not ordered_walk.worth_walking(students=400, matches=10)  # one in forty: the indexes find them
    assert not ordered_walk.worth_walking(students=400, matches=0)
