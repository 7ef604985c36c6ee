"""National figures from the per-school rows in `default`: totals, groupings, the daily snapshot.

Flat queries only (no join: a join is a $lookup on MongoDB); a removed
school's figures are deleted with it (on_delete=CASCADE), so they leave
every total at once.
"""

import datetime
from collections import Counter, defaultdict

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from School.models import School
from School.platform.figures import SEX_KEYS, STATUSES
from School.platform.models import NationalSnapshot, SchoolFigures

MAIN_CLUSTER = "main"


def figures():
    return SchoolFigures.objects.using(DEFAULT_DB_ALIAS).order_by()


def schools():
    return School.objects.using(DEFAULT_DB_ALIAS).order_by()


def national_totals():
    """{"schools": n, "counted": n, "total": n, status: n, ..., sex key: n (active), ...}: one aggregate query on the figures."""
    sums = figures().aggregate(
        counted=Count("pk"), total=Sum("total"), **{name: Sum(name) for name in (*STATUSES, *SEX_KEYS)}
    )
    result = {"schools": schools().count(), **{key: value or 0 for key, value in sums.items()}}
    return result


def by_status():
    totals = national_totals()
    return [(status, totals[status]) for status in STATUSES]


def by_sex():
    """[(sex key, active students)] over every school."""
    totals = national_totals()
    return [(key, totals[key]) for key in SEX_KEYS]


def by_class(with_sexes=False):
    """[(class, {status: n}, total)] over every school, by class name.

    with_sexes: [(class, {status: n}, total, {sex key: active n})].
    """
    classes, sexes = defaultdict(dict), defaultdict(dict)
    fields = ("by_class", "by_sex") if with_sexes else ("by_class",)
    for row in figures().values_list(*fields).iterator(chunk_size=5000):
        for per_class, added in zip(row, (classes, sexes)):
            for grade, counts in per_class.items():
                total = added[grade]
                for key, n in counts.items():
                    total[key] = total.get(key, 0) + n
    if with_sexes:
        return [(grade, counts, sum(counts.values()), sexes.get(grade, {})) for grade, counts in sorted(classes.items())]
    return [(grade, counts, sum(counts.values())) for grade, counts in sorted(classes.items())]


def by_grade(year=""):
    """[(grade, enrolments, schools)] of the current year of each school, or of year `year`, over every school.

    As of each school's last count (refresh-figures): enrolments change at
    promotion and transfers, not with each edit of a student.
    """
    grades, schools_of = Counter(), Counter()
    for current, per_year in figures().values_list("current_year", "by_year").iterator(chunk_size=5000):
        for grade, n in (per_year or {}).get(year or current, {}).items():
            grades[grade] += n
            schools_of[grade] += 1
    return [(grade, grades[grade], schools_of[grade]) for grade in sorted(grades)]


def by_cluster():
    """[(cluster, schools, students)]: `main` is the deployment's own cluster (and SQLite)."""
    cluster_of = dict(schools().values_list("pk", "cluster").iterator(chunk_size=5000))
    school_count = Counter((cluster or MAIN_CLUSTER) for cluster in cluster_of.values())
    students = Counter()
    for key, total in figures().values_list("school_id", "total").iterator(chunk_size=5000):
        students[cluster_of.get(key) or MAIN_CLUSTER] += total
    return [(cluster, school_count[cluster], students[cluster]) for cluster in sorted(school_count)]


def take_snapshot(today=None):
    """Write (or bring up to date) today's national snapshot and prune those past the retention."""
    today = today or timezone.now().date()
    totals = national_totals()
    values = {"schools": totals["schools"], "total": totals["total"],
              **{name: totals[name] for name in (*STATUSES, *SEX_KEYS)}}
    snapshots = NationalSnapshot.objects.using(DEFAULT_DB_ALIAS)
    if not snapshots.filter(day=today).update(**values):
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                snapshots.create(day=today, **values)
        except IntegrityError:  # another process took today's meanwhile
            snapshots.filter(day=today).update(**values)
    snapshots.filter(day__lt=today - datetime.timedelta(days=settings.FIGURES_SNAPSHOT_DAYS)).delete()


def ensure_snapshot():
    """Take today's snapshot unless there is one: whoever looks at the figures first each day does."""
    if not NationalSnapshot.objects.using(DEFAULT_DB_ALIAS).filter(day=timezone.now().date()).exists():
        take_snapshot()


def trend():
    return list(NationalSnapshot.objects.using(DEFAULT_DB_ALIAS).values_list("day", "total"))
