"""Every enrolment of a school as the figures count it, the current year's read from the student rows.

The current year's grade and class are kept on the student rows, where the
student table reads them; they are written to Enrolment when the year is
closed (School/school_year/promotion.py). A student enrolled since the
school's last promotion has no Enrolment of the current year yet, and an
active student's may be older than a change of class: so the current year
is counted from the rows, and earlier years from their enrolments.
"""

from School import table_reads
from School.models import Student
from School.school_year.models import Enrolment

ENROLLED = Enrolment.Outcome.ENROLLED
ACTIVE = Student.Status.ACTIVE


def enrolment_rows(alias, current_year):
    """[(year pk, student pk, grade pk or None, class pk or None, outcome)] of every year of the school.

    `current_year`: the current year's pk (None: none is current, the enrolments as stored). Worked
    out once per count of the school: the figures and the indicators both count them."""
    return table_reads.kept(alias, ("enrolment rows", current_year), lambda: _enrolment_rows(alias, current_year))


def _enrolment_rows(alias, current_year):
    rows = {(year, student): (grade, school_class, outcome)
            for year, student, grade, school_class, outcome in table_reads.enrolments(alias)}
    if current_year is not None:
        classes = {name: (pk, grade) for pk, name, grade, year in table_reads.classes(alias) if year == current_year}
        grades = {name: pk for pk, name, _level, _isced, _final in table_reads.grades(alias)}
        for student, text, status, *_rest in table_reads.students(alias):
            if status == ACTIVE:
                school_class, grade = classes.get(text, (None, grades.get(text)))
                rows[current_year, student] = (grade, school_class, ENROLLED)
    return [(year, student, *row) for (year, student), row in rows.items()]
