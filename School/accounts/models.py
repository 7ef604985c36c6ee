"""Invitations: a school's way for a new person to join it."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Invitation(models.Model):
    """One invitation by email. The link's secret is never stored, only its SHA-256 digest."""

    email = models.EmailField(_("email"), db_index=True)
    group = models.ForeignKey(Group, verbose_name=_("group"), null=True, blank=True, on_delete=models.SET_NULL)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # Text, not a foreign key: the record outlives the users named in it.
    invited_by = models.CharField(_("invited by"), max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    send_error = models.CharField(_("sending failed"), max_length=300, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True, editable=False)
    accepted_username = models.CharField(_("account"), max_length=150, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return self.email

    def state(self, now=None):
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "pending"
