"""One year's enrolments as a student list: `export_students --year YEAR` (and the export page's year).

The columns are the student list's own (School/records/files.py STUDENT_COLUMNS), with the
grade of that year, then that year's `class` and `outcome`. The current year
also lists the active students added since its enrolments were made (they
get theirs at promotion), from their rows, as still enrolled.
"""

import datetime

from School.models import Student
from django.utils.translation import gettext as _

from School.records.dates import write_date
from School.records.files import STUDENT_COLUMNS as COLUMNS, ExportError
from School.records.formats import UnwritableCell, write_xlsx
from School.school_year.models import Enrolment, Grade, SchoolClass, SchoolYear

HEADER = [*COLUMNS, "class", "outcome"]
BATCH = 1000
GRADE = COLUMNS.index("grade")


class YearExportError(ValueError):
    """No such year; the message names the years there are."""


def year_named(using, name):
    """The year `name`, or the current one when `name` is empty."""
    years = SchoolYear.objects.using(using)
    year = years.filter(name=name).first() if name else years.filter(is_current=True).first()
    if year is None:
        known = ", ".join(years.order_by("first_day").values_list("name", flat=True)) or "none"
        raise YearExportError(f"there is no year {name or '(current)'} (years: {known})")
    return year


def year_names(using):
    """The school's years, latest first (the export page's choice)."""
    return list(SchoolYear.objects.using(using).order_by("-first_day").values_list("name", flat=True))


def year_enrolment_count(using, year):
    return Enrolment.objects.using(using).filter(year=year).count()


def write_year_xlsx(target, year, rows):
    """The year's rows as an .xlsx workbook (a sheet named after the year); ExportError naming the line otherwise."""
    try:
        write_xlsx(target, HEADER, rows, title=str(year)[:31].replace("/", "-"))
    except UnwritableCell as error:
        raise ExportError(
            _("The Excel file cannot be written: the %(column)s on line %(line)s holds a control character. "
              "Correct it on the student's page, or export as CSV.") % {"column": error.column, "line": error.line}
        ) from None


def year_rows(using, year, date_order="iso"):
    """Each enrolment of `year` as the texts of HEADER, in registration-number order."""
    grades = dict(Grade.objects.using(using).values_list("pk", "name"))
    classes = {pk: (name, grades.get(grade, "")) for pk, name, grade in
               SchoolClass.objects.using(using).filter(year=year).values_list("pk", "name", "grade_id")}
    enrolled = {student: (grades.get(grade, ""), classes.get(school_class, ("", ""))[0], outcome)
                for student, grade, school_class, outcome in
                Enrolment.objects.using(using).filter(year=year).values_list("student_id", "grade_id", "school_class_id", "outcome")}
    by_name = {name: grade for name, grade in classes.values()}
    students = Student.objects.using(using).order_by("registration_no").values_list("pk", "status", *COLUMNS)
    for values in students.iterator(chunk_size=BATCH):
        pk, status, row = values[0], values[1], list(values[2:])
        if pk in enrolled:
            grade, school_class, outcome = enrolled[pk]
        elif year.is_current and status == Student.Status.ACTIVE:  # added this year, not enrolled yet: as its row says
            text = row[GRADE]
            grade, school_class = (by_name[text], text) if text in by_name else (text, "")
            outcome = Enrolment.Outcome.ENROLLED
        else:
            continue
        row[GRADE] = grade
        yield [_text(value, date_order) for value in row] + [school_class, outcome]


def _text(value, date_order):
    if value is None:
        return ""
    return write_date(value, date_order) if isinstance(value, datetime.date) else value
