"""What the documents' commands share: they run as one school (`school_manage.py NAME COMMAND`)."""

from django.core.management.base import BaseCommand, CommandError

from School.context import current_school

EXIT_BAD_INPUT = 2


class SchoolCommand(BaseCommand):
    """A command that needs an active school; `usage` is its line after `school_manage.py NAME`."""

    usage = ""

    def execute(self, *args, **options):
        if current_school() is None:
            raise CommandError(f"name the school: school_manage.py NAME {self.usage}", returncode=EXIT_BAD_INPUT)
        return super().execute(*args, **options)
