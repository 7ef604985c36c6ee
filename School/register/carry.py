"""A transferred student's attendance goes with the record (the transfer's AttendancePart runs this step).

The receiver gets, read-only, one CarriedAttendance row per year the student
spent at the sender (its registers, late arrivals, excused and unexcused
absences, registers not expected) and a CarriedMark per mark that was not
"present", plus what the sender had itself carried from earlier schools. It
runs again harmlessly after a crash: nothing is written for a transfer key
already carried.

A year's registers are those of the classes the student was in that year (its
enrolment's class or grade, the classes of its marks, and in the current year
its class now), within its enrolment's days where they are known.
"""

from School.models import Student
from School.register.codes import ABSENT, EXCUSED, LATE, NOT_EXPECTED
from School.register.models import CarriedAttendance, CarriedMark, Mark, RegisterTaken
from School.register.stamp import registers_changed
from School.school_year.models import Enrolment, Grade, SchoolClass, SchoolYear
from School.transactions import atomic


def attendance_at(using, school_name, student_ids, today):
    """{student pk: (years, marks)}: years [(school, year, expected, late, excused, unexcused, not_expected)] and
    marks [(school, class, date, session, code, reason)], the earlier schools' first, then this school's."""
    found = {pk: ([], []) for pk in student_ids}
    for row in CarriedAttendance.objects.using(using).filter(student_id__in=student_ids).order_by("position"):
        found[row.student_id][0].append((row.school, row.year, row.expected, row.late, row.excused, row.unexcused, row.not_expected))
    for row in CarriedMark.objects.using(using).filter(student_id__in=student_ids).order_by("position"):
        found[row.student_id][1].append((row.school, row.class_name, row.date, row.session, row.code, row.reason))
    years = {pk: (name, first, last, current) for pk, name, first, last, current in
             SchoolYear.objects.using(using).values_list("pk", "name", "first_day", "last_day", "is_current")}
    marks = list(Mark.objects.using(using).filter(student_id__in=student_ids).values_list("student_id", "register_id", "code", "reason"))
    registers = {pk: (year, class_name, date, session) for pk, year, class_name, date, session in RegisterTaken.objects.using(using).filter(
        pk__in=[register for _s, register, _c, _r in marks]).values_list("pk", "year_id", "class_name", "date", "session")}
    spans = {}  # (student, year) -> [class names, first, last]
    for student, register, _code, _reason in marks:
        year, class_name = registers[register][:2]
        spans.setdefault((student, year), [set(), None, None])[0].add(class_name)
    classes, grades = dict(SchoolClass.objects.using(using).values_list("pk", "name")), dict(Grade.objects.using(using).values_list("pk", "name"))
    for student, year, school_class, grade, first, last in Enrolment.objects.using(using).filter(student_id__in=student_ids).values_list(
            "student_id", "year_id", "school_class_id", "grade_id", "first_day", "last_day"):
        span = spans.setdefault((student, year), [set(), None, None])
        span[0].add(classes.get(school_class) or grades.get(grade, ""))
        span[1], span[2] = first, last
    current = next((pk for pk, (_n, _f, _l, is_current) in years.items() if is_current), None)
    for student, grade in Student.objects.using(using).filter(pk__in=student_ids).values_list("pk", "grade"):
        if current is not None:
            spans.setdefault((student, current), [set(), None, None])[0].add(grade)
    for (student, year), (names, first, last) in sorted(spans.items(), key=lambda item: years[item[0][1]][1]):
        name, year_first, year_last, _current = years[year]
        taken = set(RegisterTaken.objects.using(using).filter(
            year_id=year, class_name__in=sorted(names - {""}), date__gte=first or year_first,
            date__lte=min(last or year_last, today)).values_list("pk", flat=True))
        codes = [code for who, register, code, _reason in marks if who == student and registers[register][0] == year]
        taken |= {register for who, register, _code, _reason in marks if who == student and registers[register][0] == year}
        if not taken:
            continue
        found[student][0].append((school_name, name, len(taken) - codes.count(NOT_EXPECTED), codes.count(LATE),
                                  codes.count(EXCUSED), codes.count(ABSENT), codes.count(NOT_EXPECTED)))
    for student, register, code, reason in sorted(marks, key=lambda mark: registers[mark[1]][2:]):
        _year, class_name, date, session = registers[register]
        found[student][1].append((school_name, class_name, date, session, code, reason))
    return found


def carry_attendance(moves, today):
    """The receiver's read-only rows of the student's attendance before, once per transfer."""
    if not moves:
        return
    source, target = moves[0].source, moves[0].target
    done = set(CarriedAttendance.objects.using(target.alias).filter(transfer_key__in=[move.key for move in moves])
               .values_list("transfer_key", flat=True))
    done |= set(CarriedMark.objects.using(target.alias).filter(transfer_key__in=[move.key for move in moves])
                .values_list("transfer_key", flat=True))
    moves = [move for move in moves if move.key not in done]
    earlier = attendance_at(source.alias, source.display_name, [move.original.pk for move in moves], today)
    years, marks = [], []
    for move in moves:
        student_years, student_marks = earlier.get(move.original.pk, ([], []))
        years += [CarriedAttendance(student_id=move.copy.pk, transfer_key=move.key, position=position, school=school, year=year,
                                    expected=expected, late=late, excused=excused, unexcused=unexcused, not_expected=not_expected)
                  for position, (school, year, expected, late, excused, unexcused, not_expected) in enumerate(student_years)]
        marks += [CarriedMark(student_id=move.copy.pk, transfer_key=move.key, position=position, school=school,
                              class_name=class_name, date=date, session=session, code=code, reason=reason)
                  for position, (school, class_name, date, session, code, reason) in enumerate(student_marks)]
    with atomic(target.alias):
        CarriedAttendance.objects.using(target.alias).bulk_create(years)
        CarriedMark.objects.using(target.alias).bulk_create(marks)
        registers_changed(target.alias)


def carried(using, student):
    """The student's attendance at earlier schools, for their page: [{"school", "year", "expected", ..., "rate"}]."""
    rows = []
    for row in CarriedAttendance.objects.using(using).filter(student=student).order_by("position"):
        absent = row.excused + row.unexcused
        rows.append({"period": f"{row.school} · {row.year}", "school": row.school, "year": row.year, "expected": row.expected,
                     "present": row.expected - absent, "late": row.late, "absent": absent, "excused": row.excused,
                     "unexcused": row.unexcused, "not_expected": row.not_expected,
                     "rate": round(100 * (row.expected - absent) / row.expected, 1) if row.expected else None})
    return rows
