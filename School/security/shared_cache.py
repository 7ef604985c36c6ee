"""A file-based cache whose `add` and `incr` are atomic across processes.

Django's FileBasedCache implements both as a read then a write: two gunicorn
workers counting the same hit both read 5 and both write 6. Here they run
under one exclusive lock on the cache directory (a `.lock` file, flock), so
that counters shared through the cache (School/security/limits.py) add up.
It needs no server, which suits the embedded default; large deployments set
CACHE_URL to Redis instead (README, "Configuration").

Culling removes expired entries first (a counter of a past window is never
read again), and live ones only if the cache is still full.
"""

import contextlib
import os
import pickle
import time
import zlib

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks


class LockedFileCache(FileBasedCache):
    @contextlib.contextmanager
    def _locked(self):
        self._createdir()
        with open(os.path.join(self._dir, ".lock"), "a+b") as lock:
            locks.lock(lock, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        """Add `delta` in place, keeping the entry's expiry (Django's incr resets it to the default timeout).

        In place, as Django's own touch() writes, under the lock: a rename
        per hit cost more than all the rest of a count.
        """
        fname = self._key_to_file(key, version)
        with self._locked():
            try:
                with open(fname, "r+b") as f:
                    try:
                        expiry = pickle.load(f)
                        value = pickle.loads(zlib.decompress(f.read()))
                    except (EOFError, pickle.UnpicklingError, zlib.error):
                        expiry = 0  # an empty or torn file: as good as expired
                    if expiry is not None and expiry < time.time():
                        raise FileNotFoundError
                    value += delta
                    f.seek(0)
                    f.write(pickle.dumps(expiry, self.pickle_protocol))
                    f.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
                    f.truncate()
                    return value
            except FileNotFoundError:
                self._delete(fname)
                raise ValueError(f"Key '{key}' not found") from None

    def _cull(self):
        filelist = self._list_cache_files()
        if len(filelist) < self._max_entries:
            return
        for fname in filelist:
            try:
                with open(fname, "rb") as f:
                    self._is_expired(f)  # removes the file when expired
            except FileNotFoundError:
                pass
        super()._cull()
