from django.db import models
from django.utils.translation import gettext_lazy as _

KEY = "branding"


class Branding(models.Model):
    """A school's look, one row (key "branding") in its own database; blank fields: the platform's default look."""

    key = models.CharField(max_length=20, unique=True, default=KEY)
    primary = models.CharField(_("primary colour"), max_length=7, blank=True)
    accent = models.CharField(_("accent colour"), max_length=7, blank=True)
    # Re-encoded bytes (a PNG or a JPEG of at most LOGO_BOX pixels): small enough for a row,
    # and a row is what every backup, restore, clone and move already carries.
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(max_length=20, blank=True)
    # The logo's address ends with this digest: a new logo is a new address, so browsers may keep one for good.
    logo_digest = models.CharField(max_length=64, blank=True)
    # {language code: plain text}; the sign-in page shows the reader's language, else the school's.
    welcome = models.JSONField(default=dict, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")

    def __str__(self):
        return self.key
