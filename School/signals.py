"""Keep every worker's cached school registry in step with the database."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from School.models import RegistryStamp, School, SchoolHost, renew_token
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
    renew_token(RegistryStamp.objects.using(REGISTRY_DB), "registry")
    registry.invalidate()
    transaction.on_commit(registry.invalidate, using=REGISTRY_DB)
