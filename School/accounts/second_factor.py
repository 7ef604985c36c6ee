"""The second factor: TOTP apps (django-otp's TOTPDevice) and recovery codes (its StaticDevice).

Who needs it: with SECOND_FACTOR_REQUIRED (on in production), everyone who
may see student data; anywhere, everyone who has set one up. Codes are
checked with django-otp's TOTP (a code is accepted once: a replay of the last
code is refused); failures are reported to django-axes as failed sign-ins, so codes
and passwords share one lock-out per user name and address.

The clock of the check is django-otp's (`time.time()` in its TOTP module);
tests freeze it there.
"""

import base64
import logging
from urllib.parse import quote, urlencode

import segno
from django.apps import apps
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp import models as totp_models
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from School.compiled import NO_STATEMENT, instance_by
from School.context import current_alias
from School.security.access import may_see_students

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"
APP_DEVICE = "authenticator app"


def has_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user):
    """Must `user` give a code to sign in (at the pages, the admin and POST /api/tokens/)?"""
    return (settings.SECOND_FACTOR_REQUIRED and may_see_students(user)) or has_device(user)


def clean_code(code):
    return "".join(str(code or "").split()).lower()[:32]


def matching_device(user, code):
    """The device of `user` that accepts `code` (and uses it up), or None.

    django-otp's models and TOTP arithmetic, with the use recorded by a
    conditional write: of two requests racing with the same code, exactly one
    wins, on SQLite and on MongoDB alike (django-otp's own verify_token reads,
    then saves, and relies on select_for_update, which neither gives us).
    """
    code = clean_code(code)
    # An app's code is six digits; a recovery code is eight letters and digits.
    if len(code) == 6 and code.isdigit():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if _use_app_code(device, int(code)):
                return device
        return None
    if not code:
        return None
    token = StaticToken.objects.filter(device__user=user, device__confirmed=True, token=code).select_related("device").first()
    if token is not None and StaticToken.objects.filter(pk=token.pk).delete()[0] == 1:
        return token.device
    return None


def _use_app_code(device, code):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = now()
    if not totp.verify(code, device.tolerance, device.last_t + 1):
        return False
    step = totp.t()
    used = TOTPDevice.objects.filter(pk=device.pk, last_t__lt=step).update(last_t=step, last_used_at=timezone.now())
    return used == 1


def report_failure(request, user):
    """A wrong code counts as a failed sign-in of that user name (django-axes)."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    logger.info("wrong second-factor code for %s", user.get_username())


def locked_out(request):
    return bool(getattr(request, "axes_locked_out", False))


# --- enrolment -------------------------------------------------------------------


def new_key():
    return random_hex(20)


def now():
    """django-otp's clock (frozen by the tests there)."""
    return totp_models.time.time()


def code_matches_key(key, code):
    """Does `code` fit a key that is not a device yet (enrolment)? (matches, time step)."""
    code = clean_code(code)
    if not code.isdigit():
        return False, None
    totp = TOTP(bytes.fromhex(key), 30, 0, 6, 0)
    totp.time = now()
    return totp.verify(int(code), tolerance=1), totp.t()


def otpauth_url(key, username, issuer):
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    label = quote(f"{issuer}:{username}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer, "digits": 6, "period": 30})


def qr_data_uri(url):
    """The QR code as an inline SVG data: URI (our CSP allows data: images, nothing remote)."""
    return segno.make(url, error="m").svg_data_uri(scale=5, border=2)


def readable_key(key):
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrol(user, key, time_step):
    """Make the app's device (already proven by a code) and fresh recovery codes; returns the codes."""
    using = current_alias()
    with transaction.atomic(using=using):
        remove_devices(user)
        TOTPDevice.objects.create(user=user, name=APP_DEVICE, key=key, confirmed=True, last_t=time_step)
        codes = new_recovery_codes(user)
    return codes


def new_recovery_codes(user):
    """Replace the user's recovery codes by RECOVERY_CODES new ones (each works once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user).count()


def remove_devices(user):
    """Forget every second factor of `user` (returns how many devices)."""
    static = StaticDevice.objects.filter(user=user)
    StaticToken.objects.filter(device__in=list(static)).delete()
    removed, _ = static.delete()
    totp_removed, _ = TOTPDevice.objects.filter(user=user).delete()
    return removed + totp_removed


def app_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _device_address(persistent_id):
    """(device model, id) of a session's device ("otp_totp.totpdevice/<id>"), or None for a malformed one.

    django-otp's own look-up turns the id into an int, which an ObjectId
    (MongoDB) is not: every session would lose its second factor there.
    """
    label, _, device_id = str(persistent_id).rpartition("/")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    if not issubclass(model, Device) or not device_id:
        return None
    return model, device_id


def device_query(persistent_id):
    """The look-up of a session's device, or None for a malformed id."""
    address = _device_address(persistent_id)
    if address is None:
        return None
    model, device_id = address
    # No ORDER BY: the id is unique.
    return model.objects.filter(pk=device_id)[:1]


def device_from_persistent_id(persistent_id):
    """The session's device, read on every request of a verified session (School.compiled on SQL databases)."""
    try:
        address = _device_address(persistent_id)
        if address is None:
            return None
        model, device_id = address
        device = instance_by(router.db_for_read(model), model, model._meta.pk.name, device_id)
        if device is NO_STATEMENT:
            device = next(iter(device_query(persistent_id)), None)
        return device
    except (ValueError, TypeError, ValidationError):  # an id of the wrong kind for this engine
        return None
