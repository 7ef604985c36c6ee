"""export_students: the students of a school as CSV (the columns import_students reads).

Run for a school: `school_manage.py nairobi export_students --output students.csv`.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from School.context import current_school
from School.models import Student
from School.records.files import export_lines
from School.records.table import StudentTableQuery


class Command(BaseCommand):
    help = "Export students as CSV, optionally filtered like the student table."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--search", default="", help="name or registration number contains")
        parser.add_argument("--grade", default="", help="only this class")
        parser.add_argument("--status", default="", choices=["", *Student.Status.values])

    def handle(self, *args, output, search, grade, status, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME export_students", returncode=2)
        query = StudentTableQuery.from_params({"q": search, "grade": grade, "status": status})
        lines = export_lines(query.queryset())
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(lines)
        else:
            sys.stdout.writelines(lines)
