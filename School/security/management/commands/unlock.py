from axes.utils import reset
from django.core.management.base import BaseCommand, CommandError

from School.context import current_school


class Command(BaseCommand):
    help = "Lift the sign-in lock-out of a user name (or an address) at the active school."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the user name that is locked out")
        parser.add_argument("--address", help="also (or only) lift the lock-out of this client address")

    def handle(self, username=None, address=None, **options):
        if not username and not address:
            raise CommandError("give a USERNAME or --address")
        removed = 0
        if username:
            removed += reset(username=username)
        if address:
            removed += reset(ip=address)
        school = current_school()
        where = f" at {school.name}" if school else ""
        self.stdout.write(f"Unlocked {username or address}{where} ({removed} failed-attempt record(s) removed).")
