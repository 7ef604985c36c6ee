"""Counters that hold across every worker and process of one deployment.

`allow(scope, key, limit, period_seconds)` counts one hit in the current fixed
window and says whether the caller is still within its limit. The count lives
in Django's `default` cache, which must be shared by all processes for a limit
to be a limit (settings: CACHE_URL; the embedded default is the file cache of
School/security/shared_cache.py, whose add and incr are atomic across
processes; Redis's are atomic by nature).

Keys are namespaced by scope, carry the window's number (so a window's count
expires with it and needs no reset), and hash the caller's key, so that any
text (an address, a token digest, an e-mail) makes a valid, bounded cache key.
"""

import hashlib
import re
import time

from django.core.cache import cache

_SCOPE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")

# Tests replace it to step through windows without sleeping.
clock = time.time


def _window(period_seconds):
    return int(clock() // period_seconds)


def window_remaining(period_seconds: int) -> float:
    """Seconds until the current window of `period_seconds` ends (a Retry-After)."""
    return period_seconds - clock() % period_seconds


def allow(scope: str, key: str, limit: int, period_seconds: int) -> bool:
    """Count one hit for (scope, key) in the current window; False once the count is over `limit`."""
    if not _SCOPE.match(scope):
        raise ValueError(f"bad limit scope {scope!r}")
    if period_seconds <= 0:
        raise ValueError("period_seconds must be positive")
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    cache_key = f"limit:{scope}:{digest}:{period_seconds}:{_window(period_seconds)}"
    # The key outlives its window by a little, never by a whole window.
    timeout = int(window_remaining(period_seconds)) + 2
    for _ in range(3):
        try:
            return cache.incr(cache_key) <= limit
        except ValueError:
            # The window's first hit (or its count expired or was culled):
            # start it. Of processes racing here one adds; all then count.
            cache.add(cache_key, 0, timeout)
    return False
