"""API rate limit per token (or user, or address), per school.

The count is kept by School/security/limits.py in the cache every worker
shares, so a token gets its limit, not workers × limit. The key names the
school, or Nairobi's token 12 would share Accra's token 12's allowance. The
rate is read from settings at each request (API_RATE_LIMIT, e.g. "600/min"),
so an operator or a test can change it without a restart.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from School.context import current_alias
from School.security import limits
from School.security.lockout import client_ip
from School.security.models import ApiToken


class SchoolTokenThrottle(SimpleRateThrottle):
    scope = "school_token"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            who = f"token-{request.auth.digest[:32]}"
        elif request.user and request.user.is_authenticated:
            who = f"user-{request.user.pk}"
        else:
            who = f"address-{client_ip(request)}"
        return f"{current_alias()}:{who}"

    def allow_request(self, request, view):
        # The rate is parsed again here: settings may have changed since __init__.
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        if self.num_requests is None:
            return True
        key = self.get_cache_key(request, view)
        return limits.allow("api", key, self.num_requests, self.duration)

    def wait(self):
        return limits.window_remaining(self.duration)
