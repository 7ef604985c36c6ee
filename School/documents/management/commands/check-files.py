"""check-files [--repair]: files without a row (orphans), rows without their file (missing), unfinished writes."""

from django.core.management.base import CommandError

from School.context import current_alias, current_school
from School.documents.commands import SchoolCommand
from School.documents.integrity import check_files

PARTIAL_AGE = 3600  # seconds: an unfinished write older than this is no upload in progress (default)


class Command(SchoolCommand):
    usage = "check-files"
    help = (
        "List stored files that no student's record names (orphans, e.g. after a crash mid-upload), records whose "
        "file is missing, and unfinished writes; --repair removes the orphans and unfinished writes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true")
        parser.add_argument(
            "--older-than", type=float, default=PARTIAL_AGE, metavar="SECONDS",
            help="count unfinished writes started more than SECONDS ago (default: an hour; younger ones may be uploads in progress)",
        )

    def handle(self, *args, repair, older_than, **options):
        report = check_files(current_alias(), current_school().name, repair=repair, partial_age=older_than)
        for key in report.orphans:
            self.stdout.write(f"orphan: {key}{' (removed)' if repair else ''}")
        for name in report.partials:
            self.stdout.write(f"unfinished write: {name}{' (removed)' if repair else ''}")
        for row, key in report.missing:
            self.stdout.write(f"missing: {key} of {row.student.registration_no} {row.display_name!r} ({row.kind})")
        self.stdout.write(
            f"{current_school().name}: {report.checked} files checked, {len(report.orphans)} orphans, "
            f"{len(report.partials)} unfinished writes, {len(report.missing)} missing"
            + ("; orphans and unfinished writes removed" if repair and (report.orphans or report.partials) else "")
        )
        if report.missing or (not repair and (report.orphans or report.partials)):
            raise CommandError("the school's files need attention (see above)", returncode=1)
