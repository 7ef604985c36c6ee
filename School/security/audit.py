"""The audit trail: who exported, imported or read students' records, and when.

One call at each place that hands out student data:

    audit.record(request, audit.EXPORT, target="grade=Form 1", format="csv", rows=120)

Rows live in the school's database. Each row's hash covers its content and
the previous row's hash, so changing or deleting a row in the middle breaks
the chain (`verify_audit` finds where). Pruning removes the oldest rows on
purpose; the first remaining row's stored previous hash is then the anchor.
"""

import hashlib
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from School.compiled import rows_or_orm, update_by_keys
from School.context import current_alias
from School.security.lockout import client_ip
from School.security.models import AuditEvent

logger = logging.getLogger(__name__)

EXPORT = AuditEvent.Action.EXPORT
IMPORT = AuditEvent.Action.IMPORT
DETAIL = AuditEvent.Action.DETAIL
API_READ = AuditEvent.Action.API_READ
INVITED = AuditEvent.Action.INVITED
INVITATION_REVOKED = AuditEvent.Action.INVITATION_REVOKED
JOINED = AuditEvent.Action.JOINED
PASSWORD_RESET = AuditEvent.Action.PASSWORD_RESET
SECOND_FACTOR_ON = AuditEvent.Action.SECOND_FACTOR_ON
SECOND_FACTOR_RESET = AuditEvent.Action.SECOND_FACTOR_RESET
FILE_UPLOAD = AuditEvent.Action.FILE_UPLOAD
FILE_DOWNLOAD = AuditEvent.Action.FILE_DOWNLOAD
FILE_DELETE = AuditEvent.Action.FILE_DELETE
PROMOTION = AuditEvent.Action.PROMOTION
PROMOTION_UNDONE = AuditEvent.Action.PROMOTION_UNDONE
HOSTS_CHANGED = AuditEvent.Action.HOSTS_CHANGED
REGISTER_CORRECTED = AuditEvent.Action.REGISTER_CORRECTED
ENROLLED_ANYWAY = AuditEvent.Action.ENROLLED_ANYWAY
HASHED_FIELDS = ("at", "username", "action", "target", "format", "rows", "file_name", "result", "address")


def event_hash(event, previous_hash):
    content = {name: getattr(event, name) for name in HASHED_FIELDS}
    content["at"] = event.at.isoformat()
    payload = json.dumps([previous_hash, content], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def record(request, action, *, target="", format="", rows=None, file_name="", result="ok", using=None, username=None):
    """Add one event for the request's user (or `username`, e.g. from a command) to the active school's trail."""
    user = getattr(request, "user", None)
    if username is None:
        username = user.get_username() if user is not None and user.is_authenticated else ""
    using = using or current_alias()
    # Milliseconds: what every engine (MongoDB included) stores exactly, so the
    # hash recomputed from the stored row matches.
    now = timezone.now()
    event = AuditEvent(
        at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        username=username,
        action=action,
        target=str(target)[:300],
        format=format,
        rows=rows,
        file_name=str(file_name)[:255],
        result=str(result)[:200],
        address=client_ip(request)[:45] if request is not None else "",
    )
    with transaction.atomic(using=using):
        # Insert first: on SQLite that takes the write lock, so no other event
        # can slip in between this one and the previous one it links to.
        event.save(using=using)
        # By statements compiled once per process (School/compiled.py): every promotion of every school, and every
        # student's page, records an event; the ORM compiled these two again each time, most of an event's cost.
        previous = rows_or_orm(
            using, "audit: the hash before",
            lambda: AuditEvent.objects.using(using).filter(pk__lt=event.pk).order_by("-pk").values_list("hash")[:1],
            [event.pk],
        )
        event.previous_hash = previous[0][0] if previous else ""
        event.hash = event_hash(event, event.previous_hash)
        update_by_keys(using, AuditEvent, [event.pk], {"previous_hash": event.previous_hash, "hash": event.hash})
    logger.info("audit: %s %s by %s", action, target, event.username or "anonymous")
    return event


def broken_links(events):
    """The events (oldest first) whose hash or link does not match: empty if intact."""
    broken, previous_hash = [], None
    for event in events:
        if previous_hash is not None and event.previous_hash != previous_hash:
            broken.append(event)
        elif event.hash != event_hash(event, event.previous_hash):
            broken.append(event)
        previous_hash = event.hash
    return broken


def prune(days=None):
    """Delete the active school's events older than AUDIT_RETENTION_DAYS; returns how many."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


class AuditedReads:
    """A DRF viewset mixin: every list and retrieve is recorded as an API read."""

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = len(response.data.get("results", ())) if isinstance(response.data, dict) else None
        record(request, API_READ, target=request.get_full_path(), format="json", rows=rows)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        record(request, API_READ, target=request.get_full_path(), format="json", rows=1)
        return response
