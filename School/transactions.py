"""All-or-nothing writes on either engine.

Django's transaction.atomic() does nothing on MongoDB; multi-document
atomicity there needs the backend's own atomic() and a replica set or sharded
cluster. On a standalone MongoDB server there are no transactions at all:
callers that must not leave half-done work also undo it themselves (see
School.operations.provisioning.add_school).
"""

import logging
from contextlib import nullcontext

from django.db import connections, transaction

logger = logging.getLogger(__name__)


def atomic(using):
    connection = connections[using]
    if connection.vendor != "mongodb":
        return transaction.atomic(using=using)
    if connection.features._supports_transactions:
        from django_mongodb_backend import transaction as mongodb_transaction

        return mongodb_transaction.atomic(using=using)
    logger.warning("MongoDB server is standalone: writes to %s are not transactional", using)
    return nullcontext()
