"""A rate limit shared by the processes that share Django's cache.

    if not allow("password-reset-address", f"{school}:{email}", 3, 3600): ...

Fixed windows: the window's number is part of the key, so a key lives one
window and nothing needs cleaning up.
"""

import time

from django.core.cache import cache


def allow(scope: str, key: str, limit: int, period_seconds: int) -> bool:
    """Count one hit of `key` in `scope`; False when it is over `limit` in this window."""
    window = int(time.time() // period_seconds)
    cache_key = f"limits:{scope}:{window}:{key}"
    if cache.add(cache_key, 1, timeout=period_seconds):
        return limit >= 1
    try:
        return cache.incr(cache_key) <= limit
    except ValueError:  # expired between add and incr: this hit starts a new count
        cache.add(cache_key, 1, timeout=period_seconds)
        return limit >= 1
