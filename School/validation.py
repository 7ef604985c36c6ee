"""What valid school names, host names and student details look like.

A school's name is also its database alias and part of its database name, so
it is kept to a small alphabet; a host is what browsers send in the Host
header, lower-cased, without port or trailing dot.
"""

import datetime
import functools
import re
import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Words of school_manage.py itself: a school called `up` could never be named
# on its command line.
RESERVED_NAMES = frozenset({"up", "schools", "hosts", "help", "worker"})
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


def validate_school_name(name):
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValidationError(
            _("bad school name %(name)s: use lowercase letters, digits and '_', "
              "starting with a letter, at most 40 characters") % {"name": repr(name)},
            code="invalid",
        )
    if name in RESERVED_NAMES:
        raise ValidationError(
            _("bad school name %(name)s: it is a word of school_manage.py (%(words)s)")
            % {"name": repr(name), "words": ", ".join(sorted(RESERVED_NAMES))},
            code="reserved",
        )


def normalize_host(host):
    """The canonical form of a host name, or ValidationError if it is not one.

    Unicode names are stored in their ASCII (punycode) form because that is
    what browsers put in the Host header.
    """
    candidate = (host or "").strip().lower().removesuffix(".")
    try:
        candidate = candidate.encode("idna").decode("ascii")
    except UnicodeError:
        candidate = ""
    if not HOST_PATTERN.fullmatch(candidate):
        raise ValidationError(
            _("bad host %(host)s: give a bare host name such as nairobi.localhost "
              "(no scheme, port, path or wildcard)") % {"host": repr(host)},
            code="invalid",
        )
    return candidate


def validate_host(host):
    if normalize_host(host) != host:
        raise ValidationError(
            _("host %(host)s must be written as %(form)s") % {"host": repr(host), "form": repr(normalize_host(host))},
            code="form",
        )


# Letters, digits and the separators schools print on cards: NBI/2024/001, ACC-17.
REGISTRATION_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")
# International or local numbers: an optional +, digits, and the spaces,
# dashes and parentheses people type; 7 to 15 digits in all (E.164).
PHONE = re.compile(r"\+?[0-9 ()-]{7,20}")


def today():
    return timezone.localdate()


def not_in_future(value):
    if value and value > today():
        raise ValidationError(_("%(date)s is in the future.") % {"date": value.isoformat()}, code="future")


# A fixed floor, not a moving window: a record kept for decades (graduates,
# alumni) must still save and re-import as it ages. Anything before it is a
# typo of the year (0001, 0212), which exports and spreadsheets misread.
EARLIEST_DATE = datetime.date(1900, 1, 1)


def not_before_earliest(value):
    if value and value < EARLIEST_DATE:
        raise ValidationError(
            _("%(date)s is before %(earliest)s: check the year.")
            % {"date": f"{value.year:04d}-{value.month:02d}-{value.day:02d}", "earliest": EARLIEST_DATE.isoformat()},
            code="too_early",
        )


# --- text people and files give ------------------------------------------------

# Whitespace as str.split() knows it (spaces, tabs, line breaks, the no-break
# space pasted from Word, ...) except the separators \x1c-\x1f and \x85,
# which are control characters and refused below, never silently turned into spaces.
_WHITESPACE = re.compile(r"[^\S\x1c-\x1f\x85]+")
# C0 and C1 control characters other than the whitespace above, DEL, and lone
# surrogates: no person means them, spreadsheets cannot hold them (openpyxl
# refuses the whole workbook) and a search can never type them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def normalise_text(value):
    """The one form of a text: Unicode NFC, every run of whitespace one space, no space at either end.

    The same for what is stored and what is searched, so a name is found by
    its own text however it was typed or pasted.
    """
    if not value:
        return value
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", value)).strip(" ")


def without_control_characters(value):
    """`value` with its control characters removed (for rows written before the rule)."""
    return CONTROL_CHARACTERS.sub("", value) if value else value


def plain_text(value):
    """`value` in its stored form; ValidationError if it holds a control character."""
    refuse_control_characters(value)
    return normalise_text(value)


def refuse_control_characters(value):
    found = CONTROL_CHARACTERS.search(value or "")
    if found:
        raise ValidationError(
            _("Remove the control character U+%(code)s at position %(position)s: it cannot be shown, searched "
              "or exported.") % {"code": f"{ord(found.group()):04X}", "position": found.start() + 1},
            code="control_character",
        )


def validate_registration_no(value):
    if not REGISTRATION_NO.fullmatch(value or ""):
        raise ValidationError(
            _("Use letters, digits and / . _ - (starting with a letter or digit), at most 64 characters."),
            code="invalid",
        )


def validate_phone(value):
    digits = re.sub(r"\D", "", value or "")
    if value and (not PHONE.fullmatch(value) or not 7 <= len(digits) <= 15):
        raise ValidationError(
            _("%(value)s is not a phone number: use digits with an optional leading +, e.g. +254 712 345678.")
            % {"value": repr(value)},
            code="invalid",
        )


# --- a school's locale ---------------------------------------------------------

DATE_ORDERS = {
    "dmy": gettext_lazy("day first (DD/MM/YYYY)"),
    "mdy": gettext_lazy("month first (MM/DD/YYYY)"),
    "iso": gettext_lazy("year first (YYYY-MM-DD)"),
}


def validate_time_zone(name):
    """An IANA time zone name that zoneinfo knows (system data or the tzdata wheel)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(_unknown_zone(name), code="invalid") from None
    # ZoneInfo also opens files by relative path ("Africa/../UTC"): only canonical keys.
    if name not in time_zone_names():
        raise ValidationError(_unknown_zone(name), code="invalid")


def _unknown_zone(name):
    return _("unknown time zone %(name)s: give an IANA name such as Africa/Nairobi or UTC") % {"name": repr(name)}


@functools.cache
def time_zone_names():
    """Every IANA name zoneinfo offers (read from disk once per process)."""
    return frozenset(available_timezones())


def validate_language(code):
    if code not in dict(settings.LANGUAGES):
        raise ValidationError(
            _("unknown language %(code)s: use one of %(known)s")
            % {"code": repr(code), "known": ", ".join(dict(settings.LANGUAGES))},
            code="invalid",
        )


def validate_date_order(order):
    if order not in DATE_ORDERS:
        raise ValidationError(
            _("unknown date order %(order)s: use one of %(known)s") % {"order": repr(order), "known": ", ".join(DATE_ORDERS)},
            code="invalid",
        )
