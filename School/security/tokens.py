"""Hashed, expiring API tokens, stored in the school's own database.

The key is shown once, when it is made; the database keeps only its SHA-256
digest, so a copy of the database or a backup hands out no working key. A
digest of a 256-bit random key needs no slow password hash: it cannot be
guessed, only stolen, and the digest is useless to a thief.

django-rest-knox does the same hashing, but its tokens have no name and no
last-used time, and its model would need replacing to add them; this is the
small part of it we need. Requests send `Authorization: Token KEY`, as they
did with DRF's authtoken.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from School.security.models import ApiToken

# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user, name="", days=None):
    """(key, ApiToken): the key is returned here and never again."""
    # Hex, not urlsafe base64: a prefix starting with "-" would read as an
    # option in `api_tokens revoke --prefix ...`.
    key = secrets.token_hex(32)
    days = settings.API_TOKEN_DAYS if days is None else days
    token = ApiToken.objects.create(
        user=user,
        name=name or f"token {timezone.now():%Y-%m-%d %H:%M}",
        prefix=key[:8],
        digest=digest(key),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return key, token


def revoke(tokens):
    """Revoke a queryset of tokens; returns how many were still valid."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_query(key, now):
    """The look-up of every API request: one unique digest, no join ($lookup on MongoDB)."""
    return ApiToken.objects.filter(digest=digest(key), revoked_at__isnull=True, expires_at__gt=now)


def valid_token(key):
    """The ApiToken for `key` if it is neither revoked nor expired, else None."""
    if not key or len(key) > 200:
        return None
    now = timezone.now()
    token = token_query(key, now).first()
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token KEY` against the active school's hashed tokens."""

    def authenticate_credentials(self, key):
        token = valid_token(key)
        if token is None:
            # One message for unknown, expired, revoked and other schools' keys.
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token
