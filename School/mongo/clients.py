"""One MongoClient per cluster, shared by every school's alias on it.

django-mongodb-backend keeps one MongoClient (a pool plus monitor threads)
per database alias: 300 schools on one replica set would mean 300 pools in
every worker. A school only needs its own database *name*; the client is a
property of the cluster. Clients here are keyed by everything that makes a
connection different (hosts, credentials, options), never by database name.
"""

import logging
import os
import threading

from pymongo import MongoClient

logger = logging.getLogger(__name__)


def cluster_key(conn_params):
    """What distinguishes one client from another (the database name does not)."""
    return tuple(sorted((key, repr(value)) for key, value in conn_params.items()))


class SharedClients:
    def __init__(self, client_factory=MongoClient):
        self._factory = client_factory
        self._lock = threading.Lock()
        self._clients = {}  # cluster key -> [client, users]

    def acquire(self, conn_params, **client_options):
        key = cluster_key(conn_params)
        with self._lock:
            entry = self._clients.get(key)
            if entry is None:
                # connect=False: no threads or sockets until the first
                # operation, so idle schools cost nothing.
                client = self._factory(**conn_params, **client_options, connect=False)
                entry = self._clients[key] = [client, 0]
            entry[1] += 1
            return entry[0]

    def release(self, client):
        """Forget one user of `client`; the last one closes it."""
        with self._lock:
            for key, entry in list(self._clients.items()):
                if entry[0] is client:
                    entry[1] -= 1
                    if entry[1] <= 0:
                        del self._clients[key]
                        client.close()
                    return

    def clients(self):
        with self._lock:
            return [entry[0] for entry in self._clients.values()]

    def forget_after_fork(self):
        # A forked worker must not use its parent's sockets; dropping the
        # references (without closing the parent's connections) makes it open
        # its own on first use.
        self._lock = threading.Lock()
        self._clients = {}

    def close_all(self):
        with self._lock:
            clients, self._clients = [entry[0] for entry in self._clients.values()], {}
        for client in clients:
            client.close()


shared_clients = SharedClients()
os.register_at_fork(after_in_child=shared_clients.forget_after_fork)
