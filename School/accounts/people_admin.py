"""The school's people in its admin: users, groups and second factors, within the actor's own rights.

Replaces the stock user and group admins (and django-otp's device admins),
which let anyone with "change user" make anyone, itself included, a
superuser. The rules are School/security/privileges.py's; this module puts
them on the forms, the object pages and the bulk delete action.
"""

import logging

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from School.accounts.groups import is_staff_group
from School.security import audit
from School.security.privileges import (
    SUPERUSER_ONLY_FIELDS, grantable_groups, grantable_permissions, may_manage, names_of,
)

logger = logging.getLogger(__name__)


class WithinOwnRights:
    """A ModelAdmin whose rows belong to a person: changed or deleted only by who may manage that person."""

    def person(self, obj):
        return obj

    def _manages(self, request, obj):
        return obj is None or may_manage(request.user, self.person(obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._manages(request, obj)

    def get_deleted_objects(self, objs, request):
        # The bulk action asks has_delete_permission() without the rows: a
        # person beyond the actor's rights in the selection refuses it all.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        beyond = {str(self.person(obj)) for obj in objs if not self._manages(request, obj)}
        return deleted, counts, perms_needed | beyond, protected


class GrantsWithinOwnRights:
    """Permission and group choices limited to what the actor may hand out; a forged choice is a form error."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "permissions" or db_field.name == "user_permissions":
            field.queryset = grantable_permissions(request.user, field.queryset)
        elif db_field.name == "groups":
            field.queryset = grantable_groups(request.user, field.queryset)
        return field


class SchoolUserAdmin(WithinOwnRights, GrantsWithinOwnRights, UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser or obj is None:
            return fields
        return (*fields, *SUPERUSER_ONLY_FIELDS)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if not request.user.is_superuser and "groups" in form.changed_data:
            # Staff status follows the groups, as when an invitation is accepted:
            # the one way a School admin gives it, never beyond the groups it may grant.
            user.is_staff = any(is_staff_group(group) for group in user.groups.all())
            user.save(update_fields=["is_staff"])
        logger.info("user %s changed by %s", user.get_username(), request.user.get_username())


class SchoolGroupAdmin(WithinOwnRights, GrantsWithinOwnRights, GroupAdmin):
    def _manages(self, request, obj):
        return obj is None or request.user.is_superuser or names_of(obj.permissions.all()) <= request.user.get_all_permissions()


class AuditedDeviceReset(WithinOwnRights):
    """A person's second factor: seen and removed only by who may manage them; every removal audited."""

    def person(self, obj):
        return obj.user

    def has_view_permission(self, request, obj=None):
        # A device's page shows its key or codes: not someone else's beyond one's rights.
        return super().has_view_permission(request, obj) and self._manages(request, obj)

    def _record(self, request, device):
        audit.record(request, audit.SECOND_FACTOR_RESET, target=device.user.get_username(), result=type(device).__name__)

    def delete_model(self, request, obj):
        self._record(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self._record(request, device)
        super().delete_queryset(request, queryset)


class SchoolTOTPDeviceAdmin(AuditedDeviceReset, TOTPDeviceAdmin):
    pass


class SchoolStaticDeviceAdmin(AuditedDeviceReset, StaticDeviceAdmin):
    pass


REPLACED = {
    get_user_model(): SchoolUserAdmin,
    Group: SchoolGroupAdmin,
    TOTPDevice: SchoolTOTPDeviceAdmin,
    StaticDevice: SchoolStaticDeviceAdmin,
}


def register(site=admin.site):
    for model, model_admin in REPLACED.items():
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
