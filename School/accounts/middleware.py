"""Who the request's user is, which device verified the session, and what an unverified one may reach.

AuthenticationMiddleware is Django's, its user kept with the session
(School/accounts/kept_sign_ins.py). OTPMiddleware is django-otp's with a
look-up of the session's device that also takes MongoDB's ObjectIds, kept
with the session too. SecondFactorMiddleware: where a second factor
is required, a session signed in without one reaches only /accounts/.

Such a session exists for a user who must still set a second factor up (the
sign-in lets them in for that), or one made before the requirement. The API
answers 403; pages redirect to the set-up, or to the code step.
"""

from functools import partial
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

from School.accounts import kept_sign_ins, second_factor
from School.security.access import may_see_students

# The branding's logo and colours: the sign-in pages show them too.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/branding/logo/", "/branding/style/")


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    def process_request(self, request):
        super().process_request(request)  # request.auser stays Django's
        request.user = SimpleLazyObject(partial(kept_sign_ins.signed_in_user, request))


class OTPMiddleware(DjangoOTPMiddleware):
    def _install_lazy_accessors(self, request):
        super()._install_lazy_accessors(request)
        if getattr(request, "user", None) is not None:
            # django-otp wraps the authentication middleware's lazy user in a
            # second one: every attribute of request.user went through two
            # proxies. Here one, around the user itself (the same object).
            request.user = SimpleLazyObject(partial(self._verified_user, request))

    def _verified_user(self, request):
        return self._verify_user_sync(request, kept_sign_ins.signed_in_user(request))

    def _verify_user_sync(self, request, user):
        # django-otp's, the device read with the kept session.
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = kept_sign_ins.device(request, persistent_id, self._device_from_persistent_id) if persistent_id else None
            user.otp_device = self._finalize_device(request, user, device)
        return user

    def _device_from_persistent_id(self, persistent_id):
        return second_factor.device_from_persistent_id(persistent_id)

    async def _adevice_from_persistent_id(self, persistent_id):
        return await sync_to_async(second_factor.device_from_persistent_id)(persistent_id)


def resolved(user):
    """The object a lazy `request.user` already read stands for (the lazy object itself if not read yet)."""
    wrapped = getattr(user, "_wrapped", user)
    return user if wrapped is empty else wrapped


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request) if settings.SECOND_FACTOR_REQUIRED else None
        return refusal or self.get_response(request)

    def refusal(self, request):
        if request.path_info.startswith(OPEN_PREFIXES):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            # Read now: the view and the templates get the user itself. Each of
            # their attribute reads went through the lazy object's Python proxy
            # (about twenty on a signed-in staff member's student table).
            request.user = resolved(user)
            return None
        has_device = second_factor.has_device(user)
        if not has_device and not may_see_students(user):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": _("Sign in with your second factor first.")}, status=403)
        target = "sign-in-code" if has_device else "two-factor"
        return redirect(f"{redirect(target).url}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")
