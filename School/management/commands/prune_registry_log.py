"""prune_registry_log: keep the registry's change log short."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from School.management.checks import all_but_page_checks
from School.models import RegistryChange

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = (
        "Delete registry changes older than --days. Workers only need the changes of the last "
        "SCHOOL_REGISTRY_TTL seconds; one that finds its position pruned forgets its cache."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, default=7.0, help="keep this many days of changes (7)")

    def handle(self, *args, days, **options):
        if days < 0:
            raise CommandError(f"--days must be 0 or more, not {days:g}", returncode=EXIT_BAD_INPUT)
        changes = RegistryChange.objects.using(DEFAULT_DB_ALIAS)
        newest = changes.order_by("-pk").values_list("pk", flat=True).first()
        deleted = 0
        if newest is not None:
            # The newest row stays: workers compare positions with it, and ids
            # keep growing past it.
            old = changes.filter(at__lt=timezone.now() - timedelta(days=days)).exclude(pk=newest)
            deleted, _ = old.delete()
        self.stdout.write(f"Deleted {deleted} registry changes older than {days:g} days")
