"""What the pages of a school show of its branding, kept by each worker so that no request pays a query.

A worker reads a school's Branding row once, and again only after a registry
change this process sees: School/branding/service.py notes every branding
change in the registry's change log (as a restore, a clone or a move does),
which every worker reads anyway within SCHOOL_REGISTRY_TTL. So the branding
adds no query of its own to any request but the first after a change. The
kept Look is keyed by the school's alias: a school's look is read from its
own database and never shown on another's host.
"""

import hashlib
from dataclasses import dataclass, field

from django.db import DatabaseError
from django.urls import get_script_prefix, reverse

from School.availability import unavailable_reason
from School.connections import registry_epoch


@dataclass(frozen=True)
class Look:
    primary: str = ""
    accent: str = ""
    logo_digest: str = ""
    logo_type: str = ""
    welcome: dict = field(default_factory=dict)
    # Addresses below the script prefix: one school may be asked for at its own host ("/")
    # and by path ("/s/<name>/"), and its look is kept once for both.
    stylesheet_path: str = ""
    logo_path: str = ""

    @property
    def stylesheet(self):
        return get_script_prefix() + self.stylesheet_path if self.stylesheet_path else ""

    @property
    def logo(self):
        return get_script_prefix() + self.logo_path if self.logo_path else ""

    def welcome_in(self, language, school_language=""):
        """The welcome in `language`, else in the school's language, else ""."""
        return self.welcome.get(language) or self.welcome.get(school_language) or ""


# Schools that set nothing: the platform's look (School/static/School/app.css).
PLATFORM_LOOK = Look()
_kept = {}  # alias -> (Look, the registry epoch when it was read)


def _below_prefix(url):
    return url[len(get_script_prefix()):]


def _look(primary, accent, logo_digest, logo_type, welcome):
    stylesheet = logo = ""
    if primary and accent:
        version = hashlib.sha256(f"{primary}{accent}".encode()).hexdigest()[:12]
        stylesheet = _below_prefix(reverse("branding-style", args=[version]))
    if logo_digest:
        logo = _below_prefix(reverse("branding-logo", args=[logo_digest, "png" if logo_type == "image/png" else "jpg"]))
    return Look(primary, accent, logo_digest, logo_type, welcome or {}, stylesheet, logo)


def look_query(alias):
    """The one read of a school's look: its single row by the unique key, without the logo's bytes."""
    from School.branding.models import KEY, Branding

    return (
        Branding.objects.using(alias).filter(key=KEY).order_by()
        .values_list("primary", "accent", "logo_digest", "logo_type", "welcome")[:1]
    )


def read(alias):
    """The school's Look from its database (one small query)."""
    row = next(iter(look_query(alias)), None)
    return _look(*row) if row else PLATFORM_LOOK


def look_of(school):
    """The Look of `school` (a SchoolInfo, or None outside any school: the platform's)."""
    if school is None:
        return PLATFORM_LOOK
    kept = _kept.get(school.alias)
    epoch = registry_epoch()
    if kept is not None and kept[1] == epoch:
        return kept[0]
    try:
        look = read(school.alias)
    except DatabaseError as error:
        if unavailable_reason(error) is None:
            raise
        # The school's "unavailable" (503) page is drawn in the platform's look: reading the school's own is
        # what just failed. Nothing is kept, so the look comes back with the database.
        return PLATFORM_LOOK
    _kept[school.alias] = (look, epoch)
    return look


def forget(alias=None):
    """Read `alias`'s look (every school's if None) again on next use."""
    if alias is None:
        _kept.clear()
    else:
        _kept.pop(alias, None)


def welcome_of(request):
    """The welcome the sign-in pages show on this request's school, in the reader's language where given."""
    from django.utils.translation import get_language

    school = getattr(request, "school", None)
    return look_of(school).welcome_in(get_language(), school.language if school else "")
