"""Password reset by email, per school and per host.

Django's reset tokens are already single-use (they cover the password hash
and the last sign-in) and expire (PASSWORD_RESET_TIMEOUT). Ours also cover
the school and the host the reset was asked at, so a link opens nowhere else,
even where another school has a user with the same id.

Requests are limited per address and per client (School/security/limits.py)
and the answer is the same whether or not the address has an account.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator

from School.accounts import mail_jobs
from School.context import current_alias
from School.security.limits import allow
from School.security.lockout import client_ip
from School.utils import hostname_from_the_request

HOUR = 3600


class SchoolHostTokenGenerator(PasswordResetTokenGenerator):
    """Reset tokens valid only at one school's one host."""

    def __init__(self, request):
        super().__init__()
        # The host's name, not the Host header's port: links carry the platform's port (mail.link_host).
        self.key_salt = f"{PasswordResetTokenGenerator.key_salt}:{current_alias()}:{hostname_from_the_request(request)}"


def within_limits(request, email):
    """Count this request against its address and its client; False when either is over its limit."""
    school = current_alias()
    by_client = allow("password-reset-client", f"{school}:{client_ip(request)}", settings.PASSWORD_RESET_PER_CLIENT, HOUR)
    by_address = allow("password-reset-address", f"{school}:{email.strip().lower()}", settings.PASSWORD_RESET_PER_ADDRESS, HOUR)
    return by_client and by_address


class SchoolPasswordResetForm(PasswordResetForm):
    """Django's form, its message built with the school's name and handed to the job queue (retried with backoff).

    The page never waits on the mail server; a message that fails after its
    retries shows as failed on the school's Jobs page.
    """

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None):
        fields = ("school_name", "domain", "protocol", "uid", "token")
        plain = {name: str(context[name]) for name in fields if name in context}
        plain["username"] = context["user"].get_username()
        mail_jobs.send_later("password_reset", plain, to_email)
