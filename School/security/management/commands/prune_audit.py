from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from School.security import audit


class Command(BaseCommand):
    help = "Delete the active school's audit events older than AUDIT_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, days, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must not be negative")
        self.stdout.write(f"Deleted {audit.prune(days)} audit event(s) older than {days} days.")
