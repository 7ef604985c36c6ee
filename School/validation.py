"""What valid school names, host names and student details look like.

A school's name is also its database alias and part of its database name, so
it is kept to a small alphabet; a host is what browsers send in the Host
header, lower-cased, without port or trailing dot.
"""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Words of school_manage.py itself: a school called `up` could never be named
# on its command line.
RESERVED_NAMES = frozenset({"up", "schools", "hosts", "help"})
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


def validate_school_name(name):
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValidationError(
            f"bad school name {name!r}: use lowercase letters, digits and '_', "
            "starting with a letter, at most 40 characters",
            code="invalid",
        )
    if name in RESERVED_NAMES:
        raise ValidationError(
            f"bad school name {name!r}: it is a word of school_manage.py "
            f"({', '.join(sorted(RESERVED_NAMES))})",
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
            f"bad host {host!r}: give a bare host name such as nairobi.localhost "
            "(no scheme, port, path or wildcard)",
            code="invalid",
        )
    return candidate


def validate_host(host):
    if normalize_host(host) != host:
        raise ValidationError(f"host {host!r} must be written as {normalize_host(host)!r}", code="form")


# Letters, digits and the separators schools print on cards: NBI/2024/001, ACC-17.
REGISTRATION_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")
# International or local numbers: an optional +, digits, and the spaces,
# dashes and parentheses people type; 7 to 15 digits in all (E.164).
PHONE = re.compile(r"\+?[0-9 ()-]{7,20}")


def today():
    return timezone.localdate()


def not_in_future(value):
    if value and value > today():
        raise ValidationError(f"{value:%Y-%m-%d} is in the future.", code="future")


def validate_registration_no(value):
    if not REGISTRATION_NO.fullmatch(value or ""):
        raise ValidationError(
            "Use letters, digits and / . _ - (starting with a letter or digit), at most 64 characters.",
            code="invalid",
        )


def validate_phone(value):
    digits = re.sub(r"\D", "", value or "")
    if value and (not PHONE.fullmatch(value) or not 7 <= len(digits) <= 15):
        raise ValidationError(
            f"{value!r} is not a phone number: use digits with an optional leading +, e.g. +254 712 345678.",
            code="invalid",
        )
