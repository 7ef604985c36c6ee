"""A school's own calendar: check a year with its terms and closed days, then write it whole.

Everything is checked before the first write, so bad input writes nothing.
"""

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from School.compiled import all_of
from School.school_year.models import ClosedDay, SchoolYear, Term
from School.school_year.stamp import year_changed

logger = logging.getLogger(__name__)


class CalendarError(Exception):
    """Input that cannot make a calendar; the message says why in one line."""


@dataclass(frozen=True)
class Span:
    name: str  # a term's name, or a closed day's reason
    first: datetime.date
    last: datetime.date


def parse_date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CalendarError(f"{text!r} is not a date: write YYYY-MM-DD") from None


def parse_span(text, name_required):
    """`NAME=FIRST..LAST`, `FIRST..LAST` or one `DATE` (the name optional unless required)."""
    name, _, dates = text.rpartition("=")
    if name_required and not name.strip():
        raise CalendarError(f"{text!r}: write NAME=FIRST..LAST")
    first, _, last = dates.partition("..")
    span = Span(name.strip(), parse_date(first.strip()), parse_date((last or first).strip()))
    if span.first > span.last:
        raise CalendarError(f"{text!r}: the first day is after the last")
    return span


def default_year_for(day):
    """The year an existing or new school starts with: the calendar year of `day`, to be corrected by the school."""
    return SchoolYear(name=str(day.year), first_day=day.replace(month=1, day=1), last_day=day.replace(month=12, day=31))


def current_year(using):
    """The school's current year; a school with no year at all gets its default one first."""
    years = SchoolYear.objects.using(using)
    # Kept once per process (every count and promotion asks); at most one year is current (a unique constraint).
    current = all_of(using, "the current year", lambda: SchoolYear.objects.using(using).filter(is_current=True), [])
    year = current[0] if current else None
    if year is None and not years.exists():
        year = default_year_for(datetime.date.today())
        year.is_current = True
        year.save(using=using)
        logger.info("school year %s created as the current year", year.name)
    return year


def check_spans(year, spans, what):
    ordered = sorted(spans, key=lambda span: span.first)
    for span in ordered:
        if span.first < year.first_day or span.last > year.last_day:
            raise CalendarError(
                f"{what} {span.name or span.first} ({span.first}..{span.last}) is not inside year {year.name} "
                f"({year.first_day}..{year.last_day})"
            )
    for before, after in zip(ordered, ordered[1:]):
        if what == "term" and after.first <= before.last:
            raise CalendarError(f"terms {before.name} and {after.name} overlap")
    names = [span.name for span in spans]
    if what == "term" and len(set(names)) != len(names):
        raise CalendarError("two terms have the same name")


def valid_name(name):
    name = name.strip()
    if not name or len(name) > 20:
        raise CalendarError("a year's name is 1 to 20 characters, e.g. 2027 or 2027/28")
    return name


def set_year(using, name, first, last, terms=None, closed=None, rename=None):
    """Create or change year `name`; `terms`/`closed` (lists of Span) replace the year's own when given.

    The first year a school has becomes its current one; later years become
    current by promotion. `rename` gives an existing year another name (the
    migration's "2026" of a school whose year is "2026/27"). Returns (year, created).
    """
    name = valid_name(name)
    year = SchoolYear.objects.using(using).filter(name=name).first()
    created = year is None
    if rename is not None:
        rename = valid_name(rename)
        if created:
            raise CalendarError(f"there is no year {name} to rename")
        if rename != name and SchoolYear.objects.using(using).filter(name=rename).exists():
            raise CalendarError(f"there is a year {rename} already")
        year.name = name = rename
    if created:
        year = SchoolYear(name=name, is_current=not SchoolYear.objects.using(using).exists())
        year._state.db = using
    year.first_day, year.last_day = first, last
    try:
        year.clean()
    except ValidationError as error:
        raise CalendarError(error.messages[0]) from None
    replace_terms, replace_closed = terms is not None, closed is not None
    if not replace_terms:
        terms = [Span(t.name, t.first_day, t.last_day) for t in (() if created else year.terms.all())]
    if not replace_closed:
        closed = [Span(c.reason, c.first_day, c.last_day) for c in (() if created else year.closed_days.all())]
    # Kept ones are checked too: changed dates must still hold them.
    check_spans(year, terms, "term")
    check_spans(year, closed, "closed day")
    with transaction.atomic(using=using):
        year.save(using=using)
        if replace_terms:
            year.terms.all().delete()
            Term.objects.using(using).bulk_create(Term(year=year, name=s.name, first_day=s.first, last_day=s.last) for s in terms)
        if replace_closed:
            year.closed_days.all().delete()
            ClosedDay.objects.using(using).bulk_create(
                ClosedDay(year=year, reason=s.name, first_day=s.first, last_day=s.last) for s in closed
            )
            # The year's save renewed the stamp before these rows were written (no transaction on MongoDB):
            # renewed again, a class sheet kept in between is never served.
            year_changed(None, year, using)
    logger.info("school year %s %s (%s..%s)", name, "created" if created else "changed", first, last)
    return year, created


def calendar_rows(using):
    """Every year with its terms and closed days, oldest first, as plain data (for table and JSON)."""
    terms, closed = {}, {}
    for term in Term.objects.using(using).order_by("first_day"):
        terms.setdefault(term.year_id, []).append({"name": term.name, "first": term.first_day, "last": term.last_day})
    for day in ClosedDay.objects.using(using).order_by("first_day"):
        closed.setdefault(day.year_id, []).append({"reason": day.reason, "first": day.first_day, "last": day.last_day})
    return [
        {
            "name": year.name,
            "first": year.first_day,
            "last": year.last_day,
            "current": year.is_current,
            "terms": terms.get(year.pk, []),
            "closed": closed.get(year.pk, []),
        }
        for year in SchoolYear.objects.using(using).order_by("first_day")
    ]
