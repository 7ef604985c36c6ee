"""`schools learner-numbers import FILE`: numbers from an older national system, all or nothing.

The file (CSV, UTF-8, a header) has the columns school, registration_no and
learner_no. A number is read by LEARNER_NUMBER_IMPORT_PATTERN and
LEARNER_NUMBER_IMPORT_CHECK (settings). Every row is checked before
anything is written: an unknown school or student, a malformed number, a
number twice in the file, or a number another child already holds (at that
school, or, by its digest, anywhere on the platform) is that line's error,
and nothing is written. Then the digests are recorded in `default` (one
transaction) and each school's students get their numbers (one transaction
per school); a run stopped between the two is finished by running it again.
"""

import csv
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction

from School.context import tenant_context
from School.identity.learner_number import digest, read_imported
from School.models import Student
from School.operations.provisioning import SchoolError
from School.platform.models import LearnerNumber, StudentDigest
from School.utils import school_by_name

COLUMNS = ("school", "registration_no", "learner_no")
SHOWN_ERRORS = 20


def _rows(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            missing = [name for name in COLUMNS if name not in header]
            if missing:
                raise SchoolError(f"line 1: missing column(s) {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
            reader.fieldnames = header
            return [(line, {key: (value or "").strip() for key, value in row.items() if key})
                    for line, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError) as error:
        raise SchoolError(f"cannot read {path}: {error}") from None


def _checked(rows):
    """({school name: {registration_no: number}}, [error lines])."""
    errors, wanted, seen = [], defaultdict(dict), {}
    for line, row in rows:
        try:
            number = read_imported(row.get("learner_no", ""))
        except ValidationError as error:
            errors.append(f"line {line}: {' '.join(error.messages)}")
            continue
        if not number:
            errors.append(f"line {line}: learner_no is empty")
        elif number in seen:
            errors.append(f"line {line}: learner number {number} repeated (first on line {seen[number]})")
        elif school_by_name(row.get("school", "")) is None:
            errors.append(f"line {line}: unknown school {row.get('school', '')!r}")
        else:
            seen[number] = line
            wanted[row["school"]][row.get("registration_no", "")] = (number, line)
    for name, students in wanted.items():
        with tenant_context(school_by_name(name)):
            found = dict(Student.objects.filter(registration_no__in=list(students)).values_list("registration_no", "pk"))
            holders = dict(Student.objects.filter(learner_no__in=[n for n, _line in students.values()])
                           .values_list("learner_no", "registration_no"))
        for registration_no, (number, line) in students.items():
            if registration_no not in found:
                errors.append(f"line {line}: {name} has no student {registration_no!r}")
            elif holders.get(number, registration_no) != registration_no:
                errors.append(f"line {line}: learner number {number} belongs to {holders[number]} at {name}")
            else:
                students[registration_no] = (number, line, found[registration_no])
    _held_elsewhere(wanted, errors)
    return wanted, errors


def _held_elsewhere(wanted, errors):
    """A number some other school's student holds (known by its digest) belongs to another child."""
    by_digest = {digest(value[0]): (name, value) for name, students in wanted.items()
                 for value in students.values() if len(value) == 3}
    held = StudentDigest.objects.using(DEFAULT_DB_ALIAS).filter(learner__in=list(by_digest)).values_list(
        "learner", "school__name", "student")
    for learner, school, student in held:
        name, (number, line, pk) = by_digest[learner]
        if (school, student) != (name, str(pk)):
            errors.append(f"line {line}: learner number {number} belongs to another child (at {school})")


def import_numbers(path, stdout):
    rows = _rows(path)
    wanted, errors = _checked(rows)
    if errors:
        shown = "\n".join(sorted(errors, key=lambda text: int(text.split(":")[0].split()[1]))[:SHOWN_ERRORS])
        raise SchoolError(f"nothing was written: {len(errors)} of {len(rows)} rows have errors\n{shown}")
    digests = [digest(number) for students in wanted.values() for number, _line, _pk in students.values()]
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        known = set(LearnerNumber.objects.using(DEFAULT_DB_ALIAS).filter(digest__in=digests).values_list("digest", flat=True))
        LearnerNumber.objects.using(DEFAULT_DB_ALIAS).bulk_create(
            [LearnerNumber(digest=value, imported=True) for value in digests if value not in known], batch_size=1000)
    for name, students in wanted.items():
        with tenant_context(school_by_name(name)):
            with transaction.atomic(using=school_by_name(name).alias):
                for registration_no, (number, _line, pk) in students.items():
                    Student.objects.filter(pk=pk).update(learner_no=number)
    stdout.write(f"{len(rows)} learner numbers imported at {len(wanted)} schools\n")
