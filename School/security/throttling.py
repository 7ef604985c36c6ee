"""API rate limit per token (or user, or address), per school.

DRF's throttles keep their counters in Django's cache, which is shared by all
schools of a process: the key names the school, or Nairobi's token 12 would
share Accra's token 12's allowance. The rate is read from settings at each
request (API_RATE_LIMIT, e.g. "600/min"), so an operator or a test can change
it without a restart. Counters are per process (the local-memory cache), so
with W workers a client may get up to W times the rate.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from School.context import current_alias
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
        return f"throttle:{current_alias()}:{who}"
