"""A student's photo and documents: metadata rows; the bytes are in School.documents.storage."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from School.fields import TextLineField
from School.models import Student


class StudentFile(models.Model):
    """One stored file of one student: its photo or one of its documents.

    The bytes are kept under `key` (never the uploaded name) in the school's
    own storage; a photo also has a small re-encoded thumbnail under
    `thumbnail_key`. A student has at most one photo: storing a new one
    replaces the old (School.documents.service).
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
        TRANSFER_LETTER = "transfer_letter", _("Transfer letter")
        MEDICAL = "medical", _("Medical")
        REPORT = "report", _("Report")
        OTHER = "other", _("Other")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="files", verbose_name=_("student"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = TextLineField(_("title"), max_length=200, blank=True)
    # The uploaded name, neutralised, for display and for a download's name only.
    display_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    key = models.CharField(max_length=64, unique=True, editable=False)
    thumbnail_key = models.CharField(max_length=64, blank=True, editable=False)
    thumbnail_size = models.BigIntegerField(default=0, editable=False)
    # Text, not a foreign key: the record outlives the user, and travels with a transfer.
    uploaded_by = models.CharField(_("uploaded by"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("student file")
        verbose_name_plural = _("student files")
        ordering = ["kind", "-uploaded_at"]
        indexes = [models.Index(fields=["student", "kind"], name="studentfile_student_kind_idx")]

    def __str__(self):
        return self.title or self.display_name

    @property
    def stored_bytes(self):
        return self.size + self.thumbnail_size


class StorageUsage(models.Model):
    """Registry row (database `default`): how much a school stores, kept at write time.

    `schools list` reads these rows in one query instead of opening 100,000
    schools' storage; the school's own StudentFile rows stay the truth
    (check-files --repair and restores recompute this figure from them).
    """

    school = models.CharField(max_length=40, unique=True)
    files = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("storage usage")
        verbose_name_plural = _("storage usage")

    def __str__(self):
        return f"{self.school}: {self.files} files, {self.bytes} bytes"
