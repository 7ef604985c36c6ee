"""django-axes glue: who the client is, and what a locked-out client sees.

Axes writes its rows through the database router while the school is active
(its middleware runs after ours), so each school keeps its own lock-outs:
five wrong passwords at Nairobi lock nothing at Accra.
"""

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def client_ip(request):
    """The client's address; behind our proxy, the one it appended to X-Forwarded-For.

    Caddy replaces whatever X-Forwarded-For the client sent (it trusts no
    proxy in front of it), so the last entry is the real peer. Without a
    proxy the header is the client's own invention and is ignored.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:45]
    return request.META.get("REMOTE_ADDR", "")


def locked_out_response(request, *args, **kwargs):
    """429 with Retry-After: a JSON body for the API, a page for people."""
    seconds = max(1, math.ceil(get_cool_off(request).total_seconds()))
    if seconds >= 60:
        minutes = math.ceil(seconds / 60)
        wait = ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    else:
        wait = ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}
    message = _(
        "Too many failed sign-in attempts. Try again in %(wait)s, "
        "or ask your school's administrator to unlock the account."
    ) % {"wait": wait}
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = TemplateResponse(request, "security/locked_out.html", {"message": message}, status=429)
        response.render()
    response["Retry-After"] = str(seconds)
    return response
