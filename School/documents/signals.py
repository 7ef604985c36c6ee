"""A file row deleted (also by a student's removal, through the cascade) takes its bytes with it."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from School.documents.models import StudentFile


@receiver(post_delete, sender=StudentFile)
def remove_stored_bytes(sender, instance, using, **kwargs):
    from School.documents.service import forget_bytes

    # After the commit: a rolled-back delete keeps its file.
    transaction.on_commit(lambda: forget_bytes(using, instance), using=using)
