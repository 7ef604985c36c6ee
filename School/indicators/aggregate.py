"""One school's counts per school year, read from its own database: the only thing the indicators take from a school.

Nothing personal leaves this module: a date of birth becomes an age in
whole years on the year's first day (the reference date, docs/platform.md),
a student becomes 1 in a count. A few grouped reads per school, whatever
its size, so that a promotion or a day's register recounts in milliseconds.
"""

import bisect
from collections import Counter, defaultdict, namedtuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from School import table_reads
from School.accounts.groups import TEACHERS
from School.compiled import rows_of, value_by
from School.indicators.levels import level_counts
from School.models import Student
from School.register.codes import ABSENCES, NOT_EXPECTED
from School.register.models import Mark, RegisterTaken
from School.school_year.enrolment_rows import enrolment_rows
from School.school_year.models import Enrolment, Grade, Promotion, Term

Outcome = Enrolment.Outcome
SchoolYearRow = namedtuple("SchoolYearRow", "pk name first_day last_day is_current")  # a row of table_reads.years
FEMALE, MALE, NOT_RECORDED = "female", "male", "sex_not_recorded"
SEX_OF = {Student.Sex.FEMALE: FEMALE, Student.Sex.MALE: MALE}
# A student absent more than this share of the sessions they were expected at in a term is persistently absent.
PERSISTENT_SHARE = 0.10
# Outcomes as the flows name them: the enrolment's outcome, "enrolled" while the year is open.
# "enrolled" is the grade's enrolment in the flows: an enrolment still open is "still_enrolled" there.
FLOW_OF = {Outcome.ENROLLED: "still_enrolled"}
OUTCOMES = tuple(FLOW_OF.get(outcome, outcome) for outcome in Outcome.values)
# Enrolments no longer expected at the register: the student left during the year.
LEFT = (Outcome.TRANSFERRED_OUT, Outcome.WITHDRAWN)
NO_STUDENT = (NOT_RECORDED, None)  # an enrolment whose student row is gone


def age_on(born, day):
    """Whole years from `born` to `day` ("" when the date of birth is not recorded)."""
    if born is None or day is None:
        return ""
    return str(day.year - born.year - ((day.month, day.day) < (born.month, born.day)))


def members_query(alias, group_key):
    """The user ids of group `group_key` (read flat: a join would be a $lookup on MongoDB)."""
    return Group.user_set.through.objects.using(alias).filter(group_id=group_key).values_list("user_id", flat=True)


def active_users(alias, keys):
    return get_user_model().objects.using(alias).filter(pk__in=keys, is_active=True)


def teachers(alias):
    """Active members of the school's Teachers group (the headcount of its teaching staff)."""
    group = value_by(alias, Group, "name", TEACHERS, "pk")
    if group is None:
        return 0
    # On SQL one join, by a statement compiled once per process (every count of every school asks); on MongoDB,
    # where rows_of gives None, the members first (a join would be a $lookup), then the active ones among them.
    members = rows_of(alias, "indicators: active members of a group",
                      lambda: get_user_model().objects.using(alias).filter(groups=group, is_active=True).values_list("pk"),
                      [group])  # `is_active` is compiled as a condition, not a parameter
    return len(members) if members is not None else active_users(alias, list(members_query(alias, group))).count()


def ladder(alias):
    """({grade key: name}, [[grade, level, isced, final]] lowest first): one read of the grades."""
    names, rungs = {}, []
    for pk, name, level, isced, final in table_reads.grades(alias):
        names[pk] = name
        rungs.append([name, level, isced, final])
    return names, rungs


def _nested(counter):
    """{a: {b: {c: n}}} of a Counter keyed (a, b, c): counted flat, which is cheaper per enrolment."""
    found = {}
    for (first, second, third), n in counter.items():
        found.setdefault(first, {}).setdefault(second, {})[third] = n
    return found


def count_years(alias, today=None):
    """{year name: {field: value}} for every school year of the school (the YearAggregates fields).

    One read per table, whatever the number of years: students, enrolments,
    registers and their marks are read once and split by year here.
    """
    years = [SchoolYearRow(*row) for row in table_reads.years(alias)]
    if not years:
        return {}
    grades, rungs = ladder(alias)
    first_grade = rungs[0][0] if rungs else None
    closed = {year for year, state in table_reads.table(alias, "promotions", lambda: Promotion.objects.using(alias).order_by()
                                                         .values_list("from_year_id", "state")) if state == Promotion.State.DONE}
    students, active = {}, {}
    for pk, grade, status, sex, born, *_rest in table_reads.students(alias):
        students[pk] = (SEX_OF.get(sex, NOT_RECORDED), born)
        if status == Student.Status.ACTIVE:
            active[pk] = grade
    classes = {pk: name for pk, name, _grade, _year in table_reads.classes(alias)}
    enrolments, members = defaultdict(list), defaultdict(dict)
    current = next((year.pk for year in years if year.is_current), None)
    for year, student, grade, school_class, outcome in enrolment_rows(alias, current):
        enrolments[year].append((student, grades.get(grade, ""), outcome))
        if outcome not in LEFT and year != current:
            members[year][student] = classes.get(school_class) or grades.get(grade, "")
    if current is not None:
        # The current year's register names a class as the student rows do (School/register/service.py class_students).
        members[current] = active
    registers, marks = registers_by_year(alias)
    terms = defaultdict(list)  # every year's terms in one read
    for year, name, first, last in table_reads.table(alias, "terms", lambda: Term.objects.using(alias).order_by("first_day")
                                                     .values_list("year_id", "name", "first_day", "last_day")):
        terms[year].append((name, first, last))
    staff = teachers(alias)
    counted, repeated_before = {}, {}
    for year in years:
        rows = enrolments.get(year.pk, [])
        flows, ages = year_flows(rows, students, repeated_before, first_grade, year.first_day)
        # UIS repeaters: enrolled in the grade they were in the year before, which that year's outcome "repeated" says.
        repeated_before = {student: grade for student, grade, outcome in rows if outcome == Outcome.REPEATED}
        year_registers = registers.get(year.pk, [])
        counted[year.name] = {
            "first_day": year.first_day, "last_day": year.last_day, "is_current": year.is_current,
            "closed": year.pk in closed, "teachers": staff if year.is_current else 0,
            "ladder": rungs, "flows": flows, "ages": ages, **level_counts(ages, rungs),
            **sums(flows, rungs), **attendance(terms[year.pk], members[year.pk], year_registers, marks),
        }
    return counted


def year_flows(rows, students, repeated_before, first_grade, day):
    """({grade: {flow: {sex: n}}}, {grade: {sex: {age: n}}}) of one year's enrolments [(student, grade, outcome)].

    `students`: {student: (sex key, date of birth)}; `repeated_before`: {student: grade} of those the year
    before left as repeating. Each enrolment is reduced to one key (grade, outcome, sex, age, repeater or
    new), counted in one pass by Counter; the flows and ages are then summed from the distinct keys, a few
    dozen a school. Counted flow by flow, an enrolment cost six dictionary updates and a call, and the
    indicators were a third of a school's recount on promotion day.
    """
    on = (day.year, (day.month, day.day)) if day is not None else None
    keys = Counter(
        (grade, outcome, sex, "" if born is None or on is None else on[0] - born.year - (on[1] < (born.month, born.day)),
         "repeaters" if repeated_before.get(student) == grade else "new" if grade == first_grade else None)
        for student, grade, outcome in rows
        for sex, born in (students.get(student, NO_STUDENT),)
    )
    flows, ages = Counter(), Counter()
    for (grade, outcome, sex, age, entry), n in keys.items():
        flows[grade, "enrolled", sex] += n
        flows[grade, FLOW_OF.get(outcome, outcome), sex] += n
        ages[grade, sex, str(age)] += n
        if entry is not None:
            flows[grade, entry, sex] += n
    return _nested(flows), _nested(ages)


def registers_by_year(alias):
    """({year: [(register, class, date)]}, [(register, student, code)]): the school's registers and their marks, one read each."""
    registers = defaultdict(list)
    for pk, year, class_name, day in table_reads.table(alias, "registers", lambda: RegisterTaken.objects.using(alias).order_by()
                                                       .values_list("pk", "year_id", "class_name", "date")):
        registers[year].append((pk, class_name, day))
    if not registers:
        return registers, []
    return registers, table_reads.table(alias, "marks", lambda: Mark.objects.using(alias).order_by()
                                        .values_list("register_id", "student_id", "code"))


def _of(flows, grade, key):
    """{sex key: n} of one flow of one grade."""
    return flows.get(grade, {}).get(key, {})


def _by_sex(name, counts):
    """{name: total, name_female: n, name_male: n} of {sex key: n}."""
    return {name: sum(counts.values()), f"{name}_female": counts.get(FEMALE, 0), f"{name}_male": counts.get(MALE, 0)}


def _combine(*parts, minus=()):
    total = defaultdict(int)
    for part in parts:
        for sex, n in part.items():
            total[sex] += n
    for part in minus:
        for sex, n in part.items():
            total[sex] -= n
    return total


def transition_grades(rungs):
    """(last primary grade, first lower secondary grade) of a ladder, None where it has no such grade."""
    primary = [name for name, level, _isced, _final in rungs if level == Grade.Level.PRIMARY]
    secondary = [name for name, level, _isced, _final in rungs if level == Grade.Level.LOWER_SECONDARY]
    return (primary[-1] if primary else None), (secondary[0] if secondary else None)


def sums(flows, rungs):
    """The YearAggregates sums of one year's flows (see its fields)."""
    grades = list(flows)
    enrolled = _combine(*(_of(flows, g, "enrolled") for g in grades))
    transferred = _combine(*(_of(flows, g, Outcome.TRANSFERRED_OUT) for g in grades))
    promoted = _combine(*(_of(flows, g, Outcome.PROMOTED) for g in grades), *(_of(flows, g, Outcome.GRADUATED) for g in grades))
    repeated = _combine(*(_of(flows, g, Outcome.REPEATED) for g in grades))
    last_primary, first_secondary = transition_grades(rungs)
    came = _combine(_of(flows, last_primary, "enrolled"), minus=[_of(flows, last_primary, Outcome.TRANSFERRED_OUT)])
    into = _combine(_of(flows, first_secondary, "enrolled"),
                    minus=[_of(flows, first_secondary, Outcome.TRANSFERRED_OUT), _of(flows, first_secondary, "repeaters")])
    return {
        **_by_sex("enrolled", enrolled), **_by_sex("base", _combine(enrolled, minus=[transferred])),
        **_by_sex("promoted", promoted), **_by_sex("repeated", repeated),
        **_by_sex("transition_from", came), **_by_sex("transition_into", into),
        "repeaters": sum(sum(_of(flows, g, "repeaters").values()) for g in grades),
    }


def attendance(terms, class_of, registers, marks):
    """The register's figures of a year: per term, the year's totals, its classes and the last day a register was taken.

    `terms`: the year's [(name, first day, last day)] by first day; `registers`: the year's [(register, class, date)]; `marks`: the school's
    [(register, student, code)] (those of other years are passed over).
    `class_of`: {student: class name}: in the current year the active
    students' class as the register names it; in an earlier year the year's
    enrolments not transferred out or withdrawn during it. A register of a
    class expects those students, less those marked "not expected"; late is
    present (as School/register/reading.py counts). A mark of a student not
    of the register's class is left out with the sessions it would count in.
    """
    class_size = defaultdict(int)
    for name in class_of.values():
        if name:  # a student with no class is on no register
            class_size[name] += 1
    found = {"terms": [], "present": 0, "possible": 0, "persistent": 0, "persistent_of": 0,
             "register_classes": len(class_size), "last_register_day": max((day for _pk, _c, day in registers), default=None)}
    if not registers:
        return found
    starts = [first for _name, first, _last in terms]
    term_of = {}
    for pk, _class_name, day in registers:
        index = bisect.bisect_right(starts, day) - 1
        term_of[pk] = index if index >= 0 and day <= terms[index][2] else None
    per_term = [{"term": name, "first": first.isoformat(), "last": last.isoformat(), "present": 0, "possible": 0,
                 "students": 0, "persistent": 0} for name, first, last in terms]
    sessions = defaultdict(lambda: defaultdict(int))  # term index -> class -> registers
    for pk, class_name, _day in registers:
        sessions[term_of[pk]][class_name] += 1
    absent, not_expected = defaultdict(int), defaultdict(int)  # (term, student) -> n
    register_class = {pk: class_name for pk, class_name, _day in registers}
    for register, student, code in marks:
        if register not in register_class or class_of.get(student) != register_class[register]:
            continue  # a student not (or no longer) of that class: not among the sessions counted for it
        term = term_of[register]
        if code in ABSENCES:
            absent[term, student] += 1
        elif code == NOT_EXPECTED:
            not_expected[term, student] += 1
    for term, per_class in sorted(sessions.items(), key=lambda item: -1 if item[0] is None else item[0]):
        possible = sum(n * class_size[name] for name, n in per_class.items())
        possible -= sum(n for (t, _student), n in not_expected.items() if t == term)
        missed = sum(n for (t, _student), n in absent.items() if t == term)
        persistent = 0
        for (t, student), n in absent.items():
            expected = per_class.get(class_of.get(student), 0) - not_expected.get((t, student), 0)
            if t == term and expected > 0 and n / expected > PERSISTENT_SHARE:
                persistent += 1
        found["present"] += possible - missed
        found["possible"] += possible
        if term is not None:
            per_term[term].update(present=possible - missed, possible=possible,
                                  students=sum(class_size[name] for name in per_class), persistent=persistent)
            # The latest term's: who needs following up now.
            found["persistent"], found["persistent_of"] = persistent, per_term[term]["students"]
    found["terms"] = per_term
    return found
