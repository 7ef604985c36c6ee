"""What the registers say: today's missing registers and absentees, and one student's attendance.

Days present are counted, not stored: a register taken with no mark for a
student means present. "Not expected" days are left out of the days a
student was expected, so a leave never lowers a rate.
"""

from School.models import Student
from School.register.carry import carried
from School.register.codes import ABSENCES, ABSENT, EXCUSED, LATE, NOT_EXPECTED
from School.register.models import Mark, RegisterTaken
from School.register.service import school_settings, school_today, sessions
from School.school_year.models import SchoolYear, Term
from School.school_year.pages.classes import classes_by_grade


def class_names(year):
    """The current year's classes as their pages name them, those with students, in ladder order."""
    return [entry["name"] for grade in classes_by_grade(year) for entry in grade["classes"] if entry["students"]]


def today(using, day):
    """{"missing": [(class, session)], "taken": {(class, session): (by, at)}, "absent": [{...}]} for `day`."""
    year = SchoolYear.objects.using(using).filter(is_current=True).first()
    if year is None:
        return {"missing": [], "taken": {}, "absent": []}
    registers = list(RegisterTaken.objects.using(using).filter(date=day, year=year))
    taken = {(register.class_name, register.session): (register.taken_by, register.taken_at) for register in registers}
    missing = [(name, str(session)) for name in class_names(year) for session in sessions(using)
               if (name, str(session)) not in taken]
    by_pk = {register.pk: register for register in registers}
    marks = list(Mark.objects.using(using).filter(register_id__in=list(by_pk), code__in=ABSENCES)
                 .values_list("register_id", "student_id", "code", "reason"))
    students = {pk: (regno, f"{first} {last}") for pk, regno, first, last in Student.objects.using(using).filter(
        pk__in=[student for _r, student, _c, _x in marks]).values_list("pk", "registration_no", "first_name", "second_name")}
    absent = sorted(({"class": by_pk[register].class_name, "session": by_pk[register].session,
                      "regno": students[student][0], "name": students[student][1], "code": code, "reason": reason}
                     for register, student, code, reason in marks if student in students),
                    key=lambda row: (row["class"], row["session"], row["name"]))
    return {"missing": missing, "taken": taken, "absent": absent}


def student_attendance(using, student, day=None):
    """[{"period", "first", "last", "expected", "present", "late", "absent", "excused", "unexcused", "not_expected",
    "rate", "school"}] for the current term and year up to `day` (present includes late; absent is excused plus
    unexcused), then a row per year at an earlier school (its name in "school", no days), carried by a transfer.

    Expected: the sessions of registers of the student's class taken in the
    period, less those marked not expected; a student's earlier classes in the
    year are counted through their marks only.
    """
    year = SchoolYear.objects.using(using).filter(is_current=True).first()
    if year is None:
        return []
    day = day or school_today()
    periods = []
    term = Term.objects.using(using).filter(year=year, first_day__lte=day, last_day__gte=day).first()
    if term is not None:
        periods.append((term.name, term.first_day, min(term.last_day, day)))
    periods.append((year.name, year.first_day, min(year.last_day, day)))
    # A student's marks are few (only days not simply present): read them once, with their registers' days, no join.
    own = list(Mark.objects.using(using).filter(student=student).values_list("register_id", "code"))
    days = dict(RegisterTaken.objects.using(using).filter(pk__in=[register for register, _code in own], year=year)
                .values_list("pk", "date"))
    found = []
    for name, first, last in periods:
        registers = RegisterTaken.objects.using(using).filter(year=year, class_name=student.grade, date__gte=first, date__lte=last)
        taken = set(registers.values_list("pk", flat=True))
        marks = [(register, code) for register, code in own if register in days and first <= days[register] <= last]
        taken |= {register for register, _code in marks}
        codes = [code for _register, code in marks]
        expected = len(taken) - codes.count(NOT_EXPECTED)
        absent = sum(codes.count(code) for code in ABSENCES)
        found.append({"period": name, "first": first, "last": last, "expected": expected, "present": expected - absent,
                      "late": codes.count(LATE), "absent": absent, "excused": codes.count(EXCUSED),
                      "unexcused": codes.count(ABSENT), "not_expected": codes.count(NOT_EXPECTED),
                      "rate": round(100 * (expected - absent) / expected, 1) if expected else None, "school": ""})
    # Then the years at earlier schools, carried by transfers (read-only): no days, the school's name instead.
    return found + [{**row, "first": None, "last": None} for row in carried(using, student)]


def persistent_absence(using, day):
    """Students attending less than the school's follow-up share of their registers this term (else this year) up to `day`.

    [{"regno", "name", "class", "expected", "absent", "rate"}], lowest rate first. Three reads, whatever the size of the
    school: the period's registers, their non-present marks, the students marked.
    """
    year = SchoolYear.objects.using(using).filter(is_current=True).first()
    if year is None:
        return []
    term = Term.objects.using(using).filter(year=year, first_day__lte=day, last_day__gte=day).first()
    first = term.first_day if term else year.first_day
    threshold = school_settings(using).follow_up_below
    registers = dict(RegisterTaken.objects.using(using).filter(year=year, date__gte=first, date__lte=day)
                     .values_list("pk", "class_name"))
    per_class = {}
    for class_name in registers.values():
        per_class[class_name] = per_class.get(class_name, 0) + 1
    absent, not_expected = {}, {}
    for student, code in Mark.objects.using(using).filter(register_id__in=list(registers)).values_list("student_id", "code"):
        if code in ABSENCES:
            absent[student] = absent.get(student, 0) + 1
        elif code == NOT_EXPECTED:
            not_expected[student] = not_expected.get(student, 0) + 1
    found = []
    rows = Student.objects.using(using).filter(pk__in=list(absent), status=Student.Status.ACTIVE).values_list(
        "pk", "registration_no", "first_name", "second_name", "grade")
    for pk, regno, first_name, second_name, grade in rows:
        expected = per_class.get(grade, 0) - not_expected.get(pk, 0)
        if expected <= 0:
            continue
        rate = round(100 * (expected - absent[pk]) / expected, 1)
        if rate < threshold:
            found.append({"regno": regno, "name": f"{first_name} {second_name}", "class": grade, "expected": expected,
                          "absent": absent[pk], "rate": rate})
    return sorted(found, key=lambda row: (row["rate"], row["class"], row["name"]))
