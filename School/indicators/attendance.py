"""The platform's side of the daily register: attendance rates per school, cluster and nation, and the schools with no
register today, read from the YearAggregates of each school's current year (counts only).

Attendance rate = present sessions / possible sessions (School/indicators/aggregate.py).
"No register today": a school whose current year holds today, which has
classes, and whose last register is older than today. Only Monday to
Friday: a school's own extra days (its register settings) are its own page's
business. The counts follow each register's save (School/platform/follow.py).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Q, Sum
from django.utils import timezone

from School.indicators.rates import Ratio, names_of
from School.models import School
from School.platform.models import YearAggregates

SCHOOL_DAYS = (0, 1, 2, 3, 4)  # Monday .. Friday
SHOWN = 50


def current_rows():
    return YearAggregates.objects.using(DEFAULT_DB_ALIAS).filter(is_current=True).order_by()


def national_rate():
    """Ratio of present to possible sessions in every school's current year: one aggregate query."""
    sums = current_rows().aggregate(present=Sum("present"), possible=Sum("possible"))
    return Ratio(sums["present"] or 0, sums["possible"] or 0)


def rates_by(group):
    """[(cluster or school name, Ratio)] of the current year; group "cluster" or "school"."""
    found = defaultdict(lambda: [0, 0])
    rows = list(current_rows().values_list("school_id", "present", "possible").iterator(chunk_size=10000))
    if group == "cluster":
        label = dict(School.objects.using(DEFAULT_DB_ALIAS).values_list("pk", "cluster").iterator(chunk_size=10000))
        key_of = lambda key: label.get(key) or "main"  # noqa: E731
    else:
        label = names_of([key for key, _p, _q in rows])
        key_of = lambda key: label.get(key, str(key))  # noqa: E731
    for key, present, possible in rows:
        sums = found[key_of(key)]
        sums[0] += present
        sums[1] += possible
    return [(name, Ratio(present, possible)) for name, (present, possible) in sorted(found.items())]


@dataclass
class NoRegister:
    day: object
    school_day: bool
    expected: int  # schools that take registers today
    missing: int
    names: list  # the first SHOWN, by name


def no_register_today(today=None):
    today = today or timezone.localdate()
    if today.weekday() not in SCHOOL_DAYS:
        return NoRegister(today, False, 0, 0, [])
    expected = current_rows().filter(register_classes__gt=0, first_day__lte=today, last_day__gte=today)
    counts = expected.aggregate(
        expected=Count("pk"),
        missing=Count("pk", filter=Q(last_register_day__isnull=True) | Q(last_register_day__lt=today)),
    )
    keys = (expected.filter(Q(last_register_day__isnull=True) | Q(last_register_day__lt=today))
            .values_list("school_id", flat=True))
    names = sorted(School.objects.using(DEFAULT_DB_ALIAS).filter(pk__in=keys).order_by("name")
                   .values_list("name", flat=True)[:SHOWN])
    return NoRegister(today, True, counts["expected"], counts["missing"], names)


def persistent_by_school(limit=10):
    """[(school, Ratio)] of the current year's highest shares of persistent absence (latest term)."""
    rows = list(current_rows().filter(persistent_of__gt=0).values_list("school_id", "persistent", "persistent_of")
                .iterator(chunk_size=10000))
    rows.sort(key=lambda row: -row[1] / row[2])
    top = rows[:limit]
    names = names_of([key for key, _n, _of in top])
    return [(names.get(key, str(key)), Ratio(n, of)) for key, n, of in top]
