"""`schools migrations`: which migrations each school has applied and which are pending.

Reads each school's django_migrations table with one query (no migration
run, no model checks) and forgets the school's connection right after, so
a walk over 100,000 schools keeps one process's memory flat; rows are
written as they are read.
"""

import json
from collections import Counter

from django.db import DatabaseError

from School.availability import unavailable_reason
from School.operations.provisioning import school_migrations

UP_TO_DATE, PENDING, FAILED = "up to date", "pending", "failed"


def label(migration):
    app, name = migration
    return f"{app}.{name}"


def school_states(schools):
    """(school, state, applied, pending, detail) for each school, as they are read."""
    for school in schools:
        try:
            applied, pending = school_migrations(school)
        except DatabaseError as error:
            yield school, FAILED, [], [], unavailable_reason(error) or str(error) or type(error).__name__
            continue
        yield school, PENDING if pending else UP_TO_DATE, applied, pending, ""


class Report:
    """Writes the rows of the report as they come, then the counts per state.

    `stdout` is a management command's OutputWrapper (write(text, ending=...)).
    """

    def __init__(self, stdout, as_json, only_pending):
        self.stdout, self.as_json, self.only_pending = stdout, as_json, only_pending
        self.states, self.pending_by_migration = Counter(), Counter()
        self.written = 0

    def add(self, school, state, applied, pending, detail):
        self.states[state] += 1
        self.pending_by_migration.update(label(migration) for migration in pending)
        if self.only_pending and state == UP_TO_DATE:
            return
        if self.as_json:
            row = {"name": school.name, "state": state, "applied": [label(m) for m in applied],
                   "pending": [label(m) for m in pending], **({"error": detail} if detail else {})}
            self.stdout.write(('{"schools": [\n  ' if not self.written else ",\n  ") + json.dumps(row), ending="")
        else:
            if not self.written:
                self.stdout.write(f"{'SCHOOL':<40}  {'APPLIED':>7}  {'PENDING':>7}  PENDING MIGRATIONS")
            shown = detail or " ".join(label(m) for m in pending) or "-"
            self.stdout.write(f"{school.name:<40}  {len(applied):>7}  {len(pending):>7}  {shown}")
        self.written += 1

    def finish(self):
        """Write the counts; returns them ({state: number of schools})."""
        counts = {state: self.states[state] for state in (UP_TO_DATE, PENDING, FAILED)}
        by_migration = dict(sorted(self.pending_by_migration.items()))
        if self.as_json:
            self.stdout.write("\n]" if self.written else '{"schools": []', ending="")
            self.stdout.write(f', "counts": {json.dumps(counts)}, "pending_by_migration": {json.dumps(by_migration)}}}')
            return counts
        self.stdout.write(("\n" if self.written else "") + ", ".join(f"{n} {state}" for state, n in counts.items()))
        for migration, count in by_migration.items():
            self.stdout.write(f"  {migration}: pending in {count} schools")
        return counts
