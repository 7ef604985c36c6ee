"""A user's own language: a row of the school's database, like the user."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from School.models import language_choices


class LanguagePreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self):
        return f"{self.user_id}: {self.language}"
