"""The language and time zone of a school, made active for what runs as that school."""

import datetime
import functools
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation


def language_of(school):
    return getattr(school, "language", "") or settings.SCHOOL_DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=1024)
def zone(name):
    """The tzinfo of an IANA name (zoneinfo keeps its own cache; this skips its key checks)."""
    return ZoneInfo(name)


def zone_of(school):
    return zone(getattr(school, "time_zone", "") or settings.SCHOOL_DEFAULT_TIME_ZONE)


def date_order_of(school):
    return getattr(school, "date_order", "") or settings.SCHOOL_DEFAULT_DATE_ORDER


@contextmanager
def school_locale(school):
    """`school`'s language and time zone are active inside; what was active before is back after.

    Django keeps both in asgiref Locals (context-local under ASGI, thread-local
    under WSGI): like the school itself they must be reset, even when the
    body raises, or one request's language would leak into the thread's next.
    """
    with translation.override(language_of(school), deactivate=True), timezone.override(zone_of(school)):
        yield


class PlatformLocaleMixin:
    """For DRF views: programs get English and UTC (ISO 8601 with offset +00:00), whatever the school's locale.

    What this activates is undone with the school's locale, by School.middleware.
    """

    def initial(self, request, *args, **kwargs):
        translation.activate(settings.LANGUAGE_CODE)
        timezone.activate(datetime.timezone.utc)
        super().initial(request, *args, **kwargs)
