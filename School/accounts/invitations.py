"""Invitations: made by a school's admin or `invite`, accepted once through their link.

The link carries a random secret; only its SHA-256 digest is stored (as for
API tokens), so a copy of the database opens no invitation. Resending makes
a new secret: the old link stops working.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from School.accounts import mail, mail_jobs
from School.accounts.groups import is_staff_group
from School.accounts.models import Invitation
from School.context import current_alias
from School.security import audit
from School.security.tokens import digest  # links are stored as API keys are: their SHA-256 only

logger = logging.getLogger(__name__)


class InvitationError(ValueError):
    """Something a person typed or clicked that cannot be accepted (the message says what)."""


class UnknownInvitation(InvitationError):
    """No invitation of this school has that link (the others are known, but used up)."""


def live(queryset=None, now=None):
    """Invitations that can still be accepted."""
    queryset = Invitation.objects.all() if queryset is None else queryset
    return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now())


def check_new_address(email):
    """The address must not be a user of this school already."""
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise InvitationError(_("%(email)s already has an account at this school.") % {"email": email})


@mail_jobs.follow_up("invitation")
def _record_sending(outcome, pk):
    """When the message went out, or why it did not (after its last retry when it went through the queue)."""
    fields = {"sent_at": timezone.now(), "send_error": ""} if outcome.sent else {"send_error": outcome.error[:300]}
    Invitation.objects.filter(pk=pk).update(**fields)


def _send(invitation, secret, request):
    """From a page: a job (retried with backoff, its state on the Jobs page). From a command: sent after the commit, in the foreground."""
    accept_url = mail.link(reverse("invitation-accept", args=[secret]), request)
    context = {"accept_url": accept_url, "hours": int(settings.INVITATION_HOURS)}
    if request is not None:
        return mail_jobs.send_later(
            "invitation", context, invitation.email, started_by=request.user.get_username(),
            follow=("invitation", {"pk": str(invitation.pk)}),
        )
    message = mail.build_message("invitation", context, invitation.email)
    return mail.send_after_commit(message, on_done=lambda outcome: _record_sending(outcome, invitation.pk))


def invite(email, group=None, request=None, invited_by=None):
    """(invitation, mail outcome): a new invitation, its message sent after the commit.

    A live invitation to the same address is replaced (its link stops working).
    """
    email = get_user_model().objects.normalize_email(email.strip())
    check_new_address(email)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic(using=current_alias()):
        live(Invitation.objects.filter(email__iexact=email)).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            email=email,
            group=group,
            digest=digest(secret),
            invited_by=invited_by if invited_by is not None else (request.user.get_username() if request else ""),
            expires_at=timezone.now() + timedelta(hours=settings.INVITATION_HOURS),
        )
        audit.record(request, audit.INVITED, target=email, result=group.name if group else "", username=invited_by)
        outcome = _send(invitation, secret, request)
    return invitation, outcome


def resend(invitation, request=None):
    """Send a pending (or expired, unaccepted) invitation again with a new link and a new expiry."""
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationError(_("The invitation to %(email)s was accepted or revoked.") % {"email": invitation.email})
    secret = secrets.token_urlsafe(32)
    with transaction.atomic(using=current_alias()):
        invitation.digest = digest(secret)
        invitation.expires_at = timezone.now() + timedelta(hours=settings.INVITATION_HOURS)
        invitation.save(update_fields=["digest", "expires_at"])
        audit.record(request, audit.INVITED, target=invitation.email, result="resent")
        outcome = _send(invitation, secret, request)
    return outcome


def revoke(queryset, request=None, username=None):
    """Revoke the live invitations of `queryset`; returns how many."""
    count = 0
    for invitation in live(queryset):
        with transaction.atomic(using=current_alias()):
            count += Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
            audit.record(request, audit.INVITATION_REVOKED, target=invitation.email, username=username)
    return count


def withdraw_all(using):
    """Revoke every live invitation of a database (a clone must not let anyone join it)."""
    return live(Invitation.objects.using(using)).update(revoked_at=timezone.now())


def find(secret):
    """The invitation behind a link: InvitationError with the reason when it cannot be used."""
    invitation = Invitation.objects.filter(digest=digest(secret)).first() if 0 < len(secret) <= 100 else None
    if invitation is None:
        raise UnknownInvitation(_("This invitation link is not valid at this school."))
    state = invitation.state()
    if state != "pending":
        reasons = {
            "accepted": _("This invitation was used already. Sign in, or ask for a new invitation."),
            "revoked": _("This invitation was revoked. Ask the school for a new one."),
            "expired": _("This invitation has expired. Ask the school to send it again."),
        }
        raise InvitationError(reasons[state])
    return invitation


def accept(invitation, form, request=None):
    """Make the account from the accepted form, once: a second use of the link changes nothing."""
    using = current_alias()
    with transaction.atomic(using=using):
        taken = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_username=form.cleaned_data["username"]
        )
        if not taken:
            raise InvitationError(_("This invitation was used already. Sign in, or ask for a new invitation."))
        check_new_address(invitation.email)
        user = form.save(commit=False)
        user.email = invitation.email
        user.is_staff = is_staff_group(invitation.group)
        user.save()
        if invitation.group is not None:
            user.groups.add(invitation.group)
        audit.record(request, audit.JOINED, target=invitation.email, username=user.get_username())
    logger.info("%s joined by invitation", user.get_username())
    return user
