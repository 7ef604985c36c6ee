"""The data migration's step, shared by both migration trees: existing records into the new shape.

A school with students gets one current year named after today's year
(its first and last day those of the calendar year, to be corrected by the
school), the grades found in its records as its ladder, and one enrolment
per student in that year, from the student's grade and status.

A database with no students is left empty: that is a new school (its
default year is made on first use, School/school_year/calendar.py) or a
restore, which migrates an empty database before loading the backup's rows,
whose own years and enrolments must not meet a second current year.
"""

import datetime

from School.school_year.ladder import guessed_order

BATCH = 1000

# A student's status -> the outcome of its enrolment in the current year.
OUTCOMES = {"active": "enrolled", "graduated": "graduated", "transferred": "transferred", "withdrawn": "withdrawn"}


def enrol_existing_students(apps, schema_editor):
    using = schema_editor.connection.alias
    Student = apps.get_model("School", "Student")
    students = Student.objects.using(using)
    if not students.exists():
        return
    SchoolYear = apps.get_model("school_year", "SchoolYear")
    Grade = apps.get_model("school_year", "Grade")
    Enrolment = apps.get_model("school_year", "Enrolment")
    today = datetime.date.today()
    year = SchoolYear.objects.using(using).create(
        name=str(today.year), first_day=today.replace(month=1, day=1), last_day=today.replace(month=12, day=31),
        is_current=True,
    )
    found = set(students.exclude(grade="").values_list("grade", flat=True))
    names, certain = guessed_order(found)
    grades = {}
    for position, name in enumerate(names, start=1):
        grades[name] = Grade.objects.using(using).create(name=name, position=position, confirmed=certain)
    if certain:
        for lower, upper in zip(names, names[1:]):
            Grade.objects.using(using).filter(pk=grades[lower].pk).update(next_grade=grades[upper])
    batch = []
    for pk, grade, status, enrolled_on in students.values_list("pk", "grade", "status", "enrolment_date").iterator():
        batch.append(Enrolment(
            student_id=pk, year=year, grade=grades.get(grade), outcome=OUTCOMES.get(status, "enrolled"),
            first_day=max(enrolled_on, year.first_day) if enrolled_on else year.first_day,
        ))
        if len(batch) == BATCH:
            Enrolment.objects.using(using).bulk_create(batch)
            batch = []
    Enrolment.objects.using(using).bulk_create(batch)
