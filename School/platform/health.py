"""`schools health`: which schools need attention, and why, read from the registry alone.

Nothing here opens a school's database: reachability and pending migrations
are as of the last count (`schools refresh-figures`, nightly), backups as
recorded when each completed. So it answers as fast with 100,000 schools as
with three, and `/metrics` counts the same facts with a few queries.
"""

import json
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

from School.jobs import schedules
from School.platform.listing import schools_with_figures
from School.platform.national import figures, schools

UNREACHABLE, SUSPENDED, PENDING, NO_BACKUP, STALE = (
    "unreachable", "suspended", "pending migrations", "no recent backup", "stale figures",
)
KINDS = (UNREACHABLE, SUSPENDED, PENDING, NO_BACKUP, STALE)
FIELDS = ("counted_at", "unreachable_at", "unreachable_error", "pending_migrations", "last_backup_at", "last_backup_size")


LABELS = {
    UNREACHABLE: gettext_lazy("unreachable"),
    SUSPENDED: gettext_lazy("suspended"),
    PENDING: gettext_lazy("pending migrations"),
    NO_BACKUP: gettext_lazy("no recent backup"),
    STALE: gettext_lazy("stale figures"),
}
SUSPENDED_DETAIL = gettext_lazy("its hosts answer 'temporarily unavailable'")


@dataclass
class Problem:
    kind: str  # one of KINDS: the key in JSON and /metrics
    detail: str  # lazy: worded in the language of the request that shows it

    @property
    def label(self):
        return LABELS[self.kind]


def _worded(message, values):
    return str(message) % {key: str(value) for key, value in values.items()}


# The dashboard keeps its problems PLATFORM_DASHBOARD_TTL seconds across requests, whose languages differ:
# a detail is worded when it is shown, in the language of whoever reads it.
worded = lazy(_worded, str)


def _when(moment):
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else gettext_lazy("never")


def problems_of(school, row, now):
    """The Problems of one school (a listing.Registered and its figures or None)."""
    found = []
    if row and row.unreachable_at:
        found.append(Problem(UNREACHABLE, worded(gettext_lazy("last attempt %(when)s: %(error)s"), {
            "when": _when(row.unreachable_at), "error": row.unreachable_error})))
    if school.suspended:
        found.append(Problem(SUSPENDED, SUSPENDED_DETAIL))
    if row and row.pending_migrations:
        found.append(Problem(PENDING, worded(gettext_lazy("%(count)s migrations not applied (as of %(when)s)"), {
            "count": row.pending_migrations, "when": _when(row.counted_at)})))
    last_backup = row.last_backup_at if row else None
    if not last_backup or now - last_backup > settings.BACKUP_MAX_AGE:
        found.append(Problem(NO_BACKUP, worded(gettext_lazy("last backup %(when)s"), {"when": _when(last_backup)})))
    counted = row.counted_at if row else None
    if not counted or now - counted > settings.FIGURES_MAX_AGE:
        found.append(Problem(STALE, worded(gettext_lazy("last counted %(when)s"), {"when": _when(counted)})))
    return found


def _may_need_attention(now):
    """The figures rows with a problem of their own (the others can only be suspended)."""
    return (
        Q(unreachable_at__isnull=False) | Q(pending_migrations__gt=0)
        | Q(last_backup_at__isnull=True) | Q(last_backup_at__lt=now - settings.BACKUP_MAX_AGE)
        | Q(counted_at__isnull=True) | Q(counted_at__lt=now - settings.FIGURES_MAX_AGE)
    )


def needing_attention():
    """(Registered, [Problem]) of every school with at least one problem, by name.

    Only the figures rows that have a problem are read whole: with 100,000
    schools most are fine, and reading their dates is what costs.
    """
    now = timezone.now()
    counted = set(figures().values_list("school_id", flat=True).iterator(chunk_size=10000))
    for school, row in schools_with_figures(*FIELDS, only=_may_need_attention(now)):
        if row is None and school.key in counted:
            found = [Problem(SUSPENDED, SUSPENDED_DETAIL)] if school.suspended else []
        else:
            found = problems_of(school, row, now)
        if found:
            yield school, found


def attention_counts():
    """(schools, suspended, students, {kind: number of schools}): two aggregate queries, one pass over each table (for /metrics)."""
    now = timezone.now()
    registry = schools().aggregate(schools=Count("pk"), suspended=Count("pk", filter=Q(suspended=True)))
    counted = figures().aggregate(
        students=Sum("total"),
        unreachable=Count("pk", filter=Q(unreachable_at__isnull=False)),
        pending=Count("pk", filter=Q(pending_migrations__gt=0)),
        fresh_backups=Count("pk", filter=Q(last_backup_at__gte=now - settings.BACKUP_MAX_AGE)),
        fresh_figures=Count("pk", filter=Q(counted_at__gte=now - settings.FIGURES_MAX_AGE)),
    )
    total = registry["schools"]
    return total, registry["suspended"], counted["students"] or 0, {
        UNREACHABLE: counted["unreachable"],
        SUSPENDED: registry["suspended"],
        PENDING: counted["pending"],
        NO_BACKUP: total - counted["fresh_backups"],
        STALE: total - counted["fresh_figures"],
    }


def summary_line(schools_seen, attention, per_kind):
    detail = ", ".join(f"{per_kind[kind]} {kind}" for kind in KINDS if per_kind[kind])
    return f"{attention} of {schools_seen} schools need attention" + (f": {detail}" if detail else "")


ATTENDANCE_LINE = "attendance this year (present / possible sessions)"
REGISTERS_LINE = "registers today"


def register_json(found):
    return {"day": found.day.isoformat(), "school_day": found.school_day, "schools_expected": found.expected,
            "schools_without": found.missing, "first_without": found.names}


def register_line(found):
    """One line on today's registers; it does not make `health` fail: a morning's registers come in through the day."""
    if not found.school_day:
        return f"{REGISTERS_LINE} ({found.day}): not a school day"
    shown = ", ".join(found.names[:10]) + (" ..." if found.missing > 10 else "")
    return (f"{REGISTERS_LINE} ({found.day}): {found.missing} of {found.expected} schools have taken none"
            + (f": {shown}" if found.missing else ""))


def write_health(stdout, as_json):
    """Write the report; returns the number of schools needing attention."""
    per_kind, attention = Counter(), 0
    for school, found in needing_attention():
        attention += 1
        per_kind.update(problem.kind for problem in found)
        if as_json:
            row = {"school": school.name, "problems": [{"kind": p.kind, "detail": str(p.detail)} for p in found]}
            stdout.write(('{"schools": [\n  ' if attention == 1 else ",\n  ") + json.dumps(row))
        else:
            if attention == 1:
                stdout.write(f"{'SCHOOL':<40}  PROBLEMS\n")
            stdout.write(f"{school.name:<40}  " + "; ".join(f"{p.kind}: {p.detail}" for p in found) + "\n")
    total = schools().count()
    line = summary_line(total, attention, per_kind)
    from School.jobs import catalogue  # noqa: F401  (the schedules it reports on; only `health` needs them)

    from School.indicators.attendance import national_rate, no_register_today

    registers, attendance = no_register_today(), national_rate()
    runs = schedules.states()
    stale = sum(run["stale"] for run in runs)
    if as_json:
        stdout.write("\n]" if attention else '{"schools": []')
        counts = {kind: per_kind[kind] for kind in KINDS}
        listed = [{**run, "last_ok": run["last_ok"].isoformat() if run["last_ok"] else None} for run in runs]
        stdout.write(f', "schedules": {json.dumps(listed)}')
        stdout.write(f', "registers_today": {json.dumps(register_json(registers))}')
        stdout.write(f', "attendance": {json.dumps(attendance.as_json())}')
        stdout.write(f', "summary": {json.dumps({"schools": total, "attention": attention, **counts, "line": line, "stale_schedules": stale})}}}\n')
    else:
        stdout.write(line + "\n")
        for run in runs:
            when = run["last_ok"].isoformat(timespec="minutes") if run["last_ok"] else "never"
            flag = "  STALE" if run["stale"] else ""
            stdout.write(f"schedule {run['name']:<16} ({run['schedule']}): last ran well {when}{flag}\n")
        # Today's registers and the attendance (issue 35), after the schools and the schedules.
        stdout.write(register_line(registers) + "\n")
        stdout.write(f"{ATTENDANCE_LINE}: {attendance.text(explain=True)}%\n")

    return attention + stale
