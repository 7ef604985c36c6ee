from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from School.accounts import second_factor
from School.context import current_school
from School.security import audit


class Command(BaseCommand):
    help = "Remove a user's second factor (lost phone): they set up a new one at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        school = current_school()
        where = school.name if school else "default"
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r} at {where}", returncode=2)
        removed = second_factor.remove_devices(user)
        audit.record(None, audit.SECOND_FACTOR_RESET, target=username, username="operator", result=f"{removed} device(s)")
        self.stdout.write(f"Removed the second factor of {username} at {where} ({removed} device(s)).")
