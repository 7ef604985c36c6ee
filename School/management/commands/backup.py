"""backup: write one school's backup file (run as `school_manage.py NAME backup`)."""

from django.core.management.base import BaseCommand, CommandError

from School.context import current_school
from School.management.checks import all_but_page_checks
from School.operations.backups import BackupError, backup_path, backups_dir, make_backup, prune
from School.utils import DEFAULT_SCHOOL, school_by_name

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Back up the active school to one portable file (school_manage.py NAME backup)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--output", metavar="FILE", help="the file to write (default: var/backups/NAME-<UTC time>.jsonl.gz)")
        target.add_argument("--output-dir", metavar="DIR", help="write NAME-<UTC time>.jsonl.gz into DIR")
        parser.add_argument("--keep", type=int, metavar="N", help="then delete all but the N newest backups of the school in that directory")
        parser.add_argument("--include-sessions", action="store_true", help="also back up signed-in sessions")

    def handle(self, *args, output, output_dir, keep, include_sessions, **options):
        school = current_school() or school_by_name(DEFAULT_SCHOOL)
        if keep is not None and (keep < 1 or output):
            raise CommandError("--keep needs --output-dir (or the default directory) and N >= 1", returncode=EXIT_BAD_INPUT)
        directory = output_dir or backups_dir()
        path = output or backup_path(directory, school.name)
        try:
            manifest = make_backup(school, path, include_sessions=include_sessions)
        except BackupError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(f"Backed up school {school.name}: {rows} rows in {len(manifest['tables'])} tables to {manifest['path']}")
        for old in prune(directory, school.name, keep) if keep else ():
            self.stdout.write(f"Deleted old backup {old}")
