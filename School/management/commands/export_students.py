"""export_students: the students of a school as CSV or xlsx (the columns import_students reads).

Run for a school: `school_manage.py nairobi export_students --output students.csv`
or `... export_students --format xlsx --output students.xlsx`.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.identity.sex import FILTER_VALUES
from School.locale.activation import date_order_of
from School.management.checks import all_but_page_checks
from School.models import Student
from School.records.files import ExportError, export_lines, export_xlsx
from School.records.formats import csv_lines
from School.records.table import StudentTableQuery
from School.school_year.year_export import HEADER, YearExportError, write_year_xlsx, year_named, year_rows


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Export students as CSV or xlsx, optionally filtered like the student table."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--format", default="csv", choices=["csv", "xlsx"], help="file format (default: csv)")
        parser.add_argument("--search", default="", help="names or registration numbers starting with this text (any case)")
        parser.add_argument("--grade", default="", help="only this class")
        parser.add_argument("--status", default="", choices=["", *Student.Status.values])
        parser.add_argument("--sex", default="", choices=["", *FILTER_VALUES], help="only this sex (unrecorded: not recorded)")
        parser.add_argument("--dates", default="iso", choices=["iso", "local"],
                            help="iso: YYYY-MM-DD (default, every program reads it); local: the school's date order")
        parser.add_argument("--year", help="that year's enrolments, with their grade, class and outcome (e.g. 2026)")

    def handle(self, *args, output, format, search, grade, status, sex, dates, year, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME export_students", returncode=2)
        order = date_order_of(current_school()) if dates == "local" else "iso"
        if year is not None:
            if search or grade or status or sex:
                raise CommandError("--year lists the whole year: --search, --grade, --status and --sex are for the student table",
                                   returncode=2)
            return self._year(year, format, output, order)
        query = StudentTableQuery.from_params({"q": search, "grade": grade, "status": status, "sex": sex})
        if format == "xlsx":
            try:
                export_xlsx(query.queryset(), output or sys.stdout.buffer, order)
            except ExportError as error:
                raise CommandError(str(error)) from None
            return
        lines = export_lines(query.queryset(), order)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(lines)
        else:
            sys.stdout.writelines(lines)

    def _year(self, name, format, output, order):
        try:
            year = year_named(current_alias(), name)
        except YearExportError as error:
            raise CommandError(str(error), returncode=2) from None
        rows = year_rows(current_alias(), year, order)
        if format == "xlsx":
            try:
                write_year_xlsx(output or sys.stdout.buffer, year, rows)
            except ExportError as error:
                raise CommandError(str(error)) from None
        elif output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(csv_lines(HEADER, rows))
        else:
            sys.stdout.writelines(csv_lines(HEADER, rows))
