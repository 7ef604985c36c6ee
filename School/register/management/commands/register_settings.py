"""register_settings: a school's register settings and absence reasons.

    school_manage.py NAME register_settings [--sessions one|two] [--weekdays 12345] [--follow-up-below PERCENT]
                     [--add-reason NAME ...]
                     [--format table|json]

Without options it shows them. --weekdays are ISO digits (1 Monday .. 7 Sunday).
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.register import service
from School.register.models import AbsenceReason

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Show or change the school's register settings: one or two registers a day, school days, absence reasons"

    def add_arguments(self, parser):
        parser.add_argument("--sessions", choices=["one", "two"], help="one register a day, or two (morning and afternoon)")
        parser.add_argument("--weekdays", help="the school days of the week as ISO digits, e.g. 12345 or 123456")
        parser.add_argument("--follow-up-below", type=int, metavar="PERCENT",
                            help="list students attending less than this share this term (default 90)")
        parser.add_argument("--add-reason", nargs="+", default=[], metavar="NAME", help="a reason for an excused absence")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, sessions, weekdays, follow_up_below, add_reason, format, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME register_settings", returncode=EXIT_BAD_INPUT)
        using = current_alias()
        changes = {}
        if sessions:
            changes["two_sessions"] = sessions == "two"
        if weekdays is not None:
            digits = "".join(sorted(set(weekdays)))
            if not digits or any(digit not in "1234567" for digit in digits):
                raise CommandError(f"--weekdays {weekdays!r}: write ISO digits 1 (Monday) to 7 (Sunday), e.g. 12345",
                                   returncode=EXIT_BAD_INPUT)
            changes["weekdays"] = digits
        if follow_up_below is not None:
            if not 1 <= follow_up_below <= 100:
                raise CommandError("--follow-up-below is a percentage from 1 to 100", returncode=EXIT_BAD_INPUT)
            changes["follow_up_below"] = follow_up_below
        reasons = [name.strip() for name in add_reason]
        if any(not name or len(name) > 60 for name in reasons):
            raise CommandError("a reason is 1 to 60 characters", returncode=EXIT_BAD_INPUT)
        with transaction.atomic(using=using):
            if changes:
                service.change_settings(using, **changes)
            for name in reasons:
                AbsenceReason.objects.using(using).get_or_create(name=name)
        settings = service.school_settings(using)
        shown = {"sessions": [str(session) for session in service.sessions(using, settings)], "weekdays": settings.weekdays,
                 "follow_up_below": settings.follow_up_below,
                 "reasons": list(service.reasons(using))}
        if format == "json":
            self.stdout.write(json.dumps(shown, indent=2))
            return
        self.stdout.write(f"Registers a day: {' and '.join(shown['sessions'])}")
        self.stdout.write(f"School days (ISO weekdays): {shown['weekdays']}")
        self.stdout.write(f"Follow up students attending less than: {shown['follow_up_below']}%")
        self.stdout.write(f"Reasons for an excused absence: {', '.join(shown['reasons'])}")
