"""Invitations in the school's admin: invite, list, resend, revoke."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from School.accounts import invitations, people_admin
from School.accounts.models import Invitation
from School.security.admin_search import bound_every_search
from School.security.privileges import grantable_groups

people_admin.register()

# Invitation.state() is a code (the tests and the audit read it); people read these.
STATE_LABELS = {
    "pending": pgettext_lazy("invitation state", "pending"),
    "accepted": pgettext_lazy("invitation state", "accepted"),
    "revoked": pgettext_lazy("invitation state", "revoked"),
    "expired": pgettext_lazy("invitation state", "expired"),
}


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "group"]

    def clean_email(self):
        email = self.cleaned_data["email"]
        try:
            invitations.check_new_address(email)
        except invitations.InvitationError as error:
            raise forms.ValidationError(str(error)) from None
        return email


def report_mail(request, admin_site, invitation, outcome):
    if getattr(outcome, "job_id", ""):
        outcome.refresh()  # a queued message: sent or failed already if its job has run
    if getattr(outcome, "queued", False):
        admin_site.message_user(
            request,
            _("The invitation to %(email)s is on its way; the school's Jobs page says when it was sent.") % {"email": invitation.email},
            messages.SUCCESS,
        )
    elif outcome.sent:
        admin_site.message_user(request, _("Invitation sent to %(email)s.") % {"email": invitation.email}, messages.SUCCESS)
    else:
        admin_site.message_user(
            request,
            _("The invitation to %(email)s was saved, but the mail server could not be reached (%(error)s). "
              "Resend it from the list when mail works again.") % {"email": invitation.email, "error": outcome.error},
            messages.ERROR,
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    form = InvitationForm
    list_display = ["email", "group", "state_shown", "invited_by", "created_at", "expires_at", "sent_at", "send_error", "accepted_username"]
    list_filter = ["group", "accepted_at", "revoked_at"]
    search_fields = ["email", "accepted_username", "invited_by"]
    actions = ["resend", "revoke"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "group":
            # An invitee gets the group's rights: only a group the inviter may grant.
            field.queryset = grantable_groups(request.user, field.queryset)
        return field

    @admin.display(description=gettext_lazy("state"))
    def state_shown(self, invitation):
        return STATE_LABELS[invitation.state()]

    def has_change_permission(self, request, obj=None):
        # An invitation is sent, resent or revoked; never edited.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the list is the record

    def save_model(self, request, obj, form, change):
        invitation, outcome = invitations.invite(obj.email, obj.group, request=request)
        obj.pk = invitation.pk
        request.invitation_outcome = (invitation, outcome)

    def response_add(self, request, obj, post_url_continue=None):
        return self.response_post_save_add(request, obj)

    def add_view(self, request, form_url="", extra_context=None):
        response = super().add_view(request, form_url, extra_context)
        # Only now: the admin saves inside a transaction of its own, and the
        # message goes out when that commits, after response_add.
        if hasattr(request, "invitation_outcome"):
            report_mail(request, self, *request.invitation_outcome)
        return response

    @admin.action(description=gettext_lazy("Resend the selected invitations (new link)"), permissions=["add"])
    def resend(self, request, queryset):
        for invitation in queryset:
            try:
                outcome = invitations.resend(invitation, request)
            except invitations.InvitationError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                report_mail(request, self, invitation, outcome)

    @admin.action(description=gettext_lazy("Revoke the selected invitations"), permissions=["add"])
    def revoke(self, request, queryset):
        count = invitations.revoke(queryset, request)
        message = ngettext("Revoked %(count)d invitation.", "Revoked %(count)d invitations.", count) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)


# The last app's admin module (School.accounts is last in INSTALLED_APPS):
# every app, third-party ones included, has registered its admins by now.
bound_every_search(admin.site)
