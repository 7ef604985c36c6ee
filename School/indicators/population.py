"""The census population by age that gross and net enrolment ratios need: loaded by the operator, kept in `default`.

`schools population load FILE`: a CSV with the columns year, age, female,
male (one row per year and age, ages 0 to 30). A malformed row or an age
outside 0-30 is refused with its line number, and nothing is written; a
year in the file replaces that year's rows whole.

GER of a level = enrolment in the level (any age) / population of the
level's official ages; NER = enrolment of those ages in the level / the
same population (UIS). The official ages are INDICATORS_LEVEL_AGES.
"""

import csv
from collections import defaultdict

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction

from School.indicators.levels import national_by_level
from School.platform.models import PopulationByAge, YearDetail

MAX_AGE = 30
COLUMNS = ("year", "age", "female", "male")


class PopulationError(Exception):
    """A population file that cannot be loaded; one line saying where and why."""


def _whole(text, line, column):
    try:
        value = int(str(text).strip())
    except ValueError:
        raise PopulationError(f"line {line}: {column} {text!r} is not a whole number") from None
    if value < 0:
        raise PopulationError(f"line {line}: {column} {value} is negative")
    return value


def read(path):
    """{(year, age): (female, male)} from the file, or PopulationError naming the first bad line."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise PopulationError(f"cannot read {path}: {error.strerror or error}") from None
    found = {}
    with handle:
        reader = csv.reader(handle)
        head = [cell.strip().lower() for cell in next(reader, [])]
        if head != list(COLUMNS):
            raise PopulationError(f"line 1: the columns must be {', '.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(COLUMNS):
                raise PopulationError(f"line {line}: {len(row)} cells, expected {len(COLUMNS)} ({', '.join(COLUMNS)})")
            year = row[0].strip()
            if not year or len(year) > 20:
                raise PopulationError(f"line {line}: the year must be 1 to 20 characters")
            age = _whole(row[1], line, "age")
            if age > MAX_AGE:
                raise PopulationError(f"line {line}: age {age} is outside 0-{MAX_AGE}")
            if (year, age) in found:
                raise PopulationError(f"line {line}: year {year} age {age} is given twice")
            found[year, age] = (_whole(row[2], line, "female"), _whole(row[3], line, "male"))
    if not found:
        raise PopulationError("the file has no rows")
    return found


def load(path):
    """Replace the years the file gives; returns (years, rows)."""
    found = read(path)
    years = sorted({year for year, _age in found})
    rows = PopulationByAge.objects.using(DEFAULT_DB_ALIAS)
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        rows.filter(year__in=years).delete()
        rows.bulk_create(PopulationByAge(year=year, age=age, female=f, male=m) for (year, age), (f, m) in sorted(found.items()))
    return years, len(found)


def add_ages(found, level_of, ages):
    """One school's {grade: {sex key: {age: n}}} added into found[grade, level][sex key, age] (a defaultdict's)."""
    for grade, per_sex in ages.items():
        target = found[grade, level_of.get(grade, "")]
        for sex, per_age in per_sex.items():
            for age, n in per_age.items():
                target[sex, age] += n


def read_ages(year):
    """{(grade, level): {(sex key, age): n}} of `year`'s enrolment, each grade at the level its school gives it."""
    found = defaultdict(lambda: defaultdict(int))
    for ladder, ages in YearDetail.objects.using(DEFAULT_DB_ALIAS).filter(year=year).values_list("ladder", "ages").iterator(chunk_size=2000):
        add_ages(found, {name: level for name, level, _isced, _final in ladder}, ages)
    return found


def enrolment_ratios(year, ages=None):
    """([(level, {"ger": Ratio, "ner": Ratio, by sex, gpi})], note) of `year`; [] with a note saying why when not computable.

    `ages`: read_ages(year), when the caller has summed them already (the census's one read of the year)."""
    from School.indicators.rates import Ratio, gpi

    population = {age: (f, m) for age, f, m in PopulationByAge.objects.using(DEFAULT_DB_ALIAS).filter(year=year)
                  .values_list("age", "female", "male")}
    if not population:
        return [], (f"gross and net enrolment ratios need the population by age of {year}: none is loaded "
                    "(`schools population load FILE`)")
    enrolled = national_by_level(year) if ages is None else None
    if enrolled is None:
        enrolled = levels_of_ages(read_ages(year) if ages is None else ages)
    found = []
    for level, (low, high) in settings.INDICATORS_LEVEL_AGES.items():
        female = sum(population.get(age, (0, 0))[0] for age in range(low, high + 1))
        male = sum(population.get(age, (0, 0))[1] for age in range(low, high + 1))
        counts = enrolled.get(level, {})
        values = {}
        for name, kind in (("ger", "all"), ("ner", "in")):
            values[name] = Ratio(counts.get(("", kind), 0), female + male)
            values[f"{name}_female"] = Ratio(counts.get(("female", kind), 0), female)
            values[f"{name}_male"] = Ratio(counts.get(("male", kind), 0), male)
            values[f"gpi_{name}"] = gpi(values[f"{name}_female"], values[f"{name}_male"])
        found.append((f"{level} (ages {low}-{high})", values))
    return found, f"gross and net enrolment ratios from the population of {year} loaded by the operator"


def levels_of_ages(ages):
    """{level: {(sex key or "", "all" | "in"): n}} of read_ages()'s counts (the census's, or rows counted before
    School/indicators/levels.py kept them)."""
    enrolled = defaultdict(lambda: defaultdict(int))  # level -> (sex, in age?) -> n
    for (_grade, level), counts in ages.items():
        if level not in settings.INDICATORS_LEVEL_AGES:
            continue
        low, high = settings.INDICATORS_LEVEL_AGES[level]
        for (sex, age), n in counts.items():
            official = age != "" and low <= int(age) <= high
            for key in ((sex, "all"), ("", "all"), *(((sex, "in"), ("", "in")) if official else ())):
                enrolled[level][key] += n
    return enrolled
