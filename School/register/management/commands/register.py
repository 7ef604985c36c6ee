"""register: take (or correct) one class's register from the command line, with the page's rules.

    school_manage.py NAME register CLASS | --group NAME [--date DATE] [--session am|pm] [--absent REGNO ...]
                     [--late REGNO ...] [--excused REGNO=REASON ...] [--not-expected REGNO ...] [--reason TEXT]

Everyone not named is present. An earlier day is a correction: --reason is then required. A group's
register (a trip, a team: `register_groups`) is taken with --group NAME instead of CLASS: the same
rules, inside the group's days, one register a day.
"""

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.management.operator import operator
from School.register import groups, service
from School.register.codes import ABSENT, EXCUSED, LATE, NOT_EXPECTED

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Take a class's register: everyone present but those named (--absent, --late, --excused REGNO=REASON)"

    def add_arguments(self, parser):
        parser.add_argument("class_name", nargs="?", default="", metavar="CLASS", help="the class as its page names it (or the grade, where there are no classes)")
        parser.add_argument("--group", default="", metavar="NAME", help="a group's register instead of a class's (register_groups)")
        parser.add_argument("--date", default="", help="YYYY-MM-DD (default: today at the school)")
        parser.add_argument("--session", choices=["am", "pm"], help="where the school takes two registers a day")
        parser.add_argument("--absent", nargs="+", default=[], metavar="REGNO", help="absent, not excused")
        parser.add_argument("--late", nargs="+", default=[], metavar="REGNO")
        parser.add_argument("--excused", nargs="+", default=[], metavar="REGNO=REASON", help="absent with a reason from the school's list")
        parser.add_argument("--not-expected", nargs="+", default=[], metavar="REGNO", help="not expected (e.g. an approved leave)")
        parser.add_argument("--reason", default="", help="why an earlier day's register is corrected (required then)")

    def handle(self, *args, class_name, group, date, session, absent, late, excused, not_expected, reason, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME register CLASS", returncode=EXIT_BAD_INPUT)
        using = current_alias()
        try:
            if bool(class_name) == bool(group):
                raise service.RegisterError("name a CLASS or a --group, one of them")
            marks = self._marks(absent, late, excused, not_expected)
            day = service.parse_day(date)
            roll = groups.find_group(using, group) if group else class_name
            result = service.take(using, service.Actor(name=operator()), roll, day, marks,
                                  session=session or "day", correction=reason)  # two a day: --session is required
        except service.RegisterError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        register = result.register
        counts = {code: sum(1 for mark, _reason in result.marks.values() if mark == code) for code in (ABSENT, EXCUSED, LATE, NOT_EXPECTED)}
        what = "saved" if result.changed else "unchanged (already saved so)"
        name = f"group {group}" if group else register.class_name
        self.stdout.write(f"Register of {name} on {register.date} ({register.session}) {what}: "
                          f"{counts[ABSENT]} absent, {counts[EXCUSED]} excused, {counts[LATE]} late, "
                          f"{counts[NOT_EXPECTED]} not expected, version {register.version}")

    @staticmethod
    def _marks(absent, late, excused, not_expected):
        marks = {}

        def put(regno, code, reason=""):
            if regno in marks:
                raise service.RegisterError(f"student {regno} is named twice")
            marks[regno] = (code, reason)

        for regno in absent:
            put(regno, ABSENT)
        for regno in late:
            put(regno, LATE)
        for regno in not_expected:
            put(regno, NOT_EXPECTED)
        for entry in excused:
            regno, sign, reason = entry.partition("=")
            if not sign or not regno or not reason:
                raise service.RegisterError(f"{entry!r}: write --excused REGNO=REASON")
            put(regno, EXCUSED, reason)
        return marks
