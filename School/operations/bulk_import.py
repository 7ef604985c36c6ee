"""`schools import FILE.csv`: many schools from one file, each row all-or-nothing.

Columns: name, hosts (separated by spaces or `;`), display_name, and the
optional cluster, language, time_zone and date_order (empty: the defaults). A row is one add_school(): a bad row (bad name, a host
another school owns, ...) is reported with its line number and the others go
on. A school that already exists with the same display name, hosts and
cluster is skipped, so rerunning a file after fixing its bad rows adds only
those.
"""

import csv
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS

from School.operations.provisioning import SchoolError, add_school
from School.utils import school_by_name
from School.validation import normalize_host

ADDED, SKIPPED, FAILED = "added", "skipped", "failed"
REQUIRED = ("name", "hosts")
LOCALE_COLUMNS = ("language", "time_zone", "date_order")
KNOWN = (*REQUIRED, "display_name", "cluster", *LOCALE_COLUMNS)


@dataclass(frozen=True)
class RowOutcome:
    line: int
    school: str
    status: str
    detail: str = ""


def split_hosts(text):
    return [host for host in re.split(r"[\s;]+", text or "") if host]


def read_rows(path):
    """(line number, row) pairs; SchoolError if the file cannot be a school list."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise SchoolError(f"cannot read {path}: {error.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = [column.strip().lower() for column in reader.fieldnames or ()]
        missing = [column for column in REQUIRED if column not in columns]
        if missing:
            raise SchoolError(f"{path}: the header must name the columns {', '.join(KNOWN[:3])} [, cluster]; missing: {', '.join(missing)}")
        reader.fieldnames = columns
        rows = [(reader.line_num, row) for row in reader if any((value or "").strip() for value in row.values())]
    return rows


def import_row(line, row):
    name = (row.get("name") or "").strip()
    hosts = split_hosts(row.get("hosts"))
    display_name = (row.get("display_name") or "").strip()
    cluster = (row.get("cluster") or "").strip()
    try:
        existing = school_by_name(name) if name and name != DEFAULT_DB_ALIAS else None
        if existing is not None:
            if _same(existing, hosts, display_name, cluster):
                return RowOutcome(line, name, SKIPPED, "exists with the same hosts")
            raise SchoolError(f"school {name!r} already exists with other hosts, display name or cluster")
        locale = {column: (row.get(column) or "").strip() for column in LOCALE_COLUMNS}
        add_school(name, hosts, display_name, cluster=cluster, locale=locale)
    except SchoolError as error:
        return RowOutcome(line, name or "(no name)", FAILED, str(error))
    return RowOutcome(line, name, ADDED)


def _same(school, hosts, display_name, cluster):
    try:
        wanted = sorted({normalize_host(host) for host in hosts})
    except ValidationError:
        return False
    return (
        wanted == sorted(school.hosts)
        and (not display_name or display_name == school.display_name)
        and (not cluster or cluster == school.cluster)
    )


def import_schools(rows, on_outcome):
    """Import every row, calling on_outcome(RowOutcome) after each; returns the counts per status."""
    counts = {ADDED: 0, SKIPPED: 0, FAILED: 0}
    for line, row in rows:
        outcome = import_row(line, row)
        counts[outcome.status] += 1
        on_outcome(outcome)
    return counts
