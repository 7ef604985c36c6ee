"""Keep the counts of School/indicators/aggregate.py in `default`: one YearAggregates row per school and year.

Called by School/platform/figures.py inside the transaction that stores a
school's figures, so the counts follow the same writes (a student saved, a
promotion, a day's register) and `schools refresh-figures` repairs them
both. A year the school no longer has loses its row.
"""

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from School.platform.models import YearAggregates, YearDetail

MEASURES = ("enrolled", "base", "promoted", "repeated", "transition_from", "transition_into")
SUMS = (*(f"{m}{s}" for m in MEASURES for s in ("", "_female", "_male")), "repeaters", "teachers", "present", "possible",
        "persistent", "persistent_of")
FIELDS = ("first_day", "last_day", "is_current", "closed", "register_classes", "last_register_day", *SUMS)
DETAIL_FIELDS = ("closed", "teachers", "ladder", "flows", "ages", "terms")


def store_years(school_key, years):
    """Write {year: counts} of one school (the caller holds the transaction)."""
    now = timezone.now()
    for model, fields in ((YearAggregates, FIELDS), (YearDetail, DETAIL_FIELDS)):
        _store(model, fields, school_key, years, now)


def _store(model, fields, school_key, years, now):
    rows = model.objects.using(DEFAULT_DB_ALIAS)
    existing = {row.year: row for row in rows.filter(school_id=school_key)}
    for name, counts in years.items():
        row = existing.pop(name, None) or model(school_id=school_key, year=name)
        if row.pk and all(getattr(row, field) == counts[field] for field in fields):
            continue
        for field in fields:
            setattr(row, field, counts[field])
        if model is YearAggregates:
            row.counted_at = now
        row.save(using=DEFAULT_DB_ALIAS)
    if existing:
        rows.filter(pk__in=[row.pk for row in existing.values()]).delete()
