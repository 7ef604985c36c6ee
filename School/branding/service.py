"""Change a school's branding: the school admin's page and `schools set` both come here.

Everything given is checked before anything is written, so a refused change
leaves the school as it was. A change is noted in the registry's change log
(the school's row is saved): this process forgets its kept look at once, other
workers within SCHOOL_REGISTRY_TTL, with the log they read anyway
(School/branding/looks.py).
"""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from School.branding import looks
from School.branding.colours import check_pair
from School.branding.models import KEY, Branding
from School.branding.refusals import BrandingRefused
from School.models import School
from School.validation import plain_text

logger = logging.getLogger(__name__)

WELCOME_MAX = 500
# Stand-ins for "back to the platform's look" in set_branding().
DEFAULT_COLOURS = "default"
NO_LOGO = "none"


def check_welcome(welcome):
    """{language: text} in stored form; BrandingRefused for an unknown language, a control character or a long text."""
    languages = dict(settings.LANGUAGES)
    checked = {}
    for language, text in welcome.items():
        if language not in languages:
            raise BrandingRefused(_("Unknown language %(language)s: use one of %(languages)s.") % {
                "language": language, "languages": ", ".join(languages)})
        try:
            text = plain_text(text or "")
        except ValidationError as error:
            raise BrandingRefused(error.messages[0]) from None
        if len(text) > WELCOME_MAX:
            raise BrandingRefused(_("The welcome text is longer than %(limit)s characters.") % {"limit": WELCOME_MAX})
        checked[language] = text
    return checked


def set_branding(alias, *, logo=None, colours=None, welcome=None):
    """Change what is given of the school `alias`'s branding; returns the names of what changed.

    logo: (content type, bytes) from School.branding.logo, or NO_LOGO; colours: (primary, accent) or
    DEFAULT_COLOURS; welcome: {language: text}, an empty text removing that language's.
    """
    if colours is not None and colours != DEFAULT_COLOURS:
        colours = check_pair(*colours)
    welcome = check_welcome(welcome or {})
    branding = Branding.objects.using(alias).filter(key=KEY).first() or Branding(key=KEY)
    changed = []
    if colours is not None:
        primary, accent = ("", "") if colours == DEFAULT_COLOURS else colours
        if (branding.primary, branding.accent) != (primary, accent):
            branding.primary, branding.accent = primary, accent
            changed.append("colours")
    if logo is not None:
        content_type, body = ("", b"") if logo == NO_LOGO else logo
        digest = hashlib.sha256(body).hexdigest()[:32] if body else ""
        if digest != branding.logo_digest:
            branding.logo, branding.logo_type, branding.logo_digest = body, content_type, digest
            changed.append("logo")
    if welcome:
        texts = {**branding.welcome, **welcome}
        texts = {language: text for language, text in texts.items() if text}
        if texts != branding.welcome:
            branding.welcome = texts
            changed.append("welcome")
    if changed:
        branding.save(using=alias)
        looks.forget(alias)
        registered = School.objects.using(DEFAULT_DB_ALIAS).filter(name=alias).first()
        if registered is not None:  # every worker forgets its look of this school
            registered.save(update_fields=["updated_at"])
    logger.info("branding changed: %s", ", ".join(changed) or "nothing", extra={"school": alias})
    return changed
