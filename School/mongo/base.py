"""django-mongodb-backend, with one client per cluster (see clients.py).

Used as ENGINE "School.mongo" when MONGODB_URI is set.
"""

import contextlib
import os

from django.utils.asyncio import async_unsafe
from django_mongodb_backend.base import DatabaseWrapper as MongoDatabaseWrapper

from School.mongo.clients import shared_clients


class DatabaseWrapper(MongoDatabaseWrapper):
    @async_unsafe
    def get_new_connection(self, conn_params):
        return shared_clients.acquire(conn_params, driver=self._driver_info())

    def close_pool(self):
        """Detach this alias from its cluster's client; other schools keep using it."""
        self.run_on_commit = []
        if self.session:
            self._end_session()
        client = self.connection
        if client is None:
            return
        self.connection = None
        with contextlib.suppress(AttributeError):
            del self.database
        shared_clients.release(client)


def _detach_after_fork():
    # Wrappers the parent connected (e.g. a pre-fork server that touched the
    # database while loading) would go on using the parent's client; make
    # them take a fresh one from the child's own SharedClients.
    from django.db import connections

    for wrapper in connections.all(initialized_only=True):
        if isinstance(wrapper, DatabaseWrapper) and wrapper.connection is not None:
            wrapper.connection = None
            with contextlib.suppress(AttributeError):
                del wrapper.database


os.register_at_fork(after_in_child=_detach_after_fork)
