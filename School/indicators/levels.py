"""Each school's enrolment by level, and by level at the level's official ages: the numerators of GER and NER.

Gross and net enrolment ratios (School/indicators/population.py) divide the
students of a level (of any age, and of the level's official ages in
settings.INDICATORS_LEVEL_AGES) by the population of those ages. Summed
from every school's ages by grade, read school by school from YearDetail,
the national line took 4 s at 100,000 schools once a population was loaded;
counted here when a school is counted and kept in YearAggregates' columns,
it is one aggregate query. Each row says the official ages it was counted
with (`level_ages`): after INDICATORS_LEVEL_AGES changes, rows counted
before are not used until `schools refresh-figures --all` recounts them.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Q, Sum

from School.platform.models import YearAggregates
from School.school_year.models import Grade

SEX_SUFFIXES = {"": None, "_female": "female", "_male": "male"}  # the column's suffix -> the ages' sex key (None: all)
KINDS = ("at", "of_age")  # enrolled at the level, of any age / of the level's official ages


def column(kind, level, suffix=""):
    return f"{kind}_{level.replace('-', '_')}{suffix}"


COLUMNS = tuple(column(kind, level, suffix) for level in Grade.Level.values for kind in KINDS for suffix in SEX_SUFFIXES)


def level_ages():
    """The official ages these counts are made with, as a row records them ("primary=6-11,...")."""
    return ",".join(f"{level}={low}-{high}" for level, (low, high) in sorted(settings.INDICATORS_LEVEL_AGES.items()))


def level_counts(ages, rungs):
    """The COLUMNS and `level_ages` of one year of one school; `ages`: {grade: {sex key: {age: n}}}, `rungs`: its ladder."""
    found = dict.fromkeys(COLUMNS, 0)
    level_of = {name: level for name, level, _isced, _final in rungs}
    for grade, per_sex in ages.items():
        level = level_of.get(grade, "")
        if level not in Grade.Level.values:
            continue
        low, high = settings.INDICATORS_LEVEL_AGES.get(level, (None, None))
        for sex, per_age in per_sex.items():
            for age, n in per_age.items():
                official = low is not None and age != "" and low <= int(age) <= high
                for suffix, sex_key in SEX_SUFFIXES.items():
                    if sex_key in (None, sex):
                        found[column("at", level, suffix)] += n
                        if official:
                            found[column("of_age", level, suffix)] += n
    found["level_ages"] = level_ages()
    return found


def national_by_level(year):
    """{level: {(sex key or "", "all" | "in"): n}} of `year`, summed in one query; None when a row was counted with
    other official ages (or before these counts existed), whose counts would be wrong."""
    rows = YearAggregates.objects.using(DEFAULT_DB_ALIAS).filter(year=year)
    found = rows.aggregate(**{name: Sum(name) for name in COLUMNS}, other_ages=Count("pk", filter=~Q(level_ages=level_ages())))
    if found.pop("other_ages"):
        return None
    kind_of = {"at": "all", "of_age": "in"}
    return {
        level: {(sex_key or "", kind_of[kind]): found[column(kind, level, suffix)] or 0
                for kind in KINDS for suffix, sex_key in SEX_SUFFIXES.items()}
        for level in Grade.Level.values
    }
