"""A transferred student's years go with the record (School/transfers/parts.py runs these steps).

* the receiver gets the years at the sender, and those the sender had
  carried from earlier schools, as read-only CarriedEnrolment rows, once per
  transfer; and an enrolment of its own in its current year, from the day of
  the transfer. A graduate sent on (`promote --graduates-to`) starts there
  active, in the receiver's lowest grade;
* the sender's enrolment in its current year ends "transferred out" that day.

Each step can run again after a crash: carried rows are unique per transfer,
an enrolment per student and year.
"""

import datetime

from School.models import Student
from School.school_year.calendar import current_year
from School.school_year.models import CarriedEnrolment, Enrolment, Grade, SchoolClass, SchoolYear
from School.transactions import atomic

Outcome = Enrolment.Outcome


def _names(model, using):
    return dict(model.objects.using(using).values_list("pk", "name"))


def years_at(using, school_name, student_ids, today):
    """{student pk: [(school, year, first, last, grade, class, outcome)]} oldest first: the earlier schools', then here."""
    years = {pk: (name, first, last) for pk, name, first, last in
             SchoolYear.objects.using(using).values_list("pk", "name", "first_day", "last_day")}
    grades, classes = _names(Grade, using), _names(SchoolClass, using)
    found = {}
    for row in CarriedEnrolment.objects.using(using).filter(student_id__in=student_ids).order_by("first_day", "position"):
        found.setdefault(row.student_id, []).append(
            (row.school, row.year, row.first_day, row.last_day, row.grade, row.school_class, row.outcome)
        )
    rows = Enrolment.objects.using(using).filter(student_id__in=student_ids).values_list(
        "student_id", "year_id", "grade_id", "school_class_id", "first_day", "last_day", "outcome")
    for student, year, grade, school_class, first, last, outcome in sorted(rows, key=lambda row: years[row[1]][1]):
        if outcome == Outcome.ENROLLED:  # the year it leaves now
            outcome, last = Outcome.TRANSFERRED_OUT, today
        found.setdefault(student, []).append((
            school_name, years[year][0], first or years[year][1], last, grades.get(grade, ""), classes.get(school_class, ""), outcome,
        ))
    return found


def carry_years(moves, today=None):
    """The receiver's read-only rows of the years before, and its own enrolment in its current year."""
    if not moves:
        return
    today = today or datetime.date.today()
    source, target = moves[0].source, moves[0].target
    keys = [move.key for move in moves]
    done = set(CarriedEnrolment.objects.using(target.alias).filter(transfer_key__in=keys).values_list("transfer_key", flat=True))
    earlier = years_at(source.alias, source.display_name, [move.original.pk for move in moves], today)
    for move, row in _unenrolled(source.alias, moves, today):  # added during the year: the year it leaves shows too
        earlier.setdefault(move.original.pk, []).append((source.display_name, *row))
    carried = [
        CarriedEnrolment(student_id=move.copy.pk, transfer_key=move.key, position=position, school=school, year=year,
                         first_day=first, last_day=last, grade=grade, school_class=school_class, outcome=outcome)
        for move in moves if move.key not in done
        for position, (school, year, first, last, grade, school_class, outcome) in enumerate(earlier.get(move.original.pk, ()))
    ]
    with atomic(target.alias):
        CarriedEnrolment.objects.using(target.alias).bulk_create(carried)
        _enrol_here(target.alias, [move.copy for move in moves], today)


def _unenrolled(using, moves, today):
    """(move, (year, first, last, grade, class, outcome)) for the leaving students with no enrolment in the sender's
    current year yet (added during it; promotion would have made it): what that enrolment is, transferred out today."""
    year = SchoolYear.objects.using(using).filter(is_current=True).first()
    # The copy holds the status the student had before it was marked out.
    leaving = [move for move in moves if move.copy.status == Student.Status.ACTIVE]
    if year is None or not leaving:
        return []
    there = set(Enrolment.objects.using(using).filter(year=year, student_id__in=[m.original.pk for m in leaving])
                .values_list("student_id", flat=True))
    classes = dict(SchoolClass.objects.using(using).filter(year=year).values_list("name", "grade_id"))
    grades = _names(Grade, using)
    found = []
    for move in leaving:
        if move.original.pk in there:
            continue
        text = move.original.grade
        grade, school_class = (grades.get(classes[text], ""), text) if text in classes else (text, "")
        first = max(move.original.enrolment_date or year.first_day, year.first_day)
        found.append((move, (year.name, first, today, grade, school_class, Outcome.TRANSFERRED_OUT)))
    return found


def _enrol_here(using, copies, today):
    """The arrivals' enrolment in the receiver's current year."""
    year = current_year(using)
    there = set(Enrolment.objects.using(using).filter(year=year, student_id__in=[c.pk for c in copies]).values_list("student_id", flat=True))
    ladder = list(Grade.objects.using(using).order_by("position"))
    grades, by_pk = {grade.name: grade for grade in ladder}, {grade.pk: grade for grade in ladder}
    classes = {c.name: c for c in SchoolClass.objects.using(using).filter(year=year)}
    lowest = ladder[0] if ladder else None
    graduates = [copy.pk for copy in copies if copy.status == Student.Status.GRADUATED]
    if graduates:  # they go on here, from the first grade
        changes = {"status": Student.Status.ACTIVE, **({"grade": lowest.name} if lowest else {})}
        Student.objects.using(using).filter(pk__in=graduates).update(**changes)
    enrolments = []
    for copy in copies:
        if copy.pk in there or not (copy.status == Student.Status.ACTIVE or copy.pk in graduates):
            continue
        text = lowest.name if copy.pk in graduates and lowest else copy.grade
        school_class = classes.get(text)
        grade = by_pk.get(school_class.grade_id) if school_class else grades.get(text)
        first = min(max(today, year.first_day), year.last_day)
        enrolments.append(Enrolment(student_id=copy.pk, year=year, grade=grade, school_class=school_class, first_day=first))
    Enrolment.objects.using(using).bulk_create(enrolments)


def end_years(moves, today=None):
    """At the sender: the current year's open enrolment of each student ends "transferred out"."""
    if not moves:
        return
    today = today or datetime.date.today()
    using = moves[0].source.alias
    year = SchoolYear.objects.using(using).filter(is_current=True).values_list("pk", flat=True).first()
    # The year's key, not a filter across the relation: a join on MongoDB.
    Enrolment.objects.using(using).filter(
        student_id__in=[move.original.pk for move in moves], year_id=year, outcome=Outcome.ENROLLED,
    ).update(outcome=Outcome.TRANSFERRED_OUT, last_day=today)
    grades = {name: pk for pk, name in _names(Grade, using).items()}
    classes = {c.name: c for c in SchoolClass.objects.using(using).filter(year_id=year)}
    Enrolment.objects.using(using).bulk_create(
        Enrolment(student_id=move.original.pk, year_id=year, grade_id=grades.get(grade), school_class=classes.get(school_class),
                  first_day=first, last_day=last, outcome=outcome)
        for move, (_name, first, last, grade, school_class, outcome) in _unenrolled(using, moves, today)
    )
