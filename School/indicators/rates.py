"""The UIS indicators, computed from the YearAggregates rows in `default` alone (never from a school's database).

Flow rates (UIS, by grade g and year t; docs/platform.md):
  promotion = promoted from g in t (graduates of a final grade included) / base of g in t
  repetition = repeated g in t / base of g in t
  dropout = 100 - promotion - repetition
where base = enrolled in g in t less those transferred out to a platform
school: a child who moved is counted, and flows, at the school that
received them, so a transfer is never a dropout. The records hold each
child's outcome, so promotion is counted where UIS reconstructs it from
year t+1's enrolment (new enrolment in g+1 in t+1): the same children.
Flow rates count only schools whose year is closed (promotion done); the
others are counted apart and named. Transition (last primary grade in t to
the first lower secondary grade in t+1) is UIS's: new entrants to the first
lower secondary grade in t+1 / base of the last primary grade in t.
A zero denominator is "n/a", never a division.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Min, Q, Sum

from School.indicators.store import SUMS
from School.models import School
from School.platform.models import YearAggregates, YearDetail
from School.school_year.models import Enrolment, Grade

Outcome = Enrolment.Outcome
SEXES = ("", "_female", "_male")
# The sums only closed years contribute (their outcomes are final).
FLOW_SUMS = tuple(f"{m}{s}" for m in ("base", "promoted", "repeated") for s in SEXES)
NA = "n/a"


class IndicatorError(Exception):
    """Bad input for the indicators; one line saying why."""


@dataclass(frozen=True)
class Ratio:
    """numerator / denominator, as a percentage (scale 100) or a plain ratio (scale 1); None when undefined."""

    numerator: float
    denominator: float
    scale: int = 100

    @property
    def value(self):
        if self.numerator is None or not self.denominator:
            return None
        return round(self.scale * self.numerator / self.denominator, 1 if self.scale == 100 else 2)

    def text(self, explain=False):
        value = NA if self.value is None else f"{self.value:g}"
        if not explain:
            return value
        return f"{value} ({_number(self.numerator)}/{_number(self.denominator)})"

    def as_json(self):
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator}


def _number(value):
    return NA if value is None else f"{value:g}"


def gpi(female, male):
    """Gender parity index (female / male) of two Ratios or two counts."""
    if isinstance(female, Ratio):
        return Ratio(female.value, male.value, scale=1)
    return Ratio(female, male, scale=1)


def rows(year):
    return YearAggregates.objects.using(DEFAULT_DB_ALIAS).filter(year=year).order_by()


def details(year):
    return YearDetail.objects.using(DEFAULT_DB_ALIAS).filter(year=year).order_by()


def check_year(year):
    if not year:
        raise IndicatorError("name the school year: --year YEAR")
    if not rows(year).exists():
        raise IndicatorError(f"no school has a year {year} (as of the last count)")


def current_year():
    """The school year most schools call current, "" when none is counted yet."""
    found = (YearAggregates.objects.using(DEFAULT_DB_ALIAS).filter(is_current=True).values("year")
             .annotate(n=Count("pk")).order_by("-n", "year").first())
    return found["year"] if found else ""


def next_year(year, first=None):
    """The year after `year` (by first day), or None; `first`: `year`'s earliest first day when already read."""
    if first is None:
        first = rows(year).exclude(first_day=None).order_by("first_day").values_list("first_day", flat=True).first()
    if first is None:
        return None
    return (YearAggregates.objects.using(DEFAULT_DB_ALIAS).filter(first_day__gt=first).order_by("first_day")
            .values_list("year", flat=True).first())


def names_of(keys):
    return dict(School.objects.using(DEFAULT_DB_ALIAS).filter(pk__in=list(keys)).values_list("pk", "name"))


def sums_of(queryset, fields=SUMS, counted=False):
    """The sums of some rows of one year, in one aggregate query: the flows from the closed ones only, the rest from all;
    `counted`: with the number of rows ("schools") and their earliest first day ("first_day", None if none) in the
    same pass (each further read of 100,000 rows costs as much as the sums)."""
    wanted = {name: Sum(name, filter=Q(closed=True)) if name in FLOW_SUMS else Sum(name) for name in fields}
    if counted:
        wanted.update(schools=Count("pk"), first_day=Min("first_day"))
    found = queryset.aggregate(**wanted)
    return {name: found[name] if name == "first_day" else found[name] or 0 for name in wanted}


INTO = tuple(f"transition_into{sex}" for sex in SEXES)


def indicators(totals, into=None):
    """{name: count or Ratio} of summed counts; `into`: the next year's sums (transition), None when not counted."""
    found = {"enrolled": totals["enrolled"], "enrolled_female": totals["enrolled_female"],
             "enrolled_male": totals["enrolled_male"],
             "gpi_enrolment": gpi(totals["enrolled_female"], totals["enrolled_male"]),
             "repeaters": totals["repeaters"]}
    for sex in SEXES:
        base = totals[f"base{sex}"]
        promoted, repeated = totals[f"promoted{sex}"], totals[f"repeated{sex}"]
        found[f"promotion_rate{sex}"] = Ratio(promoted, base)
        found[f"repetition_rate{sex}"] = Ratio(repeated, base)
        found[f"dropout_rate{sex}"] = Ratio(base - promoted - repeated, base)
        found[f"transition_rate{sex}"] = Ratio(None if into is None else into[f"transition_into{sex}"],
                                               totals[f"transition_from{sex}"])
    for rate in ("promotion", "repetition", "dropout", "transition"):
        found[f"gpi_{rate}"] = gpi(found[f"{rate}_rate_female"], found[f"{rate}_rate_male"])
    found.update(teachers=totals["teachers"],
                 pupil_teacher_ratio=Ratio(totals["enrolled"] if totals["teachers"] else 0, totals["teachers"], scale=1),
                 attendance_rate=Ratio(totals["present"], totals["possible"]),
                 persistent_absence=Ratio(totals["persistent"], totals["persistent_of"]))
    return found


@dataclass
class Line:
    """One line of the indicators: who it is about and its figures."""

    name: str
    schools: int
    not_closed: list
    figures: dict


def national(year):
    year_rows = rows(year)
    totals = sums_of(year_rows, counted=True)  # the schools counted in the sums' pass, not in one more
    schools, first = totals.pop("schools"), totals.pop("first_day")
    following = next_year(year, first)
    into = sums_of(rows(following), INTO) if following else None
    open_keys = list(year_rows.filter(closed=False).values_list("school_id", flat=True))
    return [Line("national", schools, sorted(names_of(open_keys).values()), indicators(totals, into))]


def _per_row_lines(year, key_of):
    """Lines grouped by key_of(school key), summed in Python from each row's sums (one read per year)."""
    fields = ("school_id", "closed", *SUMS)
    following = next_year(year)
    grouped, opened, counted = defaultdict(lambda: dict.fromkeys(SUMS, 0)), defaultdict(list), defaultdict(int)
    into = defaultdict(lambda: dict.fromkeys(SUMS, 0))
    for row in rows(year).values_list(*fields).iterator(chunk_size=5000):
        key, closed, values = row[0], row[1], dict(zip(SUMS, row[2:]))
        group = key_of(key)
        counted[group] += 1
        if not closed:
            opened[group].append(key)
        for name, n in values.items():
            if closed or name not in FLOW_SUMS:
                grouped[group][name] += n
    if following:
        for key, *values in rows(following).values_list("school_id", *SUMS).iterator(chunk_size=5000):
            group = key_of(key)
            for name, n in zip(SUMS, values):
                into[group][name] += n
    all_open = names_of([key for keys in opened.values() for key in keys])
    return [Line(group, counted[group], sorted(all_open[key] for key in opened[group] if key in all_open),
                 indicators(grouped[group], into.get(group) if following else None))
            for group in sorted(grouped, key=str)]


def by_school(year):
    names = names_of(rows(year).values_list("school_id", flat=True))
    return _per_row_lines(year, lambda key: names.get(key, str(key)))


def by_cluster(year):
    clusters = dict(School.objects.using(DEFAULT_DB_ALIAS).values_list("pk", "cluster").iterator(chunk_size=5000))
    return _per_row_lines(year, lambda key: clusters.get(key) or "main")


def _grade_totals():
    return defaultdict(int)


# Which sums a flow adds to (sign, sum name), and whether only a closed year's count.
FLOW_TARGETS = {
    "enrolled": ((1, "enrolled", False), (1, "base", True)),
    Outcome.TRANSFERRED_OUT: ((-1, "base", True),),
    Outcome.PROMOTED: ((1, "promoted", True),),
    Outcome.GRADUATED: ((1, "promoted", True),),
    Outcome.REPEATED: ((1, "repeated", True),),
}


class GradeWalk:
    """Sums by grade name and by level over the rows of one year, fed one school at a time (one pass serves the
    `--by grade` lines and the census).

    A school's flows are only added up as they are, by (grade, its level at that school, closed) and sex: the
    sums by grade and by level are linear in them, so they are derived once at the end (lines()) rather than
    for each of 100,000 schools."""

    def __init__(self):
        self.order, self.opened = {}, []
        self.flows = defaultdict(lambda: defaultdict(int))  # (grade, level, closed) -> (flow, sex key) -> n
        self.teachers = defaultdict(float)  # level -> the schools' teachers shared among their levels
        self._levels = {}  # the ladder's text -> {grade: level}: most schools share a few ladders

    def levels_of(self, ladder):
        """{grade: level} of a school's ladder; its grades' first positions noted for the order of the lines."""
        known = self._levels.get(key := repr(ladder))
        if known is None:
            known = self._levels[key] = {}
            for position, (name, lvl, _isced, _final) in enumerate(ladder):
                self.order.setdefault(name, position)
                known[name] = lvl
        return known

    def add(self, key, closed, ladder, flows, teachers):
        """Add one school's year; returns its {grade: level}."""
        if not closed:
            self.opened.append(key)
        level = self.levels_of(ladder)
        closed = bool(closed)
        school_levels = defaultdict(int)
        for grade, counts in flows.items():
            lvl = level.get(grade, "")
            target = self.flows[grade, lvl, closed]
            for flow, sexes in counts.items():
                for sex, n in sexes.items():
                    target[flow, sex] += n
            enrolled = counts.get("enrolled")
            school_levels[lvl] += sum(enrolled.values()) if enrolled else 0
        enrolled = sum(school_levels.values())
        for lvl, n in school_levels.items():  # a school's teachers shared among its levels by enrolment
            self.teachers[lvl] += teachers * n / enrolled if enrolled else 0
        return level

    def by_grade(self):
        """{grade: {(flow, sex key): n}} of every school, closed or not (the census's tables)."""
        found = defaultdict(lambda: defaultdict(int))
        for (grade, _lvl, _closed), counts in self.flows.items():
            target = found[grade]
            for flow_sex, n in counts.items():
                target[flow_sex] += n
        return found

    def _sums(self):
        per_grade, per_level = defaultdict(_grade_totals), defaultdict(_grade_totals)
        for (grade, lvl, closed), counts in self.flows.items():
            targets = (per_grade[grade], per_level[lvl])
            for (flow, sex), n in counts.items():
                if flow == "repeaters":
                    sums = (("repeaters", n),)
                else:
                    sums = [(name, sign * n) for sign, name, closed_only in FLOW_TARGETS.get(flow, ())
                            if closed or not closed_only]
                    if sex in ("female", "male"):
                        sums += [(f"{name}_{sex}", value) for name, value in sums]
                for name, value in sums:
                    for target in targets:
                        target[name] += value
        for lvl, share in self.teachers.items():
            per_level[lvl]["teachers"] += share
        return per_grade, per_level

    def lines(self):
        names = sorted(names_of(self.opened).values())
        per_grade, per_level = self._sums()
        found = [Line(grade, 0, names, indicators(_complete(per_grade[grade])))
                 for grade in sorted(per_grade, key=lambda name: (self.order.get(name, 999), name))]
        for lvl in [value for value in Grade.Level.values if value in per_level] + ([""] if "" in per_level else []):
            totals = _complete(per_level[lvl])
            totals["teachers"] = round(totals["teachers"], 1)
            found.append(Line(f"level: {lvl or 'not set'}", 0, names, indicators(totals)))
        return found


def by_grade(year):
    """Lines per grade name (ladder order of the first school that has it), then per level, from the rows' flows."""
    walk = GradeWalk()
    for row in details(year).values_list("school_id", "closed", "ladder", "flows", "teachers").iterator(chunk_size=2000):
        walk.add(*row)
    return walk.lines()


def _complete(totals):
    return {name: totals.get(name, 0) for name in SUMS}


BY = {"national": national, "cluster": by_cluster, "school": by_school, "grade": by_grade}
