"""attendance: what the registers say; today's missing registers and absentees.

    school_manage.py NAME attendance --today [--format table|json]
"""

import json

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.management.tables import write_table
from School.register import reading, service

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Today's registers: the classes that have not taken theirs, and who is absent (--today)"

    def add_arguments(self, parser):
        parser.add_argument("--today", action="store_true", help="classes with no register yet today, and who is absent")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, today, format, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME attendance --today", returncode=EXIT_BAD_INPUT)
        if not today:
            raise CommandError("write: attendance --today (the class sheet, --class CLASS --month YYYY-MM, is not built yet)",
                               returncode=EXIT_BAD_INPUT)
        day = service.school_today()
        found = reading.today(current_alias(), day)
        if format == "json":
            self.stdout.write(json.dumps({
                "date": day.isoformat(),
                "missing": [{"class": name, "session": session} for name, session in found["missing"]],
                "taken": [{"class": name, "session": session, "by": by, "at": at.isoformat()}
                          for (name, session), (by, at) in sorted(found["taken"].items())],
                "absent": found["absent"],
            }, indent=2))
            return
        self.stdout.write(f"Registers of {day}: {len(found['taken'])} taken, {len(found['missing'])} not taken yet")
        if found["missing"]:
            write_table(self.stdout, ("NOT TAKEN", "SESSION"), found["missing"])
        if found["absent"]:
            write_table(self.stdout, ("CLASS", "SESSION", "REGNO", "NAME", "MARK", "REASON"), [
                (row["class"], row["session"], row["regno"], row["name"], row["code"], row["reason"]) for row in found["absent"]
            ])
        else:
            self.stdout.write("Nobody is marked absent.")
