"""Caddy's on-demand TLS `ask` endpoint: may a certificate be issued for `?domain=`?

Caddy asks before it requests a certificate for a name it has never seen. The
request arrives with the Host of the ask URL (127.0.0.1), which may be a
school's host: so this is answered before any school is resolved, on every
host, and judges only `domain`: 200 for a host of a registered, unsuspended
school, 404 otherwise. Nothing else about the school is told.
"""

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.utils.deprecation import MiddlewareMixin

from School.utils import school_for_host

ASK_PATH = "/_platform/tls-ask"


def may_issue_certificate(domain):
    hostname = domain.strip().lower().rstrip(".")
    if not hostname or len(hostname) > 253:
        return False
    school = school_for_host(hostname)
    return school is not None and not school.suspended


class TlsAskMiddleware(MiddlewareMixin):
    def process_request(self, request):
        if request.path != ASK_PATH:
            return None
        domain = request.GET.get("domain")
        if domain is None:
            return HttpResponseBadRequest("domain is required\n", content_type="text/plain")
        if may_issue_certificate(domain):
            return HttpResponse("ok\n", content_type="text/plain")
        return HttpResponseNotFound("no school is served at this host\n", content_type="text/plain")
