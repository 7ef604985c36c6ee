"""The learner number: its alphabet, its check character, reading a typed one, and its keyed digest.

A number is 9 random characters and 1 check character (10 in all) from
Crockford's base 32 alphabet, which has no I, L, O or U: nothing on a form
reads as another character. The check character is Luhn mod N (N = 32): it
catches every single mistyped character and every swap of two neighbours,
so a mistyped number is refused, never matched to another child. Typed
numbers are read in any case, with spaces and hyphens ignored, and, as
Crockford's alphabet prescribes, O read as 0 and I or L as 1.

`default` never sees a number: only digest(number), HMAC-SHA256 keyed by
LEARNER_DIGEST_KEY (School/identity/registry.py).
"""

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
N = len(ALPHABET)
LENGTH = 10
_VALUE = {character: value for value, character in enumerate(ALPHABET)}
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, "-": None})


def check_character(body):
    """The Luhn mod N check character of `body` (characters of ALPHABET)."""
    factor, total = 2, 0
    for character in reversed(body):
        addend = factor * _VALUE[character]
        total += addend // N + addend % N
        factor = 1 if factor == 2 else 2
    return ALPHABET[(N - total % N) % N]


def is_valid(number):
    """True when `number` (already read) has the right check character."""
    return len(number) >= 2 and all(c in _VALUE for c in number) and check_character(number[:-1]) == number[-1]


def new_number():
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + check_character(body)


def read_number(text):
    """The number typed as `text`, in its stored form ("" for nothing); ValidationError when it cannot be one."""
    number = (text or "").upper().translate(_TYPED)
    if not number:
        return ""
    if len(number) != LENGTH or any(c not in _VALUE for c in number):
        raise ValidationError(
            _("A learner number has %(length)s letters and digits (no I, L, O or U), not %(text)r.")
            % {"length": LENGTH, "text": text}, code="learner_no_form")
    if not is_valid(number):
        raise ValidationError(
            _("Learner number %(number)s is mistyped: its check character does not match. Check every character.")
            % {"number": number}, code="learner_no_check")
    return number


def read_imported(text):
    """A number from an older national system: LEARNER_NUMBER_IMPORT_PATTERN and _CHECK decide."""
    if settings.LEARNER_NUMBER_IMPORT_CHECK == "luhn32":
        return read_number(text)
    number = (text or "").strip().upper()
    if not re.fullmatch(settings.LEARNER_NUMBER_IMPORT_PATTERN, number):
        raise ValidationError(_("%(text)r is not a learner number of the expected form.") % {"text": text},
                              code="learner_no_form")
    return number


def digest(number, key=None):
    """HMAC-SHA256 of the number under `key` (LEARNER_DIGEST_KEY), as hex: all `default` keeps of it."""
    key = (key or settings.LEARNER_DIGEST_KEY).encode()
    return hmac.new(key, b"learner:" + number.encode(), hashlib.sha256).hexdigest()
