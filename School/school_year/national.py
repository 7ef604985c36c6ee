"""The platform calendar and national ladder: held once in `default`, copied into each school's own database.

What wins when both change (docs/school_year.md): a school's year or ladder
carries a stamp (PlatformStamp) saying what the platform last wrote there.

* no stamp: nobody chose it (the default year, a ladder guessed from the
  records, or one made before the platform had a calendar): the platform writes;
* the stamp matches the content: the platform's own, unchanged: the platform writes;
* otherwise the school changed it (its `calendar set`/`grades set` stamp it
  as its own, and any other change shows as a different content): the
  school's stays, unless the operator passes --override.

Applying is repeatable: a school that already holds the platform's version
is "up to date", so a rerun after a crash finishes the rest.
"""

import datetime
import hashlib
import json
import logging

from django.db import DEFAULT_DB_ALIAS, transaction

from School.platform.models import PlatformLadder, PlatformYear
from School.school_year.calendar import CalendarError, Span, check_spans, current_year, set_year, valid_name
from School.school_year.ladder import checked_names, parse_levels, set_ladder, set_levels
from School.school_year.models import Grade, PlatformStamp, SchoolYear

logger = logging.getLogger(__name__)

CREATED, CHANGED, UP_TO_DATE, KEPT = "created", "changed", "up to date", "kept its own"
LADDER = "ladder"
# The stamp of what the school set itself: matches no content's digest.
OWN = "school"


def year_key(name):
    return f"year:{name}"


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def year_digest(name, first, last, terms, closed):
    spans = lambda items: sorted((str(s.first), str(s.last), s.name) for s in items)  # noqa: E731
    return _digest([name, str(first), str(last), spans(terms), spans(closed)])


def ladder_digest(names, finals):
    return _digest([list(names), sorted(finals)])


# --- the platform's copy, in `default` ----------------------------------------------


def spans_of(rows, label):
    return [Span(row.get(label, ""), _day(row["first"]), _day(row["last"])) for row in rows]


def _day(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _rows(spans, label):
    return [{label: s.name, "first": s.first.isoformat(), "last": s.last.isoformat()} for s in spans]


def check_year(name, first, last, terms, closed, others=()):
    """CalendarError unless the year is sound and overlaps none of `others` (PlatformYears of other names)."""
    name = valid_name(name)
    if first > last:
        raise CalendarError(f"year {name}: the first day {first} is after the last day {last}")
    year = PlatformYear(name=name, first_day=first, last_day=last)
    check_spans(year, terms, "term")
    check_spans(year, closed, "closed day")
    for other in others:
        if other.name != name and other.first_day <= last and other.last_day >= first:
            raise CalendarError(
                f"year {name} ({first}..{last}) overlaps year {other.name} ({other.first_day}..{other.last_day}) "
                f"of the platform calendar"
            )
    return name


def save_years(years):
    """Check every year ([(name, first, last, terms, closed)]) against each other and the platform's others, then store them all.

    Nothing is stored unless all are sound. Returns the PlatformYears.
    """
    stored = {year.name: year for year in PlatformYear.objects.using(DEFAULT_DB_ALIAS)}
    given = [PlatformYear(name=name.strip(), first_day=first, last_day=last) for name, first, last, _, _ in years]
    names = [year.name for year in given]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CalendarError(f"year {twice[0]} is given twice")
    others = [year for name, year in stored.items() if name not in names] + given
    for name, first, last, terms, closed in years:
        check_year(name, first, last, terms, closed, others)
    saved = []
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        for name, first, last, terms, closed in years:
            year, _ = PlatformYear.objects.using(DEFAULT_DB_ALIAS).update_or_create(
                name=name.strip(),
                defaults={"first_day": first, "last_day": last, "terms": _rows(terms, "name"), "closed": _rows(closed, "reason")},
            )
            saved.append(year)
    logger.info("platform calendar: %s stored", ", ".join(year.name for year in saved))
    return saved


def save_ladder(names, finals, levels=(), isced=()):
    """Check the ladder as a school's would be checked, then store it as the national one (levels: GRADE=LEVEL texts)."""
    names = checked_names(names, finals)
    levels, isced = parse_levels(levels, names), parse_levels(isced, names, "--isced")
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        ladders = PlatformLadder.objects.using(DEFAULT_DB_ALIAS)
        ladder = ladders.first() or PlatformLadder()
        ladder.grades, ladder.finals, ladder.levels, ladder.isced = names, list(finals), levels, isced
        ladder.save(using=DEFAULT_DB_ALIAS)
        ladders.exclude(pk=ladder.pk).delete()
    return ladder


def platform_years():
    return list(PlatformYear.objects.using(DEFAULT_DB_ALIAS).order_by("first_day"))


def platform_ladder():
    return PlatformLadder.objects.using(DEFAULT_DB_ALIAS).first()


def year_payload(year):
    """A PlatformYear as plain data, to hand to worker processes."""
    return {"name": year.name, "first": year.first_day, "last": year.last_day,
            "terms": spans_of(year.terms, "name"), "closed": spans_of(year.closed, "reason")}


# --- one school's copy ----------------------------------------------------------------


def _stamp(using, key, digest):
    PlatformStamp.objects.using(using).update_or_create(key=key, defaults={"digest": digest})


def claim(using, key):
    """The school set `key` itself: later platform changes leave it alone (without --override)."""
    _stamp(using, key, OWN)


def _school_year_digest(year):
    terms = [Span(t.name, t.first_day, t.last_day) for t in year.terms.all()]
    closed = [Span(c.reason, c.first_day, c.last_day) for c in year.closed_days.all()]
    return year_digest(year.name, year.first_day, year.last_day, terms, closed)


def _platform_may_write(using, key, content_digest):
    stamp = PlatformStamp.objects.using(using).filter(key=key).values_list("digest", flat=True).first()
    return stamp is None or stamp == content_digest


def _unchosen_overlap(using, payload):
    """The school's one year overlapping the platform's that nobody chose (e.g. the default "2026"), to be renamed; or None."""
    overlapping = list(SchoolYear.objects.using(using).overlapping(payload["first"], payload["last"]))
    if len(overlapping) != 1:
        return None
    year = overlapping[0]
    stamped = PlatformStamp.objects.using(using).filter(key=year_key(year.name)).exists()
    return None if stamped else year


def apply_year(using, payload, override=False):
    """Bring the school's copy of one platform year (year_payload) in line; returns CREATED, CHANGED, UP_TO_DATE or KEPT.

    CalendarError (nothing written) when the school's own years leave no room for it.
    """
    name = payload["name"]
    digest = year_digest(name, payload["first"], payload["last"], payload["terms"], payload["closed"])
    current_year(using)  # a school with no year yet gets its default current year first, as on any first use
    year = SchoolYear.objects.using(using).filter(name=name).first()
    target, rename = name, None
    if year is not None:
        now = _school_year_digest(year)
        if now == digest:
            _stamp(using, year_key(name), digest)
            return UP_TO_DATE
        if not override and not _platform_may_write(using, year_key(name), now):
            return KEPT
    else:
        unchosen = _unchosen_overlap(using, payload)
        if unchosen is not None:
            target, rename = unchosen.name, name
    with transaction.atomic(using=using):
        set_year(using, target, payload["first"], payload["last"], terms=payload["terms"], closed=payload["closed"], rename=rename)
        _stamp(using, year_key(name), digest)
        if rename:
            PlatformStamp.objects.using(using).filter(key=year_key(target)).delete()
    logger.info("platform year %s %s", name, "applied" if year is None else "changed")
    return CREATED if year is None else CHANGED


def apply_ladder(using, names, finals, override=False, levels=None, isced=None):
    """Make the school's ladder the national one; returns CHANGED, UP_TO_DATE or KEPT (LadderError: a grade in use is left out).

    The grades' levels and ISCED codes come with it where the school's ladder is (or becomes) the national one.
    """
    digest = ladder_digest(names, finals)
    grades = list(Grade.objects.using(using).order_by("position"))
    now = ladder_digest([g.name for g in grades], [g.name for g in grades if g.is_final])
    if grades and now == digest and all(g.confirmed for g in grades):
        _stamp(using, LADDER, digest)
        set_levels(using, levels, isced)
        return UP_TO_DATE
    if grades and not override and not _platform_may_write(using, LADDER, now):
        return KEPT
    with transaction.atomic(using=using):
        set_ladder(using, names, finals, levels, isced)
        _stamp(using, LADDER, digest)
    return CHANGED


def platform_year(name):
    """The platform's year `name` as an unsaved SchoolYear (what a promotion into it would make), or None."""
    year = PlatformYear.objects.using(DEFAULT_DB_ALIAS).filter(name=name).first()
    return None if year is None else SchoolYear(name=year.name, first_day=year.first_day, last_day=year.last_day)


def year_for_promotion(using, name):
    """Create year `name` in the school from the platform calendar; returns the SchoolYear, or None if the platform has none."""
    platform = PlatformYear.objects.using(DEFAULT_DB_ALIAS).filter(name=name).first()
    if platform is None:
        return None
    apply_year(using, year_payload(platform))
    return SchoolYear.objects.using(using).get(name=name)


def adopt(using, today=None):
    """A new school takes the platform year containing today (if any) and the national ladder (if any)."""
    today = today or datetime.date.today()
    year = PlatformYear.objects.using(DEFAULT_DB_ALIAS).filter(first_day__lte=today, last_day__gte=today).first()
    if year is not None:
        apply_year(using, year_payload(year))
    ladder = platform_ladder()
    if ladder is not None:
        apply_ladder(using, ladder.grades, ladder.finals, levels=ladder.levels, isced=ladder.isced)
