"""Rows each school keeps about its own security: API tokens and the audit trail."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """An API key of one user; the key itself is never stored, only its SHA-256 digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The key's first characters, so that people can tell their tokens apart.
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """One access to students' records. Each row's hash covers the previous row's hash."""

    class Action(models.TextChoices):
        EXPORT = "export", "Export"
        IMPORT = "import", "Import"
        DETAIL = "detail", "Student viewed"
        API_READ = "api_read", "API read"
        FILE_UPLOAD = "file_upload", "File uploaded"
        FILE_DOWNLOAD = "file_download", "File downloaded"
        FILE_DELETE = "file_delete", "File deleted"

    at = models.DateTimeField(db_index=True)
    # Text, not a foreign key: the trail outlives deleted users.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    target = models.CharField(max_length=300, blank=True, help_text="Filter, student or path")
    format = models.CharField(max_length=20, blank=True)
    rows = models.IntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    result = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=45, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.get_action_display()}"
