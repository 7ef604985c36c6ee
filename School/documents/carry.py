"""A student's files carried from one school to another (for transfers between schools).

    from School.documents.carry import read_student_files, write_student_files

    with tenant_context("nairobi"):
        for carried in read_student_files(student):        # metadata + a byte stream, one file at a time
            with tenant_context("accra"):
                write_student_files(new_student, [carried])  # or pass the whole iterator

A CarriedFile holds the metadata and an opener of its bytes, never the bytes
themselves: memory stays flat whatever the number and size of files. The
writer stores each file under a NEW key in the receiving school's storage
(bytes first, then the row, as an upload does), checks the checksum, keeps
the kind, title, names, uploader and upload time, replaces the receiving
student's photo if a photo is carried, and is idempotent per source file:
a file whose checksum the receiving student already has (same kind) is
skipped, so a transfer interrupted after some files can be run again.
Bytes are not re-inspected: they were checked when the sending school
stored them.
"""

import logging
from dataclasses import dataclass
from typing import Callable

from django.db import transaction

from School.documents.models import StudentFile
from School.documents.service import active_school_name, change_usage, new_key
from School.documents.storage import read_chunks, storage_for

logger = logging.getLogger(__name__)


class CarryError(Exception):
    """A carried file's bytes did not arrive as they left (checksum or size)."""


@dataclass(frozen=True)
class CarriedFile:
    kind: str
    title: str
    display_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: object  # aware datetime
    open_bytes: Callable  # () -> iterator of byte chunks (the file)
    open_thumbnail: Callable = None  # () -> iterator of byte chunks, for a photo


def read_student_files(student):
    """CarriedFile for every file of `student` (read from the student's own database and storage)."""
    using = student._state.db
    storage = storage_for(using)
    for row in StudentFile.objects.using(using).filter(student=student).order_by("pk"):
        yield CarriedFile(
            kind=row.kind, title=row.title, display_name=row.display_name, content_type=row.content_type,
            size=row.size, sha256=row.sha256, uploaded_by=row.uploaded_by, uploaded_at=row.uploaded_at,
            open_bytes=lambda key=row.key: read_chunks(storage.open(key)),
            open_thumbnail=(lambda key=row.thumbnail_key: read_chunks(storage.open(key))) if row.thumbnail_key else None,
        )


def write_student_files(student, carried_files, school_name=""):
    """Store carried files as `student`'s (in the student's database); returns the new rows."""
    using = student._state.db
    storage = storage_for(using)
    written = []
    for carried in carried_files:
        if StudentFile.objects.using(using).filter(student=student, kind=carried.kind, sha256=carried.sha256).exists():
            continue  # carried before (a repeated transfer)
        key = new_key()
        size, sha256 = storage.save(key, carried.open_bytes())
        if (size, sha256) != (carried.size, carried.sha256):
            storage.delete(key)
            raise CarryError(f"{carried.display_name}: the bytes differ from the sender's checksum")
        thumbnail_key, thumbnail_size = "", 0
        if carried.open_thumbnail is not None:
            thumbnail_key = new_key()
            thumbnail_size, _digest = storage.save(thumbnail_key, carried.open_thumbnail())
        with transaction.atomic(using=using):
            if carried.kind == StudentFile.Kind.PHOTO:
                for old in StudentFile.objects.using(using).filter(student=student, kind=StudentFile.Kind.PHOTO):
                    old.delete(using=using)
            row = StudentFile.objects.using(using).create(
                student=student, kind=carried.kind, title=carried.title, display_name=carried.display_name,
                content_type=carried.content_type, size=size, sha256=sha256, key=key,
                thumbnail_key=thumbnail_key, thumbnail_size=thumbnail_size, uploaded_by=carried.uploaded_by,
            )
            # auto_now_add set "now": the document keeps the date it was first uploaded.
            StudentFile.objects.using(using).filter(pk=row.pk).update(uploaded_at=carried.uploaded_at)
        change_usage(school_name or active_school_name(), 1, row.stored_bytes)
        written.append(row)
    logger.info("%d files carried to student %s", len(written), student.registration_no)
    return written
