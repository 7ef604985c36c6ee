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
"""

import logging
from functools import partial

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CsrfViewMiddleware, RejectRequest
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.functional import SimpleLazyObject

logger = logging.getLogger(__name__)

HALF = 16
SALT = "School.security.csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REASON_OTHER_SCHOOL = "CSRF cookie of another school (or from before school-bound cookies)."


def _school_name(request):
    school = getattr(request, "school", None)
    return school.name if school is not None else ""


def _mac(school_name, random_part):
    return salted_hmac(SALT, f"{school_name}:{random_part}", algorithm="sha256").hexdigest()[:HALF]


def bound_secret(school_name):
    random_part = get_random_string(HALF, CSRF_ALLOWED_CHARS)
    return random_part + _mac(school_name, random_part)


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
        if request.method in SAFE_METHODS and cookie is not None and not is_bound(cookie, _school_name(request)):
            # Another school's cookie (in path mode, the platform host's root one reaches every
            # school's path) is not read at all, here nor by csrf_protect views: the form about
            # to be shown gets a secret of this school's, and its cookie.
            request.COOKIES = {name: value for name, value in request.COOKIES.items() if name != settings.CSRF_COOKIE_NAME}
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
        return super().process_response(request, response)

