"""Every enrolment of a school as the figures count it, the current year's read from the student rows.

The current year's grade and class are kept on the student rows, where the
student table reads them; they are written to Enrolment when the year is
closed (School/school_year/promotion.py). A student enrolled since the
school's last promotion has no Enrolment of the current year yet, and an
active student's may be older than a change of class: so the current year
is counted from the rows, and earlier years from their enrolments.
"""

from School.models import Student
from School.school_year.models import Enrolment, Grade, SchoolClass

ENROLLED = Enrolment.Outcome.ENROLLED


def enrolment_rows(alias, current_year):
    """[(year pk, student pk, grade pk or None, class pk or None, outcome)] of every year of the school.

    `current_year`: the current year's pk (None: none is current, the enrolments as stored)."""
    rows = {}
    for year, student, grade, school_class, outcome in Enrolment.objects.using(alias).order_by().values_list(
        "year_id", "student_id", "grade_id", "school_class_id", "outcome"
    ):
        rows[year, student] = (grade, school_class, outcome)
    if current_year is not None:
        classes = {
            name: (pk, grade)
            for pk, name, grade in SchoolClass.objects.using(alias).filter(year_id=current_year).values_list("pk", "name", "grade_id")
        }
        grades = {name: pk for pk, name in Grade.objects.using(alias).values_list("pk", "name")}
        for student, text in Student.objects.using(alias).filter(status=Student.Status.ACTIVE).order_by().values_list("pk", "grade"):
            school_class, grade = classes.get(text, (None, grades.get(text)))
            rows[current_year, student] = (grade, school_class, ENROLLED)
    return [(year, student, *row) for (year, student), row in rows.items()]
