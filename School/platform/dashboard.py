"""What the platform dashboard shows, computed from `default` and kept PLATFORM_DASHBOARD_TTL seconds per worker.

With 100,000 schools the national aggregates read every figures row (a
second or so), so a worker computes them once per TTL and serves the page
and its charts from that; an action on the page (back up, resume) drops
the copy at once.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from School.indicators.dashboard import compute as indicator_view
from School.platform.health import needing_attention
from School.platform.national import by_class, by_cluster, by_grade, ensure_snapshot, figures, national_totals, schools, trend
from School.platform.figures import STATUSES

SIZE_BUCKETS = (0, 1, 50, 100, 250, 500, 1000, 2000, 5000)
TOP = 10
CLASSES_SHOWN = 20
HEALTH_ROWS = 50


@dataclass
class Dashboard:
    totals: dict
    clusters: list
    classes: list
    sizes: list
    trend: list
    largest: list
    growing: list
    attention: list
    attention_count: int
    grades: list  # [(grade, enrolments, schools)] of each school's current year: `schools report --by grade`
    indicators: object = None  # School/indicators/dashboard.py IndicatorView


def size_label(low, high):
    return f"{low}+" if high is None else (str(low) if high == low + 1 else f"{low}-{high - 1}")


def school_sizes():
    """[(label, number of schools)] over SIZE_BUCKETS."""
    counts = [0] * len(SIZE_BUCKETS)
    for total in figures().values_list("total", flat=True).iterator(chunk_size=10000):
        index = len(SIZE_BUCKETS) - 1
        while SIZE_BUCKETS[index] > total:
            index -= 1
        counts[index] += 1
    bounds = [*SIZE_BUCKETS[1:], None]
    return [(size_label(low, high), n) for low, high, n in zip(SIZE_BUCKETS, bounds, counts)]


def top_schools(field):
    """[(school name, value)] of the TOP schools by `field` (two flat queries: no join)."""
    rows = [row for row in figures().order_by(f"-{field}").values_list("school_id", field)[:TOP] if row[1] > 0]
    names = dict(schools().filter(pk__in=[key for key, _ in rows]).values_list("pk", "name"))
    return [(names[key], value) for key, value in rows if key in names]


def top_classes():
    """The CLASSES_SHOWN largest classes by name, and the rest as one "other" row."""
    classes = sorted(by_class(), key=lambda row: -row[2])
    shown, rest = classes[:CLASSES_SHOWN], classes[CLASSES_SHOWN:]
    if rest:
        other = {status: sum(row[1].get(status, 0) for row in rest) for status in STATUSES}
        shown.append((None, other, sum(other.values())))
    return shown


def compute():
    ensure_snapshot()
    attention, count = [], 0
    for school, problems in needing_attention():
        count += 1
        if len(attention) < HEALTH_ROWS:
            attention.append((school, problems))
    return Dashboard(
        totals=national_totals(),
        clusters=by_cluster(),
        classes=top_classes(),
        sizes=school_sizes(),
        trend=trend(),
        largest=top_schools("total"),
        growing=top_schools("growth"),
        attention=attention,
        attention_count=count,
        grades=by_grade(),
        indicators=indicator_view(),
    )


_lock = threading.Lock()
_kept = {"at": None, "data": None}


def current():
    """The dashboard's data, at most PLATFORM_DASHBOARD_TTL seconds old in this worker."""
    with _lock:
        at = _kept["at"]
        if at is not None and time.monotonic() - at < settings.PLATFORM_DASHBOARD_TTL:
            return _kept["data"]
    data = compute()
    with _lock:
        _kept.update(at=time.monotonic(), data=data)
    return data


def forget():
    with _lock:
        _kept.update(at=None, data=None)

