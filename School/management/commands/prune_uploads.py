"""prune_uploads: delete import uploads never confirmed within IMPORT_UPLOAD_EXPIRY_MINUTES.

`school_manage.py nairobi prune_uploads` sweeps one school;
`manage.py prune_uploads` sweeps every
school's folder, those of removed schools included.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from School.context import current_school
from School.management.checks import all_but_page_checks
from School.records import uploads


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Delete import uploads older than IMPORT_UPLOAD_EXPIRY_MINUTES: the active school's, or every school's."

    def handle(self, **options):
        school = current_school()
        removed = uploads.sweep(school.name) if school else uploads.sweep_all()
        where = school.name if school else "every school"
        self.stdout.write(
            f"{where}: deleted {removed} upload(s) older than {settings.IMPORT_UPLOAD_EXPIRY_MINUTES} minutes."
        )
