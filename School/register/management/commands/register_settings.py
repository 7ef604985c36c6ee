"""register_settings: a school's register settings and absence reasons.

    school_manage.py NAME register_settings [--sessions one|two] [--weekdays 12345] [--follow-up-below PERCENT]
                     [--absence-mails on|off] [--add-reason NAME ...]
                     [--format table|json]

Without options it shows them. --weekdays are ISO digits (1 Monday .. 7 Sunday). The checks are
School/register/configure.py's, the settings page's too.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.register import configure
from School.register.service import RegisterError

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Show or change the school's register settings: one or two registers a day, school days, absence reasons"

    def add_arguments(self, parser):
        parser.add_argument("--sessions", choices=["one", "two"], help="one register a day, or two (morning and afternoon)")
        parser.add_argument("--weekdays", help="the school days of the week as ISO digits, e.g. 12345 or 123456")
        parser.add_argument("--follow-up-below", type=int, metavar="PERCENT",
                            help="list students attending less than this share this term (default 90)")
        parser.add_argument("--absence-mails", choices=["on", "off"],
                            help="email the primary guardian of a student marked absent (unexcused), once a day")
        parser.add_argument("--add-reason", nargs="+", default=[], metavar="NAME", help="a reason for an excused absence")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, sessions, weekdays, follow_up_below, absence_mails, add_reason, format, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME register_settings", returncode=EXIT_BAD_INPUT)
        using = current_alias()
        try:
            changes = configure.check(sessions=sessions, weekdays=weekdays, follow_up_below=follow_up_below,
                                      absence_mails=absence_mails, add_reasons=add_reason)
        except RegisterError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        configure.apply(using, changes)
        shown = configure.shown(using)
        if format == "json":
            self.stdout.write(json.dumps(shown, indent=2))
            return
        self.stdout.write(f"Registers a day: {' and '.join(shown['sessions'])}")
        self.stdout.write(f"School days (ISO weekdays): {shown['weekdays']}")
        self.stdout.write(f"Follow up students attending less than: {shown['follow_up_below']}%")
        self.stdout.write(f"Absence mails to the primary guardian: {'on' if shown['absence_mails'] else 'off'}")
        self.stdout.write(f"Reasons for an excused absence: {', '.join(shown['reasons'])}")
