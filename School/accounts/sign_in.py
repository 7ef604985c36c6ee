"""Signing in with a password, then (where one is needed) a second factor.

The password step is Django's LoginView (django-axes counts its failures).
A user who needs a code is NOT signed in after the password: the session
only remembers who is half-way, for PENDING_SECONDS, and the code step signs
them in. So a right password never resets the lock-out count that wrong
codes add to (axes resets it on a completed sign-in only).
"""

import time
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_otp import login as otp_login
from rest_framework import status
from rest_framework.response import Response

from School.accounts import second_factor
from School.branding.looks import welcome_of
from School.security import views as security_views
from School.security.lockout import locked_out_response

PENDING = "accounts.pending_sign_in"
PENDING_SECONDS = 300


class SecondFactorStep:
    """For LoginView: after the right password, ask for a code from users who need one."""

    def form_valid(self, form):
        user = form.get_user()
        has_device = second_factor.has_device(user)
        if has_device:
            self.request.session[PENDING] = {
                "user": str(user.pk),
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": time.time(),
            }
            return redirect("sign-in-code")
        response = super().form_valid(form)
        if second_factor.required_for(user):
            # Signed in only to set the second factor up: the middleware lets
            # this session reach nothing but /accounts/ until it is done.
            return redirect(f"{reverse('two-factor')}?{urlencode({REDIRECT_FIELD_NAME: response.url})}")
        return response


class SignInView(SecondFactorStep, security_views.SignInView):
    pass


class AdminSignInView(SecondFactorStep, LoginView):
    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"


# The admin sign-in's link to the password reset says this; Django's own
# catalogues leave it untranslated in Swahili and Portuguese, ours do not.
gettext_noop("Forgotten your login credentials?")


def admin_sign_in(request, extra_context=None):
    """The admin's login (as AdminSite.login builds it), with the second factor step."""
    site = admin.site
    if request.method == "GET" and site.has_permission(request):
        return redirect("admin:index")
    context = {
        **site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
        "welcome": welcome_of(request),
    }
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        context[REDIRECT_FIELD_NAME] = reverse("admin:index")
    context.update(extra_context or {})
    request.current_app = site.name
    return AdminSignInView.as_view(extra_context=context)(request)


def _pending_user(request):
    """(user, backend, next) of a sign-in waiting for its code, or None."""
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending["backend"], pending["next"]) if user else None


def safe_next(request, target):
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("index")


def sign_in_code(request):
    """The second step: a code from the app, or a recovery code."""
    pending = _pending_user(request)
    if pending is None and request.user.is_authenticated and not request.user.is_verified():
        # Signed in before a second factor was needed (or set up elsewhere).
        pending = (request.user, None, request.GET.get(REDIRECT_FIELD_NAME, ""))
    if pending is None:
        return redirect("sign-in")
    user, backend, next_url = pending
    context = {"username": user.get_username()}
    if request.method != "POST":
        return render(request, "accounts/sign_in_code.html", context)
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return locked_out_response(request)
    device = second_factor.matching_device(user, request.POST.get("code"))
    if device is None:
        second_factor.report_failure(request, user)
        context["error"] = _("That code is not right, or it was used already. Try the next code from your app.")
        # A lock-out reached by this failure is answered 429 by axes' middleware.
        return render(request, "accounts/sign_in_code.html", context, status=400)
    if backend is not None:
        request.session.pop(PENDING, None)
        auth_login(request, user, backend=backend)
    otp_login(request, device)
    return redirect(safe_next(request, next_url))


class CreateTokenView(security_views.CreateTokenView):
    """POST /api/tokens/: where the user needs a second factor, `code` is required too."""

    def refusal(self, request, user, data):
        if not second_factor.required_for(user):
            return None
        if not second_factor.has_device(user):
            return Response({"detail": str(SET_UP_FIRST)}, status=status.HTTP_403_FORBIDDEN)
        if not data.get("code"):
            return Response({"detail": str(CODE_NEEDED), "second_factor": "required"}, status=status.HTTP_401_UNAUTHORIZED)
        if second_factor.matching_device(user, data["code"]) is None:
            second_factor.report_failure(request, user)
            return Response({"detail": str(WRONG_CODE), "second_factor": "required"}, status=status.HTTP_401_UNAUTHORIZED)
        return None


SET_UP_FIRST = gettext_lazy("Set up two-factor sign-in at /accounts/two-factor/ before making API tokens.")
CODE_NEEDED = gettext_lazy("A second-factor code is required: send `code` from your authenticator app (or a recovery code).")
WRONG_CODE = gettext_lazy("Wrong or already used second-factor code.")
