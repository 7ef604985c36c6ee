"""Who may raise whom: nobody hands out rights it does not hold itself.

Django's stock user admin lets anyone with "change user" tick
`is_superuser` and give any permission, on their own account too. Here a
user who is not a superuser manages only people whose rights it holds
itself (never a superuser), and grants only permissions and groups within
its own rights; superuser and staff status are a superuser's to give. At the
`default` school a superuser is the platform's operator, so the registry and
the dashboard also need VIEW_PLATFORM, which no school-level group carries.
"""

from django.contrib.auth.models import Permission
from django.db.models import Q

from School.utils import DEFAULT_SCHOOL

VIEW_PLATFORM = "platform.view_platform"
# Only a superuser changes these flags, on anyone.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff")


def names_of(permissions):
    """{"app_label.codename"} of Permission rows."""
    return {f"{app_label}.{codename}" for app_label, codename in permissions.values_list("content_type__app_label", "codename")}


def rights_of(user):
    """Every permission `user` holds directly or through its groups, active or not.

    Not user.get_all_permissions(), which is empty for an inactive user: one
    with rights beyond the actor's must not be reactivated by it.
    """
    return names_of(rights_query(user))


def rights_query(user):
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


def may_grant(actor, permissions):
    """May `actor` hand out these Permission rows (to a user or a group)?"""
    return actor.is_superuser or names_of(permissions) <= actor.get_all_permissions()


def may_manage(actor, target):
    """May `actor` change, delete or reset `target` (a user)? Itself too: within its own rights."""
    if actor.is_superuser:
        return True
    if target.is_superuser:
        return False
    return rights_of(target) <= actor.get_all_permissions()


def is_platform_operator(request):
    """A signed-in user of the `default` school who may run the platform (registry, dashboard)."""
    school = getattr(request, "school", None)
    user = getattr(request, "user", None)
    if school is None or school.name != DEFAULT_SCHOOL or user is None or not user.is_active:
        return False
    return user.is_superuser or user.has_perm(VIEW_PLATFORM)


def grantable_permissions(actor, permissions):
    """The Permission rows of `permissions` that `actor` may hand out."""
    if actor.is_superuser:
        return permissions
    held = actor.get_all_permissions()
    return permissions.filter(pk__in=[
        pk for pk, app_label, codename in permissions.values_list("pk", "content_type__app_label", "codename")
        if f"{app_label}.{codename}" in held
    ])


def grantable_groups(actor, groups):
    """The groups of `groups` whose every permission `actor` holds: those it may put people in."""
    if actor.is_superuser:
        return groups
    held = actor.get_all_permissions()
    beyond = {
        group_pk for group_pk, app_label, codename in groups.filter(permissions__isnull=False).values_list(
            "pk", "permissions__content_type__app_label", "permissions__codename")
        if f"{app_label}.{codename}" not in held
    }
    return groups.exclude(pk__in=beyond)


def may_grant_group(actor, group):
    return grantable_groups(actor, type(group).objects.filter(pk=group.pk)).exists()
