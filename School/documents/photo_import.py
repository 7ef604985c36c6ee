"""Photo day: a folder or a zip of photos named by registration number, matched to students.

`NBI-2024-001.jpg` is the photo of NBI-2024-001; a registration number with
a character a file name cannot hold (`NBI/2021/012`) matches a name with `-`
or `_` in its place, in any case. Every photo goes through the same checks
and store as one upload (School.documents.service). Zips are read, never
extracted: a member's path only gives its name, a member is read up to the
per-file limit, and a member that claims to expand more than
MAX_RATIO times (a zip bomb) or an archive with too many members is refused.
"""

import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

from School.documents.inspection import FileRefused
from School.documents.models import StudentFile
from School.documents.service import store_file
from School.documents.storage import CHUNK
from School.models import Student

logger = logging.getLogger(__name__)

MAX_MEMBERS = 20_000
MAX_RATIO = 200
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})


class ImportRefused(Exception):
    """The folder or archive as a whole cannot be read; nothing was stored."""


@dataclass
class ImportReport:
    matched: int = 0
    replaced: int = 0
    unmatched: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (file name, reason)

    @property
    def seen(self):
        return self.matched + len(self.unmatched) + len(self.refused)


def registration_keys(using=None):
    """{spelling in lower case: student pk} for every registration number, `/` also as `-` and `_`."""
    keys = {}
    students = Student.objects.using(using) if using else Student.objects
    for pk, number in students.values_list("pk", "registration_no").iterator(chunk_size=2000):
        number = number.lower()
        for spelling in {number, number.replace("/", "-"), number.replace("/", "_")}:
            keys.setdefault(spelling, pk)
    return keys


def _directory_entries(folder):
    return [
        (path.name, path.stat().st_size, lambda path=path: open(path, "rb"))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    ]


def _copy_capped(source, limit):
    """The member's bytes in a temporary file; FileRefused past `limit` (whatever its header said)."""
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    written = 0
    with source:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limit:
                spool.close()
                raise FileRefused(_("The file is larger than the limit of %(limit)s MiB.") % {
                    "limit": round(limit / 1024 / 1024, 1)
                })
            spool.write(chunk)
    spool.seek(0)
    return spool, written


def _zip_entries(archive):
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise ImportRefused(_("The zip holds more than %(n)s files.") % {"n": MAX_MEMBERS})
    entries = []
    for info in members:
        # Only the last part of the path names the photo; nothing is written where the path points.
        name = PurePosixPath(info.filename.replace("\\", "/")).name
        bomb = info.compress_size and info.file_size / info.compress_size > MAX_RATIO
        entries.append((name, info.file_size, None if bomb else lambda info=info: archive.open(info)))
    return entries


def _entries(source):
    if source.is_dir():
        return _directory_entries(source), None
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused(_("%(path)s is neither a folder nor a zip file.") % {"path": source.name}) from None
    return _zip_entries(archive), archive


def import_photos(source, *, actor=None, progress=None):
    """Store every photo of `source` (a folder or a zip) as its student's photo; returns an ImportReport.

    `progress(total)` is called once the files are counted and returns a
    callable that is told (file name, outcome) after each file.
    """
    source = Path(source)
    if not source.exists():
        raise ImportRefused(_("%(path)s does not exist.") % {"path": source})
    keys = registration_keys()
    entries, archive = _entries(source)
    report = ImportReport()
    limit = settings.SCHOOL_FILE_MAX_BYTES
    step = progress(len(entries)) if progress is not None else None
    try:
        for name, size, opener in entries:
            outcome = _import_one(name, size, opener, keys, limit, actor, report)
            if step is not None:
                step(name, outcome)
    finally:
        if archive is not None:
            archive.close()
    logger.info(
        "photo import: %d matched, %d replaced, %d unmatched, %d refused",
        report.matched, report.replaced, len(report.unmatched), len(report.refused),
    )
    return report


def _import_one(name, size, opener, keys, limit, actor, report):
    stem, suffix = PurePosixPath(name).stem.lower(), PurePosixPath(name).suffix.lower()
    if name.startswith(".") or suffix not in PHOTO_SUFFIXES:
        report.unmatched.append(name)
        return "not a photo"
    student_pk = keys.get(stem)
    if student_pk is None:
        report.unmatched.append(name)
        return "no such student"
    if opener is None:
        report.refused.append((name, _("It expands far more than a photo can: a zip bomb?")))
        return "refused"
    try:
        body, actual = _copy_capped(opener(), limit)
        with body:
            student = Student.objects.get(pk=student_pk)
            _row, replaced = store_file(student, StudentFile.Kind.PHOTO, body, name, size=actual, actor=actor)
    except FileRefused as refusal:
        report.refused.append((name, str(refusal)))
        return "refused"
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        report.refused.append((name, _("It could not be read from the archive: %(error)s") % {"error": error}))
        return "refused"
    report.matched += 1
    if replaced is not None:
        report.replaced += 1
        return "replaced"
    return "matched"
