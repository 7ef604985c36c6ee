from django.core.management.base import BaseCommand, CommandError

from School.security import audit
from School.security.models import AuditEvent


class Command(BaseCommand):
    help = "Check the active school's audit trail hash chain; exit 1 naming the first altered event."

    def handle(self, **options):
        events = AuditEvent.objects.order_by("pk")
        broken = audit.broken_links(events.iterator())
        if broken:
            first = broken[0]
            raise CommandError(
                f"the audit trail was altered at event {first.pk} ({first}); {len(broken)} event(s) do not match",
                returncode=1,
            )
        self.stdout.write(f"The audit trail is intact ({events.count()} events).")
