"""attendance: what the registers say; today's missing registers and absentees, or a class's month.

    school_manage.py NAME attendance --today [--format table|json]
    school_manage.py NAME attendance --class CLASS --month YYYY-MM [--format table|csv|xlsx] [--output FILE]
"""

import json

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.management.tables import write_table
from School.register import reading, service, sheet

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Today's registers and the students to follow up (--today), or one class's month as the paper register's grid (--class CLASS --month YYYY-MM)"

    def add_arguments(self, parser):
        parser.add_argument("--today", action="store_true", help="classes with no register yet today, and who is absent")
        parser.add_argument("--class", dest="class_name", metavar="CLASS", help="the class sheet of this class")
        parser.add_argument("--month", help="YYYY-MM, with --class")
        parser.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
        parser.add_argument("--output", help="write the sheet to this file (xlsx needs one)")

    def handle(self, *args, today, class_name, month, format, output, **options):
        if current_school() is None:
            raise CommandError("name the school: school_manage.py NAME attendance --today", returncode=EXIT_BAD_INPUT)
        if today == bool(class_name) or bool(class_name) != bool(month):
            raise CommandError("write: attendance --today, or attendance --class CLASS --month YYYY-MM", returncode=EXIT_BAD_INPUT)
        if today:
            if format not in ("table", "json") or output:
                raise CommandError("attendance --today writes --format table or json to the screen", returncode=EXIT_BAD_INPUT)
            return self._today(format)
        if format == "json":
            raise CommandError("the class sheet is --format table, csv or xlsx", returncode=EXIT_BAD_INPUT)
        if format == "xlsx" and not output:
            raise CommandError("an xlsx sheet needs --output FILE", returncode=EXIT_BAD_INPUT)
        try:
            found = sheet.class_sheet(current_alias(), class_name, month)
        except service.RegisterError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        if format == "table":
            grid = list(sheet.lines(found))
            write_table(self.stdout, grid[0], grid[1:])
            return
        data = sheet.as_xlsx(found) if format == "xlsx" else sheet.as_csv(found)
        if output:
            with open(output, "wb" if format == "xlsx" else "w", **({} if format == "xlsx" else {"newline": ""})) as file:
                file.write(data)
            self.stdout.write(f"Class sheet of {found['class']} for {found['month']} written to {output}")
        else:
            self.stdout.write(data, ending="")

    def _today(self, format):
        day = service.school_today()
        found = reading.today(current_alias(), day)
        follow_up = reading.persistent_absence(current_alias(), day)
        if format == "json":
            self.stdout.write(json.dumps({
                "date": day.isoformat(),
                "missing": [{"class": name, "session": session} for name, session in found["missing"]],
                "taken": [{"class": name, "session": session, "by": by, "at": at.isoformat()}
                          for (name, session), (by, at) in sorted(found["taken"].items())],
                "absent": found["absent"],
                "follow_up": follow_up,
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
        threshold = service.school_settings(current_alias()).follow_up_below
        if follow_up:
            self.stdout.write(f"Attending less than {threshold}% this term:")
            write_table(self.stdout, ("CLASS", "REGNO", "NAME", "RATE", "ABSENT", "REGISTERS"), [
                (row["class"], row["regno"], row["name"], f"{row['rate']}%", row["absent"], row["expected"]) for row in follow_up
            ])
