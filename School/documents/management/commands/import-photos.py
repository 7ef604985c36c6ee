"""import-photos DIR_OR_ZIP: photo day, photos named by registration number matched to students.

Run for a school: `school_manage.py nairobi import-photos photos.zip`.
"""

from types import SimpleNamespace

from django.core.management.base import CommandError

from School.context import current_school
from School.documents.commands import EXIT_BAD_INPUT, SchoolCommand
from School.documents.photo_import import ImportRefused, import_photos
from School.documents.service import command_line_actor
from School.operations.fanout import Progress


class Command(SchoolCommand):
    usage = "import-photos DIR_OR_ZIP"
    help = (
        "Store the photos of a folder or zip as the students' photos, matched by file name to the registration "
        "number (a / in the number may be written - or _). Reports matched, replaced and unmatched files."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="DIR_OR_ZIP")

    def handle(self, *args, source, **options):
        def counted(total):
            bar = Progress(total, getattr(self.stdout, "_out", self.stdout))
            return lambda name, outcome: bar.update(SimpleNamespace(school=name, status=outcome))

        try:
            report = import_photos(source, actor=command_line_actor(), progress=counted)
        except ImportRefused as refusal:
            raise CommandError(f"{source}: {refusal}; nothing was stored", returncode=EXIT_BAD_INPUT) from None
        for name in report.unmatched:
            self.stdout.write(f"unmatched: {name}")
        for name, reason in report.refused:
            self.stderr.write(f"refused: {name}: {reason}")
        self.stdout.write(
            f"{current_school().name}: {report.matched} matched ({report.replaced} replaced), "
            f"{len(report.unmatched)} unmatched, {len(report.refused)} refused"
        )
        if report.refused:
            raise CommandError(f"{len(report.refused)} files were refused", returncode=1)
