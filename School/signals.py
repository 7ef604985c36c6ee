"""Keep every worker's cached school registry in step with the database.

Every save or delete of a School or SchoolHost appends a RegistryChange row
in the same transaction (admin forms, deletes and provisioning all write in a
transaction), which other processes read within SCHOOL_REGISTRY_TTL. This
process forgets the changed entries at once, and again once the change is
committed, so a look-up that raced the transaction cannot keep the old answer.
Queryset .update() sends no signal: registry code never uses it.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from School.models import RegistryChange, School, SchoolHost
from School.utils import registry

REGISTRY_DB = "default"


def _what_changed(sender, instance):
    """(school key, school name, host) of a changed row."""
    if sender is School:
        return str(instance.pk), instance.name, ""
    # The school's name only when already loaded: the key is enough to forget
    # it, and fetching it would cost a query per host of a deleted school.
    school = instance.school if SchoolHost.school.is_cached(instance) else None
    return str(instance.school_id), school.name if school else "", instance.host


@receiver(post_save, sender=School)
@receiver(post_delete, sender=School)
@receiver(post_save, sender=SchoolHost)
@receiver(post_delete, sender=SchoolHost)
def registry_changed(sender, instance, **kwargs):
    key, name, host = _what_changed(sender, instance)
    RegistryChange.objects.using(REGISTRY_DB).create(school_key=key, name=name, host=host)
    forget = partial(registry.forget, key, name, host)
    forget()
    transaction.on_commit(forget, using=REGISTRY_DB)
