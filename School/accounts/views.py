"""Pages of /accounts/: the second factor's set-up, invitations, password resets, sign-out."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from School.accounts import invitations, second_factor
from School.accounts.mail import link_host, school_name
from School.accounts.passwords import SchoolHostTokenGenerator, SchoolPasswordResetForm, within_limits
from School.accounts.sign_in import safe_next
from School.security import audit
from School.security.models import ApiToken

ENROL_KEY = "accounts.enrol_key"


class SignOutView(auth_views.LogoutView):
    """POST only (Django 5): back to the school's sign-in page."""


# --- the second factor ------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Set up an authenticator app (QR code made here), or see and renew recovery codes."""
    user = request.user
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if second_factor.has_device(user):
        if request.method == "POST" and request.POST.get("action") == "recovery" and user.is_verified():
            codes = second_factor.new_recovery_codes(user)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": safe_next(request, next_url)})
        return render(request, "accounts/two_factor.html", {"enabled": True, "codes_left": second_factor.recovery_codes_left(user)})
    key = request.session.get(ENROL_KEY) or second_factor.new_key()
    request.session[ENROL_KEY] = key
    url = second_factor.otpauth_url(key, user.get_username(), school_name())
    context = {"qr": second_factor.qr_data_uri(url), "secret": second_factor.readable_key(key), "otpauth_url": url}
    if request.method == "POST":
        matches, time_step = second_factor.code_matches_key(key, request.POST.get("code"))
        if matches:
            codes = second_factor.enrol(user, key, time_step)
            request.session.pop(ENROL_KEY, None)
            otp_login(request, second_factor.app_device(user))
            audit.record(request, audit.SECOND_FACTOR_ON, target=user.get_username())
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": safe_next(request, next_url)})
        context["error"] = _("That code does not match. Check the time on your phone and type the code shown now.")
        return render(request, "accounts/two_factor.html", context, status=400)
    return render(request, "accounts/two_factor.html", context)


# --- invitations --------------------------------------------------------------------


class AcceptInvitationForm(UserCreationForm):
    pass


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request, secret):
    try:
        invitation = invitations.find(secret)
    except invitations.InvitationError as error:
        # Told by its class, not its words: those are in the school's language.
        unknown = isinstance(error, invitations.UnknownInvitation)
        return render(request, "accounts/invitation_invalid.html", {"message": error}, status=404 if unknown else 410)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.accept(invitation, form, request)
        except invitations.InvitationError as error:
            return render(request, "accounts/invitation_invalid.html", {"message": error}, status=409)
        messages.success(request, _("Welcome, %(name)s: your account is ready. Sign in.") % {"name": user.get_username()})
        return redirect("sign-in")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}, status=status)


# --- password reset -------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = SchoolPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("password-reset-sent")

    def form_valid(self, form):
        if not within_limits(self.request, form.cleaned_data["email"]):
            message = _("Too many password reset requests. Wait an hour, or ask the school's administrator.")
            return render(self.request, "accounts/password_reset.html", {"form": form, "error": message}, status=429)
        # The message is a job (School/accounts/mail_jobs.py): the answer never waits on the mail server.
        form.save(
            request=self.request,
            use_https=self.request.is_secure(),
            token_generator=SchoolHostTokenGenerator(self.request),
            # Django would take both from the request's Host header.
            extra_email_context={"school_name": school_name(), "domain": link_host(self.request), "protocol": settings.LINK_SCHEME},
        )
        return redirect(self.get_success_url())


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("sign-in")

    def dispatch(self, *args, **kwargs):
        self.token_generator = SchoolHostTokenGenerator(self.request)
        return super().dispatch(*args, **kwargs)

    def render_to_response(self, context, **kwargs):
        if not self.validlink:
            kwargs["status"] = 400
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form):
        # The new password's hash ends every other session of the user (Django
        # checks it on each request); API tokens are kept, and the user is told.
        response = super().form_valid(form)
        audit.record(self.request, audit.PASSWORD_RESET, target=self.user.get_username(), username=self.user.get_username())
        messages.success(self.request, _("Your password was changed and you were signed out everywhere. Sign in with the new one."))
        tokens = ApiToken.objects.filter(user=self.user, revoked_at__isnull=True).count()
        if tokens:
            messages.warning(
                self.request,
                ngettext(
                    "Your %(count)d API token still works. If your password may have been stolen, revoke it in the admin.",
                    "Your %(count)d API tokens still work. If your password may have been stolen, revoke them in the admin.",
                    tokens,
                )
                % {"count": tokens},
            )
        return response
