"""Keep the counts of School/indicators/aggregate.py in `default`: one YearAggregates row per school and year.

Called by School/platform/figures.py inside the transaction that stores a
school's figures, so the counts follow the same writes (a student saved, a
promotion, a day's register) and `schools refresh-figures` repairs them
both. A year the school no longer has loses its row.
"""

from collections import defaultdict

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from School.compiled import update_rows
from School.indicators.levels import COLUMNS as LEVEL_COLUMNS
from School.platform.models import YearAggregates, YearDetail

MEASURES = ("enrolled", "base", "promoted", "repeated", "transition_from", "transition_into")
SUMS = (*(f"{m}{s}" for m in MEASURES for s in ("", "_female", "_male")), "repeaters", "teachers", "present", "possible",
        "persistent", "persistent_of")
FIELDS = ("first_day", "last_day", "is_current", "closed", "register_classes", "last_register_day", *SUMS, *LEVEL_COLUMNS,
          "level_ages")
DETAIL_FIELDS = ("closed", "teachers", "ladder", "flows", "ages", "terms")


MODELS = ((YearAggregates, FIELDS), (YearDetail, DETAIL_FIELDS))


def stored_rows(school_keys):
    """{model: {school key: {year: row}}} of what is stored for `school_keys`: one read of each table for them all."""
    found = {}
    for model, _fields in MODELS:
        per_school = found[model] = defaultdict(dict)
        for row in model.objects.using(DEFAULT_DB_ALIAS).filter(school_id__in=list(school_keys)):
            per_school[row.school_id][row.year] = row
    return found


def store_years(school_key, years, stored=None):
    """Write {year: counts} of one school (the caller holds the transaction).

    `stored`: stored_rows() of a batch of schools this one is in (a batch of
    refresh-figures reads them once, not twice per school).
    """
    now = timezone.now()
    stored = stored_rows([school_key]) if stored is None else stored
    for model, fields in MODELS:
        _store(model, fields, school_key, years, dict(stored[model].get(school_key, {})), now)


def _store(model, fields, school_key, years, existing, now):
    rows = model.objects.using(DEFAULT_DB_ALIAS)
    changed = []
    for name, counts in years.items():
        row = existing.pop(name, None) or model(school_id=school_key, year=name)
        if row.pk and all(getattr(row, field) == counts[field] for field in fields):
            continue
        for field in fields:
            setattr(row, field, counts[field])
        if model is YearAggregates:
            row.counted_at = now
        if row.pk is None:
            row.save(using=DEFAULT_DB_ALIAS)
        else:
            changed.append(row)
    # A promotion changes two years of each school (closed, opened): save() compiled the same wide UPDATE again
    # for each, about a tenth of the school's recount.
    update_rows(DEFAULT_DB_ALIAS, changed)
    if existing:
        rows.filter(pk__in=[row.pk for row in existing.values()]).delete()
