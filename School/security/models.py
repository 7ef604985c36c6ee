"""Rows each school keeps about its own security: API tokens and the audit trail."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ApiToken(models.Model):
    """An API key of one user; the key itself is never stored, only its SHA-256 digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    # The key's first characters, so that people can tell their tokens apart.
    prefix = models.CharField(_("prefix"), max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """One access to students' records, or a change of who may access them.

    Each row's hash covers the previous row's hash."""

    class Action(models.TextChoices):
        # A context of their own: in the log these are events (nouns), where the menu's "Import" is a verb.
        EXPORT = "export", pgettext_lazy("audit action: a list of students written to a file", "Export")
        IMPORT = "import", pgettext_lazy("audit action: students read from a file", "Import")
        DETAIL = "detail", _("Student viewed")
        API_READ = "api_read", _("API read")
        # People and access (School/accounts/)
        INVITED = "invited", _("Invitation sent")
        INVITATION_REVOKED = "invite_revoked", _("Invitation revoked")
        JOINED = "joined", _("Invitation accepted")
        PASSWORD_RESET = "password_reset", _("Password reset by email")
        SECOND_FACTOR_ON = "2fa_on", _("Second factor set up")
        SECOND_FACTOR_RESET = "2fa_reset", _("Second factor reset")
        # A student's photo and documents (School/documents/)
        FILE_UPLOAD = "file_upload", _("File uploaded")
        FILE_DOWNLOAD = "file_download", _("File downloaded")
        FILE_DELETE = "file_delete", _("File deleted")
        # Promotion day (School/school_year/): who moved how many students into which year.
        PROMOTION = "promotion", _("Students promoted")
        PROMOTION_UNDONE = "promotion_undo", _("Promotion undone")
        # The registry (School/accounts/host_notice.py): who moved the school's host names
        HOSTS_CHANGED = "hosts_changed", _("Host names changed")
        # The daily register (School/register/): a mark changed after the day, from what to what, and why.
        REGISTER_CORRECTED = "register_fix", _("Register corrected")
        # A child already active at another school enrolled anyway, with the registrar's reason (School/identity/enrolment.py).
        ENROLLED_ANYWAY = "enrolled_anyway", _("Enrolled though active elsewhere")

    at = models.DateTimeField(_("at"), db_index=True)
    # Text, not a foreign key: the trail outlives deleted users.
    username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    target = models.CharField(_("target"), max_length=300, blank=True, help_text=_("Filter, student or path"))
    format = models.CharField(_("format"), max_length=20, blank=True)
    rows = models.IntegerField(_("rows"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    result = models.CharField(_("result"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=45, blank=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.get_action_display()}"
