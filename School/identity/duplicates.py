"""Children active at more than one school: by learner number (certain) and by fingerprint (likely).

Found from `default`'s digests alone (School/identity/registry.py); the
registration numbers are looked up at the schools when the report is made
(one query per school named), and shown to platform staff only. Two schools
with a transfer in progress between them (pending or being accepted) are
not reported for each other: the child is on the way. A fingerprint match
whose two records carry different learner numbers is still listed, as
"likely", with the note "different learner numbers": twins with the same
names are two children, and the platform cannot tell them from a child
numbered twice; a person at the schools can.
"""

from collections import defaultdict
from dataclasses import astuple, dataclass
from itertools import combinations

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count

from School.connections import forget_alias
from School.context import tenant_context
from School.models import School, Student
from School.operations.fanout import map_schools
from School.platform.models import StudentDigest
from School.platform.report import ReportError, write_rows
from School.transfers.models import OPEN_STATES, Transfer
from School.utils import all_schools

CERTAIN, LIKELY = "certain", "likely"
HEADER = ("match", "school", "registration_no", "other_school", "other_registration_no", "note")
DIFFERENT_NUMBERS = "different learner numbers"


@dataclass
class Duplicate:
    match: str
    school: str
    registration_no: str
    other_school: str
    other_registration_no: str
    note: str = ""


def active_digests(column):
    # `active IN (1)`, not Django's bare `active`: SQLite then searches the index (active, digest, school) in the
    # digests' order, and groups them without sorting (a bare boolean column scans the whole index and sorts).
    return StudentDigest.objects.using(DEFAULT_DB_ALIAS).filter(active__in=[True], **{f"{column}__gt": ""})


def shared_query(column):
    """The digests of `column` ("learner" or "fingerprint") active at two schools or more: grouped by the database."""
    return (active_digests(column).order_by().values(column).annotate(schools=Count("school", distinct=True))
            .filter(schools__gt=1).values_list(column, flat=True))


def _groups(column):
    """{digest: [(school id, student key, learner digest)]} of the digests `column` active at two schools or more."""
    active = active_digests(column)
    shared = shared_query(column)
    groups = defaultdict(list)
    for value, school, student, learner in active.filter(**{f"{column}__in": list(shared)}).values_list(
            column, "school_id", "student", "learner"):
        groups[value].append((school, student, learner))
    return groups


def _pairs(column):
    for members in _groups(column).values():
        for one, other in combinations(sorted(members), 2):
            if one[0] != other[0]:
                yield one, other


def find_duplicates(jobs=1):
    """[Duplicate], certain ones first; registration numbers read at the schools now (in `jobs` processes:
    1 in a web request, which must not fork)."""
    names = dict(School.objects.using(DEFAULT_DB_ALIAS).values_list("pk", "name"))
    moving = {frozenset(pair) for pair in Transfer.objects.using(DEFAULT_DB_ALIAS)
              .filter(state__in=OPEN_STATES).values_list("source", "target")}
    found = []
    for match, column in ((CERTAIN, "learner"), (LIKELY, "fingerprint")):
        for one, other in _pairs(column):
            if names[one[0]] > names[other[0]]:  # each pair read in the schools' alphabetical order
                one, other = other, one
            if frozenset((names[one[0]], names[other[0]])) in moving:
                continue
            if match == LIKELY and one[2] and one[2] == other[2]:
                continue  # the same learner number: listed as certain already
            note = DIFFERENT_NUMBERS if match == LIKELY and one[2] and other[2] else ""
            found.append((match, one, other, note))
    numbers = _registration_numbers(names, [member for _m, one, other, _n in found for member in (one, other)], jobs)
    return [Duplicate(match, names[one[0]], numbers.get((one[0], one[1]), "?"), names[other[0]],
                      numbers.get((other[0], other[1]), "?"), note) for match, one, other, note in found]


def _registration_numbers(names, members, jobs):
    """{(school id, student key): registration number}: one query per school, schools in `jobs` worker processes."""
    wanted = defaultdict(set)
    for school, student, _learner in members:
        wanted[school].add(student)
    infos = {info.name: info for info in all_schools()}  # one query, not one per school
    tasks = [(school, infos[names[school]], sorted(students)) for school, students in wanted.items()
             if names[school] in infos]
    numbers = {}
    for found in map_schools(_numbers_at, tasks, jobs):
        numbers.update(found)
    return numbers


def _numbers_at(task):
    """The registration numbers of some students of one school (in a fan-out worker)."""
    school, info, students = task
    keys = [Student._meta.pk.to_python(student) for student in students]
    try:
        with tenant_context(info):
            rows = Student.objects.using(info.alias).filter(pk__in=keys).values_list("pk", "registration_no")
            return {(school, str(pk)): number for pk, number in rows}
    finally:
        forget_alias(info.name)


def write_duplicates(format, output, stdout, jobs):
    rows = [astuple(duplicate) for duplicate in find_duplicates(jobs)]
    try:
        write_rows(format, output, stdout, lambda: (HEADER, rows))
    except ReportError as error:
        raise CommandError(str(error), returncode=2) from None
