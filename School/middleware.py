"""Where the school is chosen for each request.

The Host header is looked up in the cached registry; an unknown or malformed
host is refused before any school's database is touched, and never falls back
to `default`; a suspended school's hosts answer 503. For a known host the school is active for everything below this
middleware (sessions, users, views, the admin log), with its language and
time zone, and deactivated in `finally`, even when the view raises.
"""

import logging
from contextlib import contextmanager

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.template.response import TemplateResponse

from School.context import activate, deactivate
from School.locale.activation import school_locale
from School.utils import hostname_from_the_request, registry, school_for_host

logger = logging.getLogger(__name__)


def refusal(request, hostname, school):
    """The response for a request no school can serve now, or None."""
    if school is not None and not school.suspended:
        return None
    if school is not None:
        logger.info("refused a request: school suspended", extra={"school": school.name})
        response = TemplateResponse(request, "School/unavailable.html", {"school": school}, status=503)
        response["Retry-After"] = "300"
        with school_locale(school):  # the school's own people read this page
            return response.render()
    elif not hostname:
        logger.info("refused a request with a missing or malformed Host header")
        response = TemplateResponse(request, "School/bad_host.html", status=400)
    else:
        logger.info("refused a request for unknown host %r", hostname[:255])
        response = TemplateResponse(request, "School/unknown_host.html", {"host": hostname}, status=404)
    return response.render()


@contextmanager
def serving(request, school):
    """`school` is the request's school, and the active one (with its language and time zone),
    until the response is made."""
    request.school = school
    token = activate(school)
    try:
        with school_locale(school):
            yield
    finally:
        deactivate(token)


class SyncAndAsyncMiddleware:
    """A middleware that runs sync under WSGI and async under ASGI (no thread hop for async views)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class SchoolMiddleware(SyncAndAsyncMiddleware):

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        hostname = hostname_from_the_request(request)
        school = school_for_host(hostname)
        refused = refusal(request, hostname, school)
        if refused is not None:
            return refused
        with serving(request, school):
            return self.get_response(request)

    async def __acall__(self, request):
        hostname = hostname_from_the_request(request)
        if registry.answers_from_cache(hostname):
            school = school_for_host(hostname)
        else:
            # Resolving a host or reading the change log queries the database: not on the loop.
            school = await sync_to_async(school_for_host)(hostname)
        refused = refusal(request, hostname, school)
        if refused is not None:
            return refused
        with serving(request, school):
            return await self.get_response(request)
