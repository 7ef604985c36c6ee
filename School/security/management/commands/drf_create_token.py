from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from School.security import tokens
from School.security.models import ApiToken


class Command(BaseCommand):
    help = "Make an API token for a user of the active school and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for (default: the date)")
        parser.add_argument("--days", type=int, default=None, help="days until it expires (default: API_TOKEN_DAYS, 90)")
        parser.add_argument("-r", "--reset", action="store_true", help="revoke the user's other tokens first")

    def handle(self, username, name, days, reset, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        try:
            user = get_user_model()._default_manager.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r} at this school") from None
        if reset:
            tokens.revoke(ApiToken.objects.filter(user=user))
        key, token = tokens.create_token(user, name, days)
        # The line DRF's own command printed, so scripts that read it keep working.
        self.stdout.write(f"Generated token {key} for user {username}")
        self.stderr.write(f"Token {token.name!r} expires {token.expires_at:%Y-%m-%d}; the key is not stored and cannot be shown again.")
