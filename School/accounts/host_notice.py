"""A school's host names changed: recorded in its audit trail and told to its administrators.

A host moved to another school would take that school's sign-in page with
it (people typing their passwords into someone else's copy); the school's
own administrators are the ones who notice, so they are told at once, in
the school's language, whoever made the change and wherever.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.db.models import Q

from School.accounts import mail
from School.accounts.groups import SCHOOL_ADMINS
from School.context import tenant_context
from School.security import audit

logger = logging.getLogger(__name__)


def administrators():
    """The active school's active superusers and School admins who have an address."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return users.filter(Q(is_superuser=True) | Q(groups__name=SCHOOL_ADMINS)).distinct()


def announce(name, added, removed, request=None, actor=""):
    """Record and mail a change of school `name`'s hosts (sent after the registry's transaction commits).

    False when the school's database could not take the record (logged)."""
    added, removed = sorted(added), sorted(removed)
    if not (added or removed):
        return True
    actor = actor or (request.user.get_username() if request is not None else "operator")
    target = " ".join([*(f"+{host}" for host in added), *(f"-{host}" for host in removed)])
    logger.warning("hosts changed by %s: %s", actor, target, extra={"school": name})
    try:
        with tenant_context(name):
            audit.record(request, audit.HOSTS_CHANGED, target=target, username=actor)
            context = {"actor": actor, "added": ", ".join(added), "removed": ", ".join(removed)}
            for email in administrators().values_list("email", flat=True):
                message = mail.build_message("hosts_changed", context, email)
                mail.send_after_commit(message, using=DEFAULT_DB_ALIAS)
    except DatabaseError as error:
        # The change is made (it is the registry's): a school whose database
        # cannot be used now must not make it look failed.
        logger.error("hosts changed but not recorded in the school's trail: %s", error, extra={"school": name})
        return False
    return True
