"""import_students FILE: add (or with --update, change) students from a CSV, text or xlsx file.

Run for a school: `school_manage.py nairobi import_students students.csv`.
All or nothing: any bad row means nothing is written, and every bad row is
reported with its line number.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from School.context import current_school
from School.management.checks import all_but_page_checks
from School.records.files import COLUMNS, CsvFileError, StudentImport

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = (
        "Import students from an Excel workbook (.xlsx) or a CSV/TSV file (UTF-8, UTF-16, Windows-1252; the "
        f"format is read from the content) with a header row (columns: {', '.join(COLUMNS)})."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--update", action="store_true", help="change students whose registration number exists")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report; write nothing")
        parser.add_argument(
            "--max-rows", type=int, default=None,
            help="refuse a file with more rows than this (default IMPORT_MAX_ROWS_CLI: 1,000,000)",
        )

    def handle(self, *args, file, update, dry_run, max_rows, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME import_students FILE", returncode=EXIT_BAD_INPUT)
        max_rows = settings.IMPORT_MAX_ROWS_CLI if max_rows is None else max_rows
        # The operator's command loads records from before the platform, students who left by transfer included.
        student_import = StudentImport(
            file, update=update, max_rows=max_rows, progress=self._progress(), historic_transfers=True
        )
        try:
            report = student_import.check() if dry_run else student_import.apply()
        except (CsvFileError, OSError) as error:
            self._end_progress()
            raise CommandError(f"{file}: {error}; nothing was written", returncode=EXIT_BAD_INPUT) from None
        self._end_progress()
        if report.file_format:
            self.stdout.write(f"{file}: read as {report.file_format}, dates {report.date_order}")
        for error in report.errors:
            self.stderr.write(f"{file}: {error}")
        if report.error_count > len(report.errors):
            self.stderr.write(f"{file}: ... and {report.error_count - len(report.errors)} more rows with errors")
        if not report.ok:
            raise CommandError(f"{file}: {report.summary()}", returncode=EXIT_BAD_INPUT)
        self.stdout.write(f"{current_school().name}: {report.summary()}")

    def _progress(self):
        """Rows read so far, on one line of a terminal (nothing in logs and pipes)."""
        self._shown = False
        stream = getattr(self.stderr, "_out", self.stderr)
        if not stream.isatty():
            return None

        def show(rows):
            self._shown = True
            stream.write(f"\r{rows:,} rows read")
            stream.flush()

        return show

    def _end_progress(self):
        if self._shown:
            getattr(self.stderr, "_out", self.stderr).write("\n")
