"""A user's permissions read in one statement compiled once, for ModelBackend to answer from.

An authentication backend that signs no one in (its `authenticate` answers
None) and has no `get_user`, so that no session ever names it (Django's test
client, for one, signs in through the first backend with a `get_user`). It
is listed before ModelBackend: the first permission check
of a request reads the user's own and their groups' permissions in one
statement (School/compiled.py) into the per-request cache that ModelBackend
keeps on the user (`_perm_cache`), which it then answers from. ModelBackend
read them with two statements the ORM built on every request: on a signed-in
registrar's student table, a third of the request. The set is the same as
ModelBackend's: `app_label.codename` of the user's and their groups'
permissions, none for inactive or anonymous users or for an object.
Superusers and MongoDB are left to ModelBackend.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import router

from School.compiled import rows_of

COLUMNS = ("content_type__app_label", "codename")


def _permissions_statement(alias, user_pk):
    groups_of_user = "group__%s" % get_user_model()._meta.get_field("groups").related_query_name()
    permissions = Permission.objects.using(alias).order_by()
    own = permissions.filter(user=user_pk).values_list(*COLUMNS)
    through_groups = permissions.filter(**{groups_of_user: user_pk}).values_list(*COLUMNS)
    return own.union(through_groups)


class CompiledPermissionsBackend:
    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None or user_obj.is_superuser:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            alias = router.db_for_read(Permission)
            rows = rows_of(alias, "user and group permissions", lambda: _permissions_statement(alias, user_obj.pk),
                           [user_obj.pk, user_obj.pk])
            if rows is None:
                return set()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
