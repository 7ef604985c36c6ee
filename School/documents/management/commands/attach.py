"""attach REGNO FILE --kind KIND [--title TEXT]: add one document to a student, for a school scanning its archive."""

from pathlib import Path

from django.core.management.base import CommandError

from School.context import current_school
from School.documents.commands import EXIT_BAD_INPUT, SchoolCommand
from School.documents.inspection import FileRefused
from School.documents.models import StudentFile
from School.documents.service import command_line_actor, store_file
from School.models import Student


class Command(SchoolCommand):
    usage = "attach REGNO FILE --kind KIND"
    help = "Add one file (PDF, JPEG, PNG or WebP) to a student's documents, or as the photo with --kind photo."

    def add_arguments(self, parser):
        parser.add_argument("registration_no", metavar="REGNO")
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--kind", required=True, choices=StudentFile.Kind.values)
        parser.add_argument("--title", default="")

    def handle(self, *args, registration_no, file, kind, title, **options):
        student = Student.objects.filter(registration_no=registration_no).first()
        if student is None:
            raise CommandError(f"no student with registration number {registration_no!r}", returncode=EXIT_BAD_INPUT)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file", returncode=EXIT_BAD_INPUT)
        try:
            with open(path, "rb") as handle:
                row, replaced = store_file(
                    student, kind, handle, path.name, size=path.stat().st_size, title=title, actor=command_line_actor()
                )
        except FileRefused as refusal:
            raise CommandError(f"{file}: {refusal} Nothing was stored.", returncode=EXIT_BAD_INPUT) from None
        self.stdout.write(
            f"{current_school().name}: stored {path.name} as {row.get_kind_display().lower()} of {student.registration_no}"
            f" ({row.content_type}, {row.size} bytes){'; the old photo was replaced' if replaced else ''}"
        )
