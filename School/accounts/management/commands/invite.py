from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from School.accounts import invitations
from School.accounts.groups import SPECS
from School.context import current_school


class Command(BaseCommand):
    help = "Invite a person by email to the active school (a link to choose a password, valid INVITATION_HOURS)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--group", help=f"the group they join: {', '.join(spec.name for spec in SPECS)} or another of the school's")

    def handle(self, email, group=None, **options):
        school = current_school()
        if school is None:
            raise CommandError("run it for one school: school_manage.py NAME invite EMAIL", returncode=2)
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"not an email address: {email!r}", returncode=2) from None
        chosen = None
        if group:
            chosen = Group.objects.filter(name=group).first()
            if chosen is None:
                known = ", ".join(Group.objects.order_by("name").values_list("name", flat=True))
                raise CommandError(f"no group {group!r} at {school.name}; groups: {known}", returncode=2)
        try:
            invitation, outcome = invitations.invite(email, chosen, invited_by="operator")
        except invitations.InvitationError as error:
            raise CommandError(str(error), returncode=2) from None
        if not outcome.sent:
            raise CommandError(
                f"invitation to {invitation.email} saved at {school.name}, but the mail was not sent: {outcome.error}; "
                f"run the same command again to resend it"
            )
        self.stdout.write(f"Invited {invitation.email} to {school.name} (expires {invitation.expires_at:%Y-%m-%d %H:%M} UTC).")
