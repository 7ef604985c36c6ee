"""What the platform dashboard shows of the ministry's numbers, computed with the rest of it (School/platform/dashboard.py).

Flow rates are of the latest year some school has closed (promotion done),
ages and attendance of the current year: a year still running has no
outcomes yet. The rates, parity and ages by grade read every school's
YearDetail (seconds at 100,000 schools), so they are kept in an
IndicatorSnapshot that the nightly figures' refresh takes (take_snapshot);
the dashboard takes one itself only when there is none. Attendance and
absence are aggregate queries over YearAggregates, read live.
"""

from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from School.indicators import attendance
from School.indicators.rates import Ratio, by_grade, current_year
from School.platform.models import IndicatorSnapshot, YearAggregates, YearDetail

# Age bands of the age-by-grade chart (first age of each band); "" is a date of birth not recorded.
AGE_BANDS = ((0, "0-5"), (6, "6-8"), (9, "9-11"), (12, "12-14"), (15, "15-17"), (18, "18+"))


@dataclass
class IndicatorView:
    year: str = ""
    flow_year: str = ""
    rates: list = field(default_factory=list)  # [(grade, promotion, repetition, dropout)] Ratios
    gpi: list = field(default_factory=list)  # [(grade, GPI enrolment, GPI promotion)] Ratios
    ages: list = field(default_factory=list)  # [(grade, [n per band], n unknown)]
    absence: list = field(default_factory=list)  # [(school, Ratio)]
    attendance_rate: object = None
    no_register: object = None
    not_closed: int = 0
    as_of: object = None  # when the rates, parity and ages were computed


def latest_closed_year():
    return (YearAggregates.objects.using(DEFAULT_DB_ALIAS).filter(closed=True).order_by("-first_day")
            .values_list("year", flat=True).first() or "")


def band_of(age):
    index = 0
    for position, (first, _label) in enumerate(AGE_BANDS):
        if int(age) >= first:
            index = position
    return index


def age_rows(year):
    totals = {}
    order = {}
    band = {}  # age text -> band: the same few ages recur in every school
    rows = YearDetail.objects.using(DEFAULT_DB_ALIAS).filter(year=year).values_list("ladder", "ages")
    for ladder, ages in rows.iterator(chunk_size=2000):
        for position, (name, *_rest) in enumerate(ladder):
            order.setdefault(name, position)
        for grade, sexes in ages.items():
            bands, unknown = totals.setdefault(grade, ([0] * len(AGE_BANDS), [0]))
            for counts in sexes.values():
                for age, n in counts.items():
                    if age == "":
                        unknown[0] += n
                    else:
                        if age not in band:
                            band[age] = band_of(age)
                        bands[band[age]] += n
    return [(grade, bands, unknown[0]) for grade, (bands, unknown) in
            sorted(totals.items(), key=lambda item: (order.get(item[0], 999), item[0]))]


def by_grade_figures():
    """(year, flow year, rates, gpi, ages, schools not closed): what the snapshot keeps; reads every YearDetail of two years."""
    year, flow_year = current_year(), latest_closed_year()
    rates, gpi, ages, not_closed = [], [], [], 0
    if flow_year:
        lines = [line for line in by_grade(flow_year) if not line.name.startswith("level: ")]
        rates = [(line.name, line.figures["promotion_rate"], line.figures["repetition_rate"],
                  line.figures["dropout_rate"]) for line in lines]
        gpi = [(line.name, line.figures["gpi_enrolment"], line.figures["gpi_promotion"]) for line in lines]
        not_closed = len(lines[0].not_closed) if lines else 0
    if year:
        ages = age_rows(year)
    return year, flow_year, rates, gpi, ages, not_closed


def _stored(rows):
    return [[name, *([ratio.numerator, ratio.denominator, ratio.scale] for ratio in ratios)] for name, *ratios in rows]


def _loaded(rows):
    return [(name, *(Ratio(*ratio) for ratio in ratios)) for name, *ratios in rows]


def take_snapshot():
    """Compute the rates, parity and ages by grade and keep them as the only IndicatorSnapshot."""
    year, flow_year, rates, gpi, ages, not_closed = by_grade_figures()
    kept = IndicatorSnapshot.objects.using(DEFAULT_DB_ALIAS)
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        kept.all().delete()
        return kept.create(computed_at=timezone.now(), year=year, flow_year=flow_year, not_closed=not_closed,
                                rates=_stored(rates), gpi=_stored(gpi), ages=[list(row) for row in ages])


def snapshots():
    """The kept snapshots, latest first (one row but between a take's delete and create; computed_at is indexed)."""
    return IndicatorSnapshot.objects.using(DEFAULT_DB_ALIAS).order_by("-computed_at")


def compute():
    snapshot = snapshots().first() or take_snapshot()
    view = IndicatorView(year=snapshot.year, flow_year=snapshot.flow_year, rates=_loaded(snapshot.rates),
                         gpi=_loaded(snapshot.gpi), ages=[tuple(row) for row in snapshot.ages],
                         not_closed=snapshot.not_closed, as_of=snapshot.computed_at)
    view.absence = attendance.persistent_by_school()
    view.attendance_rate = attendance.national_rate()
    view.no_register = attendance.no_register_today()
    return view
