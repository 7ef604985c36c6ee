"""Messages of one school: its display name in them, its host in their links.

A message is handed to the mail server only after the transaction that
made its reason (an invitation, ...) commits, so nobody gets a link to a row
that was rolled back. The outcome is returned to the caller (the page says
whether it went out) and never undoes what was committed: an invitation
whose message failed stays, and can be sent again.
"""

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from School.branding.looks import look_of
from School.branding.mail import html_part
from School.context import current_alias, current_school
from School.locale.activation import language_of
from School.utils import hostname_from_the_request

logger = logging.getLogger(__name__)

# What a mail server that is down, refuses us or does not answer raises.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


@dataclass
class Outcome:
    """Filled in once the message was handed over (after the commit)."""

    sent: bool = False
    error: str = ""


def school_name():
    school = current_school()
    return school.display_name if school is not None else _("School records")


def link_host(request=None):
    """The host (and LINK_PORT) of links to the school: never what the request's Host header says beyond its name.

    The host the request came to when it is one of the school's (a link asked
    for at nairobi.localhost opens there), else the school's first host; the
    port is the platform's, never the header's (`Host: nairobi.localhost:4444`
    must not send people to a port someone else chose).
    """
    school = current_school()
    hosts = school.hosts if school is not None else ()
    asked = hostname_from_the_request(request) if request is not None else ""
    if asked and getattr(request, "school_path", None):
        # Path mode: the platform's host the school was asked at (School/middleware.py
        # served it only because it is registered); the path carries the school.
        hosts = (asked,)
    host = asked if asked in hosts else (hosts[0] if hosts else "localhost")
    return f"{host}:{settings.LINK_PORT}" if settings.LINK_PORT else host


def link(path, request=None):
    """An absolute link to `path` at the school, with the platform's scheme and port (LINK_SCHEME, LINK_PORT)."""
    return f"{settings.LINK_SCHEME}://{link_host(request)}{path}"


def build_message(template, context, to):
    """A plain-text message from `accounts/<template>_subject.txt` and `_body.txt`, in the school's language.

    Not the language of whoever caused it: an admin who reads English, or a
    command (which runs in English), still writes to the school's people in
    the school's language.
    """
    with translation.override(language_of(current_school())):
        context = {"school_name": school_name(), **context}
        subject = " ".join(render_to_string(f"accounts/mail/{template}_subject.txt", context).split())
        body = render_to_string(f"accounts/mail/{template}_body.txt", context)
        html = html_part(look_of(current_school()), context["school_name"], body, lambda path: link(path, context.get("request")))
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def deliver(message, outcome, connection=None):
    try:
        message.connection = connection or get_connection()
        message.send()
    except MAIL_ERRORS as error:
        outcome.error = str(error) or error.__class__.__name__
        logger.warning("mail to %s not sent: %s", ", ".join(message.to), outcome.error)
    else:
        outcome.sent = True
        logger.info("mail sent to %s: %s", ", ".join(message.to), message.subject)


def send_after_commit(message, on_done=None, using=None):
    """Send `message` once the school's current transaction commits (at once outside one)."""
    outcome = Outcome()

    def send():
        deliver(message, outcome)
        if on_done is not None:
            on_done(outcome)

    transaction.on_commit(send, using=using or current_alias())
    return outcome


def mail_server_answers():
    """Open (and close) a connection: can mail be sent at all right now?"""
    connection = get_connection()
    try:
        connection.open()
    except MAIL_ERRORS as error:
        logger.warning("mail server unreachable: %s", error)
        return None
    return connection
