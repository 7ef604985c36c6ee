"""Storing, replacing and deleting a student's files: the one place that writes them.

Order of a store, so that a crash at any point shows nothing half-written:
check the content (inspection) and the quota, write the bytes under a new
key (atomically, storage), then add the row (and, for a photo, remove the
old one in the same transaction). A crash before the row leaves bytes no
row names: `check-files` lists them and `--repair` removes them. Deleting
removes the row first and the bytes after the commit (signals.py).
"""

import getpass
import logging
import uuid
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from School.context import current_school, tenant_context
from School.documents.inspection import FileRefused, inspect
from School.documents.models import StorageUsage, StudentFile
from School.documents.storage import storage_for
from School.security import audit
from School.validation import plain_text

logger = logging.getLogger(__name__)


def new_key():
    return uuid.uuid4().hex


def command_line_actor():
    """Who the audit trail names for a command run in a shell (there is no request)."""
    name = f"(command line: {getpass.getuser()})"
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, get_username=lambda: name), META={})


def school_bytes(using):
    """What the school's files take now, from its own rows (the truth the quota checks)."""
    totals = StudentFile.objects.using(using).aggregate(size=Sum("size"), thumbs=Sum("thumbnail_size"))
    return (totals["size"] or 0) + (totals["thumbs"] or 0)


def check_quota(using, adding, freeing=0):
    quota = settings.SCHOOL_FILES_QUOTA_BYTES
    if quota and school_bytes(using) - freeing + adding > quota:
        raise FileRefused(_("The school's storage is full (quota %(quota)s MiB): delete old files first.") % {
            "quota": quota // (1024 * 1024)
        })


def _usage_rows(school_name):
    """The school's usage row as a queryset, the row created first if it is missing."""
    rows = StorageUsage.objects.using(DEFAULT_DB_ALIAS).filter(school=school_name)
    if not rows.exists():
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                StorageUsage.objects.using(DEFAULT_DB_ALIAS).create(school=school_name)
        except IntegrityError:  # another process created it meanwhile
            pass
    return rows


def change_usage(school_name, files, size):
    """Keep the registry's usage figure (for `schools list`) in step with a write."""
    if school_name and (files or size):
        # Plain updates: portable to MongoDB, which has no SELECT ... FOR UPDATE for update_or_create().
        _usage_rows(school_name).update(files=F("files") + files, bytes=F("bytes") + size)


def recount_usage(school_name, using):
    """Set the registry's usage figure from the school's own rows (after a restore, clone, move, repair)."""
    _usage_rows(school_name).update(files=StudentFile.objects.using(using).count(), bytes=school_bytes(using))


def recount_school_usage(name):
    """recount_usage for a registered school by name (after a restore, clone or move switched its data)."""
    from School.connections import ensure_alias
    from School.utils import school_by_name

    school = school_by_name(name)
    with tenant_context(school):
        recount_usage(name, ensure_alias(school))


def active_school_name():
    school = current_school()
    return school.name if school else ""


def store_file(student, kind, handle, name, *, size, title="", actor=None):
    """Check and store one file of `student`; returns (the new StudentFile, the photo it replaced or None).

    FileRefused (nothing stored) when the content, the size or the quota says no.
    """
    using = student._state.db
    if kind not in StudentFile.Kind.values:
        raise FileRefused(_("Unknown kind of document: %(kind)s.") % {"kind": kind})
    try:
        title = plain_text(title)
    except ValidationError as error:
        raise FileRefused(error.messages[0]) from None
    clean = inspect(handle, name, size=size, images_only=kind == StudentFile.Kind.PHOTO)
    replaced = (
        StudentFile.objects.using(using).filter(student=student, kind=StudentFile.Kind.PHOTO).first()
        if kind == StudentFile.Kind.PHOTO
        else None
    )
    check_quota(using, size, replaced.stored_bytes if replaced else 0)
    storage = storage_for(using)
    key = new_key()
    try:
        stored_size, sha256 = storage.save(key, clean.chunks())
    finally:
        if clean.body is not handle:  # the re-encoded image's spool
            clean.body.close()
    thumbnail_key, thumbnail_size = "", 0
    written = [key]
    try:
        if clean.thumbnail and kind == StudentFile.Kind.PHOTO:
            thumbnail_key = new_key()
            thumbnail_size, _digest = storage.save(thumbnail_key, [clean.thumbnail])
            written.append(thumbnail_key)
        with transaction.atomic(using=using):
            row = StudentFile.objects.using(using).create(
                student=student, kind=kind, title=title[:200], display_name=clean.display_name,
                content_type=clean.content_type, size=stored_size, sha256=sha256, key=key,
                thumbnail_key=thumbnail_key, thumbnail_size=thumbnail_size,
                uploaded_by=actor.user.get_username() if actor and actor.user.is_authenticated else "",
            )
            if replaced is not None:
                replaced.delete(using=using)  # its bytes go after the commit (signals.py)
    except BaseException:
        for written_key in written:
            storage.delete(written_key)
        raise
    change_usage(active_school_name(), 1, row.stored_bytes)
    if actor is not None:
        audit.record(
            actor, audit.FILE_UPLOAD, target=f"{student.pk} {student.registration_no}", format=clean.content_type,
            file_name=clean.display_name, result="replaced photo" if replaced else "ok", using=using,
        )
    logger.info("stored %s %s for student %s (%d bytes)", kind, key, student.registration_no, stored_size)
    return row, replaced


def delete_file(row, actor=None):
    """Remove one file: the row now, the bytes once the deletion is committed."""
    using = row._state.db
    student = row.student
    row.delete(using=using)
    if actor is not None:
        audit.record(
            actor, audit.FILE_DELETE, target=f"{student.pk} {student.registration_no}", format=row.content_type,
            file_name=row.display_name, using=using,
        )


def forget_bytes(using, row):
    """The bytes of a deleted row (called after the commit, also for a removed student's files)."""
    storage = storage_for(using)
    for key in (row.key, row.thumbnail_key):
        if key:
            storage.delete(key)
    change_usage(active_school_name(), -1, -row.stored_bytes)


def open_stored(row, thumbnail=False):
    """The stored bytes of a row as a file object (MissingFile if they are gone)."""
    return storage_for(row._state.db).open(row.thumbnail_key if thumbnail else row.key)

