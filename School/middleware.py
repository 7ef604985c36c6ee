"""Where the school is chosen for each request.

The Host header is looked up in the cached registry; an unknown or malformed
host is refused before any school's database is touched, and never falls back
to `default`; a suspended school's hosts answer 503. For a known host the school is active for everything below this
middleware (sessions, users, views, the admin log), with its language and
time zone, and deactivated in `finally`, even when the view raises.

Path mode (SCHOOL_PATH_PREFIX "/s/"): on the `default` school's hosts,
/s/<name>/... is the school `name`, as if its own host had been asked for
"/...". The /s/<name> part becomes the request's script name, so reverse()
and every link carry it; the cookies set are scoped to that path, and of the
cookies a browser sends, the most specific path's win (RFC 6265 sends them
first): a session of /s/nairobi/ is never sent to /s/accra/, and one of the
host's root never shadows the school's. An unknown name is the 404 page,
looked up in the registry only (a name no school can have, not even there).
"""

import logging
from contextlib import contextmanager
from http import cookies as http_cookies

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpResponsePermanentRedirect
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, set_script_prefix

from School.context import activate, deactivate
from School.locale.activation import school_locale
from School.utils import (
    DEFAULT_SCHOOL, hostname_from_the_request, path_prefix, registry, school_for_host, school_named_in_path, school_path,
)

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


def serves_paths(school):
    """Path mode is served on the platform's own hosts: those of the `default` school."""
    return school is not None and school.name == DEFAULT_SCHOOL and bool(path_prefix())


def at_path(request, hostname, asked, school):
    """The response for a path that names no school (404), or its name without the final slash (301); else None."""
    if school is None:
        return refusal(request, f"{hostname}{path_prefix()}{asked.name}", None)
    if asked.rest is None:
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{request.path}/" + (f"?{query}" if query else ""))
    return refusal(request, hostname, school)


def most_specific_cookies(header):
    """The cookies of a Cookie header, the first of each name kept: browsers send the longest path first."""
    found = {}
    for chunk in header.split(";"):
        key, _equals, value = chunk.partition("=") if "=" in chunk else ("", "", chunk)
        key, value = key.strip(), value.strip()
        if key or value:
            found.setdefault(key, http_cookies._unquote(value))
    return found


@contextmanager
def under_path(request, asked):
    """Serve `asked.rest` with /s/<name> as the script name: reverse() and redirects carry it, cookies stay under it."""
    script_name = request.META.get("SCRIPT_NAME", "").rstrip("/") + path_prefix() + asked.name
    request.path_info = asked.rest
    request.META["SCRIPT_NAME"] = script_name  # the admin's "view site" link reads it
    request.school_path = f"{script_name}/"
    request.COOKIES = most_specific_cookies(request.META.get("HTTP_COOKIE", ""))
    previous = get_script_prefix()
    set_script_prefix(request.school_path)
    try:
        yield
    finally:
        set_script_prefix(previous)


def scoped_to_path(response, path):
    """Every cookie set for the whole host is set for the school's path instead (deletions too)."""
    for morsel in response.cookies.values():
        if morsel["path"] in ("", "/"):
            morsel["path"] = path
    return response


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
        asked = school_path(request.path_info) if serves_paths(school) else None
        if asked is not None:
            school = school_named_in_path(asked.name)
            refused = at_path(request, hostname, asked, school)
            if refused is not None:
                return refused
            with under_path(request, asked), serving(request, school):
                return scoped_to_path(self.get_response(request), request.school_path)
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
        asked = school_path(request.path_info) if serves_paths(school) else None
        if asked is not None:
            school = await sync_to_async(school_named_in_path)(asked.name)
            refused = at_path(request, hostname, asked, school)
            if refused is not None:
                return refused
            with under_path(request, asked), serving(request, school):
                return scoped_to_path(await self.get_response(request), request.school_path)
        refused = refusal(request, hostname, school)
        if refused is not None:
            return refused
        with serving(request, school):
            return await self.get_response(request)
