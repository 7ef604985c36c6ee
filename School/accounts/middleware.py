"""Second-factor middleware: which device verified the session, and what an unverified one may reach.

OTPMiddleware is django-otp's with a look-up of the session's device that
also takes MongoDB's ObjectIds. SecondFactorMiddleware: where a second factor
is required, a session signed in without one reaches only /accounts/.

Such a session exists for a user who must still set a second factor up (the
sign-in lets them in for that), or one made before the requirement. The API
answers 403; pages redirect to the set-up, or to the code step.
"""

from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

from School.accounts import second_factor
from School.security.access import may_see_students

# The branding's logo and colours: the sign-in pages show them too.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/branding/logo/", "/branding/style/")


class OTPMiddleware(DjangoOTPMiddleware):
    def _device_from_persistent_id(self, persistent_id):
        return second_factor.device_from_persistent_id(persistent_id)

    async def _adevice_from_persistent_id(self, persistent_id):
        return await sync_to_async(second_factor.device_from_persistent_id)(persistent_id)


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
            return None
        has_device = second_factor.has_device(user)
        if not has_device and not may_see_students(user):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": _("Sign in with your second factor first.")}, status=403)
        target = "sign-in-code" if has_device else "two-factor"
        return redirect(f"{redirect(target).url}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")
