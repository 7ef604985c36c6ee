"""grades: a school's grade ladder (`school_manage.py NAME grades [set GRADE ... --final GRADE ...]`)."""

import json

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.management.tables import write_table
from School.school_year.ladder import LadderError, checked_names, ladder_rows, parse_levels, set_ladder
from School.school_year.national import LADDER, claim

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Show the grade ladder, or set it: grades set GRADE [GRADE ...] [--final GRADE ...] (lowest first; confirms it)"

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["set"], help="set: the ladder becomes exactly these grades")
        parser.add_argument("grades", nargs="*", metavar="GRADE", help="the grades, lowest first (quote names with spaces)")
        parser.add_argument("--final", action="append", default=[], metavar="GRADE", help="a grade whose students graduate")
        parser.add_argument("--level", action="append", default=[], metavar="GRADE=LEVEL",
                            help="the grade's level: primary, lower-secondary or upper-secondary (the ministry's indicators)")
        parser.add_argument("--isced", action="append", default=[], metavar="GRADE=CODE", help="the grade's ISCED code, e.g. 1")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, action, grades, final, format, level, isced, **options):
        school = current_school()
        if school is None:
            raise CommandError("name the school: school_manage.py NAME grades", returncode=EXIT_BAD_INPUT)
        if action != "set":
            if grades or final or level or isced:
                raise CommandError("write: grades set GRADE [GRADE ...] [--final GRADE ...] [--level GRADE=LEVEL ...]",
                                   returncode=EXIT_BAD_INPUT)
            return self._show(format)
        try:
            names = checked_names(grades, final)
            ladder = set_ladder(current_alias(), names, final, parse_levels(level, names),
                                parse_levels(isced, names, "--isced"))
            claim(current_alias(), LADDER)  # the school's own now: the national ladder's next change leaves it
        except LadderError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
        finals = [grade.name for grade in ladder if grade.is_final] or ["none"]
        self.stdout.write(f"Grade ladder of {school.name} set and confirmed: {' -> '.join(g.name for g in ladder)} "
                          f"(final: {', '.join(finals)})")

    def _show(self, format):
        rows = ladder_rows(current_alias())
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        write_table(self.stdout, ("POSITION", "GRADE", "NEXT", "FINAL", "CONFIRMED", "LEVEL", "ISCED"), [
            (row["position"], row["name"], row["next"], "yes" if row["final"] else "", "yes" if row["confirmed"] else "NO",
             row["level"], row["isced"])
            for row in rows
        ])
        if any(not row["confirmed"] for row in rows):
            self.stdout.write("This order was guessed from the records: confirm it with `grades set GRADE ... [--final GRADE ...]`.")
