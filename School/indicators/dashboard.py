"""What the platform dashboard shows of the ministry's numbers, computed with the rest of it (School/platform/dashboard.py).

Flow rates are of the latest year some school has closed (promotion done),
ages and attendance of the current year: a year still running has no
outcomes yet.
"""

from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS

from School.indicators import attendance
from School.indicators.rates import by_grade, current_year
from School.platform.models import YearAggregates, YearDetail

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
                        bands[band_of(age)] += n
    return [(grade, bands, unknown[0]) for grade, (bands, unknown) in
            sorted(totals.items(), key=lambda item: (order.get(item[0], 999), item[0]))]


def compute():
    view = IndicatorView(year=current_year(), flow_year=latest_closed_year())
    if view.flow_year:
        lines = [line for line in by_grade(view.flow_year) if not line.name.startswith("level: ")]
        view.rates = [(line.name, line.figures["promotion_rate"], line.figures["repetition_rate"],
                       line.figures["dropout_rate"]) for line in lines]
        view.gpi = [(line.name, line.figures["gpi_enrolment"], line.figures["gpi_promotion"]) for line in lines]
        view.not_closed = len(lines[0].not_closed) if lines else 0
    if view.year:
        view.ages = age_rows(view.year)
    view.absence = attendance.persistent_by_school()
    view.attendance_rate = attendance.national_rate()
    view.no_register = attendance.no_register_today()
    return view
