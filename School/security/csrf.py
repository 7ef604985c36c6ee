"""CSRF secrets bound to the school: a Nairobi cookie and token pair is refused at Accra.

Django's secret is 32 random characters, good at any host that accepts the
cookie: a cookie planted for a sibling host (`Domain=.school.local`) with a
token read at Nairobi would pass at Accra. Ours are 16 random characters
and 16 of an HMAC of them with the school's name, checked on every unsafe
request.

Nothing is added to a GET that renders no form: a visitor without a cookie
gets a lazy secret, made only if a form asks for a token; a secret Django
makes itself (rotate_token() at sign-in) is replaced before its cookie is
sent, and the check itself runs on POST (and the other unsafe methods) only.

Random characters come from os.urandom in one call (`random_chars`), not
one secrets.choice() per character as Django's get_random_string(): on a
signed-in page the secret and its per-response mask were a tenth of the
request. `masked_token` is Django's get_token() so drawn, for the Jinja2
pages' `csrf_token` (`jinja_csrf_token`, a context processor); it does not
send back a cookie the browser already holds (Django did, to renew a year's
expiry).
"""

import functools
import logging
import os
from functools import partial

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, CsrfViewMiddleware, RejectRequest, get_token
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.functional import SimpleLazyObject, lazy

logger = logging.getLogger(__name__)

HALF = 16
SALT = "School.security.csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REASON_OTHER_SCHOOL = "CSRF cookie of another school (or from before school-bound cookies)."
TOKEN_USED = "SCHOOL_CSRF_TOKEN_USED"  # request.META: a page of this response holds a token
COOKIE_BOUND = "SCHOOL_CSRF_COOKIE_BOUND"  # request.META: the cookie this request brought, found bound to its school


def _school_name(request):
    school = getattr(request, "school", None)
    return school.name if school is not None else ""


def _mac(school_name, random_part):
    return _keyed_mac(settings.SECRET_KEY, school_name, random_part)


@functools.lru_cache(maxsize=1024)
def _keyed_mac(secret_key, school_name, random_part):
    # Kept per worker: a signed-in browser's cookie is checked on every page with a form.
    return salted_hmac(SALT, f"{school_name}:{random_part}", secret=secret_key, algorithm="sha256").hexdigest()[:HALF]


# A byte below 248 (4 x 62) modulo 62 is each of the 62 characters equally
# often; the others are skipped: as uniform as secrets.choice(). The bytes
# are mapped and skipped by one bytes.translate(), not a loop per character.
_CHARS = CSRF_ALLOWED_CHARS
_UNBIASED = len(_CHARS) * (256 // len(_CHARS))
_SKIPPED = bytes(range(_UNBIASED, 256))
_BYTE_TO_INDEX = bytes(byte % len(_CHARS) if byte < _UNBIASED else 0 for byte in range(256))
_INDEX_TO_CHAR = bytes(ord(_CHARS[index]) if index < len(_CHARS) else 0 for index in range(256))
_CHAR_TO_INDEX = bytes(_CHARS.find(chr(byte)) % 256 for byte in range(256))
# The character of index (i + j) % 62 for each byte i + j < 124, as Django's _mask_cipher_secret adds them.
_SUM_TO_CHAR = bytes(ord(_CHARS[total % len(_CHARS)]) if total < 2 * len(_CHARS) else 0 for total in range(256))


def _random_indexes(length):
    """`length` indexes into CSRF_ALLOWED_CHARS (a bytes object) drawn from os.urandom, uniformly."""
    indexes = b""
    while len(indexes) < length:
        indexes += os.urandom(length + 8).translate(_BYTE_TO_INDEX, _SKIPPED)
    return indexes[:length]


def random_chars(length):
    """`length` characters of CSRF_ALLOWED_CHARS drawn from os.urandom, uniformly."""
    return _random_indexes(length).translate(_INDEX_TO_CHAR).decode("ascii")


def bound_secret(school_name):
    random_part = random_chars(HALF)
    return random_part + _mac(school_name, random_part)


def _held_by_browser(request, secret):
    """Did the request bring this very secret, bound to this school, in its cookie?"""
    if settings.CSRF_USE_SESSIONS:
        return False
    sent = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    return sent == secret and (request.META.get(COOKIE_BOUND) == sent or is_bound(sent, _school_name(request)))


def masked_token(request):
    """django.middleware.csrf.get_token(): the request's secret under a new mask.

    get_token() also sends the cookie again on every page with a form, only
    to renew its expiry (CSRF_COOKIE_AGE, a year). When the browser sent this
    very secret, bound to this school, it is not sent again: a Set-Cookie was
    a tenth of a signed-in table's time. A new or replaced secret is sent.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:  # no CSRF middleware ran
        return get_token(request)
    secret = str(secret)
    request.META[TOKEN_USED] = True
    if not _held_by_browser(request, secret):
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_indexes(CSRF_SECRET_LENGTH)
    # The 32 sums (mask + secret, index by index) in one addition of two 32-byte integers: each index is
    # below 62, so no byte's sum (< 124) carries into the next. No loop per character.
    sums = int.from_bytes(mask, "big") + int.from_bytes(secret.encode("ascii").translate(_CHAR_TO_INDEX), "big")
    cipher = sums.to_bytes(CSRF_SECRET_LENGTH, "big").translate(_SUM_TO_CHAR)
    return (mask.translate(_INDEX_TO_CHAR) + cipher).decode("ascii")


# Made once: lazy() builds a proxy class at each call.
_lazy_masked_token = lazy(masked_token, str)


def jinja_csrf_token(request):
    """`csrf_token` for Jinja2 templates, replacing the backend's (get_token) with masked_token."""
    return {"csrf_token": _lazy_masked_token(request)}


def is_bound(secret, school_name):
    secret = str(secret or "")
    return len(secret) == 2 * HALF and constant_time_compare(secret[HALF:], _mac(school_name, secret[:HALF]))


def refuse_with_new_secret(request):
    """A new, bound secret goes out with the refusal: the next form works."""
    request.META["CSRF_COOKIE"] = bound_secret(_school_name(request))
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    logger.warning("CSRF secret of another school refused")


class SchoolCsrfViewMiddleware(CsrfViewMiddleware):
    def process_request(self, request):
        cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
        if request.method in SAFE_METHODS and cookie is not None:
            if is_bound(cookie, _school_name(request)):
                request.META[COOKIE_BOUND] = cookie  # masked_token() need not check it again
            else:
                # Another school's cookie (in path mode, the platform host's root one reaches every
                # school's path) is not read at all, here nor by csrf_protect views: the form about
                # to be shown gets a secret of this school's, and its cookie.
                request.COOKIES = {name: value for name, value in request.COOKIES.items()
                                   if name != settings.CSRF_COOKIE_NAME}
        super().process_request(request)
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # a malformed cookie: Django made a secret of its own
            request.META["CSRF_COOKIE"] = bound_secret(_school_name(request))
        elif "CSRF_COOKIE" not in request.META:
            request.META["CSRF_COOKIE"] = SimpleLazyObject(partial(bound_secret, _school_name(request)))
        # What this request's forms get their tokens from, unless something rotates it.
        request.csrf_secret_given = request.META["CSRF_COOKIE"]

    def _check_token(self, request):
        super()._check_token(request)
        if not is_bound(self._get_secret(request), _school_name(request)):
            refuse_with_new_secret(request)
            raise RejectRequest(REASON_OTHER_SCHOOL)

    def process_response(self, request, response):
        secret, given = request.META.get("CSRF_COOKIE"), getattr(request, "csrf_secret_given", None)
        if secret is not given and secret is not None and secret != given:
            # Made by Django (rotate_token() at sign-in), not by us: bound, and its
            # cookie sent again (a csrf_protect view may have sent Django's already).
            request.META["CSRF_COOKIE"] = bound_secret(_school_name(request))
            request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
        if request.META.get(TOKEN_USED):
            patch_vary_headers(response, ("Cookie",))  # the page holds a token of the cookie's secret
        return super().process_response(request, response)

