from django.core.management.base import BaseCommand, CommandError

from School.security import tokens
from School.security.models import ApiToken


class Command(BaseCommand):
    help = "List or revoke the active school's API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="name, user, key prefix, expiry and last use of every token")
        listing.add_argument("--user")
        revoke = sub.add_parser("revoke", help="revoke tokens by key prefix or of a user")
        revoke.add_argument("--prefix", help="the first characters of the key (as listed)")
        revoke.add_argument("--user", help="every token of this user")

    def handle(self, action, user=None, prefix=None, **options):
        found = ApiToken.objects.select_related("user")
        if user:
            found = found.filter(user__username=user)
        if action == "list":
            for token in found:
                state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(f"{token.prefix}  {token.user.username:20} {token.name:30} {state:20} last used {used}")
            return
        if not prefix and not user:
            raise CommandError("revoke needs --prefix or --user")
        if prefix:
            found = found.filter(prefix__startswith=prefix)
        if not found.exists():
            raise CommandError("no token matches")
        self.stdout.write(f"Revoked {tokens.revoke(found)} token(s).")
