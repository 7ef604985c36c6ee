"""`schools census --year Y --output census.xlsx`: the annual census workbook, one sheet per table.

Laid out as a ministry's statistician reads a census: enrolment by grade
and age with F/M/T columns per grade, repeaters by grade and sex, the
year's outcomes by grade, teachers and pupil-teacher ratios per school,
attendance per school, the rates by grade and level and the national line
(each figure as `schools indicators` gives it, numerator and denominator
beside each rate). Every school's grades must have a level (primary, lower
or upper secondary): a census is reported by level, so a school without
them is refused by name, before anything is written.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS

from School.indicators.aggregate import FEMALE, MALE, OUTCOMES
from School.indicators.population import add_ages, enrolment_ratios
from School.indicators.rates import GradeWalk, IndicatorError, Ratio, check_year, details, national, names_of, rows
from School.indicators.tables import COLUMNS
from School.indicators.workbook import PlainWorkbook
from School.models import School
from School.platform.report import ReportError, written_to


def _rate_cells(figures):
    for column in COLUMNS:
        value = figures[column]
        if isinstance(value, Ratio):
            yield from (value.value, value.numerator, value.denominator)
        else:
            yield value


def _rate_header(first):
    head = [first]
    for column in COLUMNS:
        head.append(column)
        if column not in ("enrolled", "enrolled_female", "enrolled_male", "repeaters", "teachers"):
            head += [f"{column} numerator", f"{column} denominator"]
    return head


@dataclass
class Walked:
    """What one pass over a year's rows gathers for the census."""

    grades: GradeWalk = field(default_factory=GradeWalk)
    ages: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))  # see population.read_ages
    schools: list = field(default_factory=list)  # (key, teachers, enrolled, present, possible, persistent, of)
    without_levels: list = field(default_factory=list)

    def ages_by_grade(self):
        """{grade: {sex key: {age: n}}} of every school."""
        found = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
        for (grade, _level), counts in self.ages.items():
            per_sex = found[grade]
            for (sex, age), n in counts.items():
                per_sex[sex][age] += n
        return found

    def flows_by_grade(self):
        """{grade: {flow: {sex key: n}}} of every school, closed or not."""
        found = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
        for grade, counts in self.grades.by_grade().items():
            per_flow = found[grade]
            for (flow, sex), n in counts.items():
                per_flow[flow][sex] += n
        return found


WALKED = ("school_id", "closed", "ladder", "flows", "ages", "teachers")
PER_SCHOOL = ("school_id", "teachers", "enrolled", "present", "possible", "persistent", "persistent_of")


def walk(year):
    """One read of the year's rows (their JSON decoded once) for every sheet."""
    found = Walked()
    grades, ages = found.grades, found.ages
    for key, closed, ladder, flows, school_ages, teachers in details(year).values_list(*WALKED).iterator(chunk_size=2000):
        levels = grades.add(key, closed, ladder, flows, teachers)
        if any(not levels.get(grade) for grade in flows):
            found.without_levels.append(key)
        add_ages(ages, levels, school_ages)
    found.schools = list(rows(year).values_list(*PER_SCHOOL).iterator(chunk_size=5000))
    return found


def _age_key(age):
    return (1, 0) if age == "" else (0, int(age))


def sheets(year, walked):
    ages, flows, order = walked.ages_by_grade(), walked.flows_by_grade(), walked.grades.order
    grades = sorted(set(ages) | set(flows), key=lambda name: (order.get(name, 999), name))
    every_age = sorted({age for grade in ages.values() for sex in grade.values() for age in sex}, key=_age_key)
    head = ["age"] + [f"{grade} {letter}" for grade in grades for letter in ("F", "M", "T")]
    enrolment = [head]
    for age in every_age:
        line = ["not recorded" if age == "" else int(age)]
        for grade in grades:
            sexes = ages[grade]
            line += [sexes[FEMALE][age], sexes[MALE][age], sum(sexes[sex][age] for sex in sexes)]
        enrolment.append(line)
    enrolment.append(["total"] + [sum(row[i] for row in enrolment[1:]) for i in range(1, len(head))])
    repeaters = [["grade", "F", "M", "T"]] + [
        [grade, flows[grade]["repeaters"][FEMALE], flows[grade]["repeaters"][MALE], sum(flows[grade]["repeaters"].values())]
        for grade in grades]
    outcomes = [["grade", "enrolled", *OUTCOMES]] + [
        [grade, sum(flows[grade]["enrolled"].values()), *(sum(flows[grade][outcome].values()) for outcome in OUTCOMES)]
        for grade in grades]
    schools = {key: (name, cluster or "main") for key, name, cluster
               in School.objects.using(DEFAULT_DB_ALIAS).values_list("pk", "name", "cluster").iterator(chunk_size=5000)}
    teachers = [["school", "cluster", "teachers", "enrolled", "pupil-teacher ratio"]]
    attendance = [["school", "cluster", "present sessions", "possible sessions", "attendance rate",
                   "persistently absent (latest term)", "students (latest term)"]]
    for key, staff, enrolled, present, possible, persistent, of in walked.schools:
        name, cluster = schools.get(key) or (str(key), "main")
        teachers.append([name, cluster, staff, enrolled, Ratio(enrolled, staff, scale=1).value])
        attendance.append([name, cluster, present, possible, Ratio(present, possible).value, persistent, of])
    rates = [_rate_header("grade or level")] + [[line.name, *_rate_cells(line.figures)] for line in walked.grades.lines()]
    line = national(year)[0]
    rates.append(["national", *_rate_cells(line.figures)])
    ratios, note = enrolment_ratios(year, walked.ages)
    notes = [["note"], [f"school year {year}; ages in whole years on the first day of the school year"],
             [note], *([f"{level}: " + ", ".join(f"{k} {v.text(True)}" for k, v in values.items())] for level, values in ratios)]
    if line.not_closed:
        notes.append([f"{len(line.not_closed)} schools have not closed {year}, left out of the flow rates: "
                      + ", ".join(line.not_closed)])
    return {"Enrolment by age": enrolment, "Repeaters": repeaters, "Outcomes": outcomes, "Teachers": teachers,
            "Attendance": attendance, "Rates": rates, "Notes": notes}


def census_workbook(year):
    """The census as an unsaved PlainWorkbook (save(file)); IndicatorError for a bad year or grades with no level."""
    check_year(year)
    walked = walk(year)
    missing = sorted(names_of(walked.without_levels).values())
    if missing:
        raise IndicatorError(
            f"{len(missing)} schools have grades with no level (primary, lower or upper secondary), e.g. "
            f"{', '.join(missing[:5])}: set them with `school_manage.py NAME grades set ... --level GRADE=primary`")
    return PlainWorkbook(sheets(year, walked))


def write_census(year, output):
    """Write the workbook; returns the number of sheets. IndicatorError (nothing written) for a bad year or levels."""
    workbook = census_workbook(year)

    def write(handle):
        workbook.save(handle)

    try:
        written_to(output, True, write, None)
    except ReportError as error:
        raise IndicatorError(str(error)) from None
    return len(workbook.sheetnames)
