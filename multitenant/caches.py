"""Django's CACHES from one variable, CACHE_URL.

The cache holds what must add up across every worker and process of a
deployment (rate limits: School/security/limits.py), so its backend must be
shared by them all:

  (unset)                  <data dir>/cache, a file cache with atomic counters
                           (School/security/shared_cache.py): no server needed
  file:///path/to/dir      the same, in another directory (all workers must see it)
  redis://host:6379/0      Redis (rediss:// for TLS): large deployments,
                           several machines
  locmem://                per process: one-process development only; a limit
                           is then multiplied by the number of workers
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Counters of live windows must not be culled: room for every token and address of a busy day.
MAX_ENTRIES = 200_000


def cache_config(url, data_dir):
    scheme = urlsplit(url).scheme if url else "file"
    if not url:
        location = str(data_dir / "cache")
    elif scheme == "file":
        location = urlsplit(url).path
        if not location:
            raise ImproperlyConfigured(f"CACHE_URL {url!r} names no directory")
    if scheme == "file":
        return {
            "BACKEND": "School.security.shared_cache.LockedFileCache",
            "LOCATION": location,
            "OPTIONS": {"MAX_ENTRIES": MAX_ENTRIES},
        }
    if scheme in {"redis", "rediss", "unix"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL {url!r}: unknown scheme; use file:///dir, redis://host:port/db or locmem://"
    )
