"""A student's years at this school, one row each: year, grade, class, first and last day, outcome; and the
years a transfer carried from earlier schools.

A fixed number of queries however many years the student has (the
enrolments, then the years, grades and classes they name, each looked up
once rather than joined per enrolment: a join is a $lookup on MongoDB).

During the current year the student row is what registrars keep (promotion
brings the enrolment in line), so an active student's current year shows
the row's class, and a student added since the last promotion gets the
current year's row from it.
"""

from School.school_year.models import CarriedEnrolment, Enrolment, Grade, SchoolClass, SchoolYear

Outcome = Enrolment.Outcome
OUTCOMES = dict(Outcome.choices)


def history_of(student, write_date):
    """[{year, grade, class, first, last, outcome}] oldest first; `write_date` turns a date (or None) into text."""
    enrolments = list(
        Enrolment.objects.filter(student=student).values_list(
            "year_id", "grade_id", "school_class_id", "first_day", "last_day", "outcome"
        )
    )
    years = {pk: (name, first, current) for pk, name, first, current in
             SchoolYear.objects.values_list("pk", "name", "first_day", "is_current")}
    grades = dict(Grade.objects.values_list("pk", "name")) if enrolments else {}
    class_ids = [row[2] for row in enrolments if row[2] is not None]
    classes = dict(SchoolClass.objects.filter(pk__in=class_ids).values_list("pk", "name")) if class_ids else {}
    active = student.status == student.Status.ACTIVE
    current = next((pk for pk, (_name, _first, is_current) in years.items() if is_current), None)
    rows = []
    for year, grade, school_class, first, last, outcome in enrolments:
        name, year_first, _current = years[year]
        class_name = classes.get(school_class, "")
        if year == current and active and outcome == Outcome.ENROLLED and student.grade not in (class_name, grades.get(grade)):
            class_name = student.grade  # changed since the enrolment was written; the row is the truth this year
        rows.append({"year": name, "grade": grades.get(grade, ""), "class": class_name, "first": write_date(first),
                     "last": write_date(last), "outcome": str(OUTCOMES.get(outcome, outcome)), "sort": year_first})
    if active and current is not None and current not in {row[0] for row in enrolments}:
        name, year_first, _current = years[current]
        rows.append({"year": name, "grade": "", "class": student.grade, "first": write_date(None), "last": write_date(None),
                     "outcome": str(OUTCOMES[Outcome.ENROLLED]), "sort": year_first})
    rows.sort(key=lambda row: row["sort"])
    return rows


def earlier_schools_of(student, write_date):
    """[{school, year, grade, class, first, last, outcome}] of the years a transfer carried here, oldest first.

    As the earlier school recorded them (names, not this school's years or
    grades), in one query; read-only: nothing here changes them.
    """
    rows = CarriedEnrolment.objects.filter(student=student).values_list(
        "school", "year", "grade", "school_class", "first_day", "last_day", "outcome"
    )
    return [{"school": school, "year": year, "grade": grade, "class": school_class, "first": write_date(first),
             "last": write_date(last), "outcome": str(OUTCOMES.get(outcome, outcome))}
            for school, year, grade, school_class, first, last, outcome in rows]
