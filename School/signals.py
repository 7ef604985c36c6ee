"""Keep every worker's cached school registry in step with the database."""

import uuid

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from School.models import RegistryStamp, School, SchoolHost
from School.utils import registry

REGISTRY_DB = "default"


@receiver(post_save, sender=School)
@receiver(post_delete, sender=School)
@receiver(post_save, sender=SchoolHost)
@receiver(post_delete, sender=SchoolHost)
def registry_changed(sender, **kwargs):
    # The new token tells other processes to reload; this process forgets its
    # copy now and again once the change is committed, so a reload that raced
    # the transaction cannot keep the old registry.
    token = uuid.uuid4().hex
    stamps = RegistryStamp.objects.using(REGISTRY_DB)
    # A plain update, then a create for the very first change: portable to
    # MongoDB, which has no SELECT ... FOR UPDATE for update_or_create().
    if not stamps.filter(key="registry").update(token=token):
        try:
            with transaction.atomic(using=REGISTRY_DB):
                stamps.create(key="registry", token=token)
        except IntegrityError:  # another process created it meanwhile
            stamps.filter(key="registry").update(token=token)
    registry.invalidate()
    transaction.on_commit(registry.invalidate, using=REGISTRY_DB)
