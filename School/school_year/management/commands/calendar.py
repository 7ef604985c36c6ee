"""calendar: a school's years, terms and closed days (`school_manage.py NAME calendar [set YEAR ...]`)."""

import json

from django.core.management.base import BaseCommand, CommandError

from School.context import current_alias, current_school
from School.management.checks import all_but_page_checks
from School.management.tables import write_table
from School.school_year.calendar import CalendarError, calendar_rows, current_year, parse_date, parse_span, set_year
from School.school_year.national import claim, year_key

EXIT_BAD_INPUT = 2


def spans(rows):
    return "; ".join(f"{row.get('name') or row.get('reason') or ''} {row['first']}..{row['last']}".strip() for row in rows)


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "Show the school's calendar, or set one year: calendar set YEAR --first DATE --last DATE [--term NAME=FIRST..LAST ...] [--closed [REASON=]DATE|FIRST..LAST ...] [--rename NEW]"

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["set"], help="set: create or change one year")
        parser.add_argument("year", nargs="?", help="the year's name, e.g. 2027 or 2027/28")
        parser.add_argument("--first", help="the year's first day, YYYY-MM-DD")
        parser.add_argument("--last", help="the year's last day, YYYY-MM-DD")
        parser.add_argument("--term", action="append", metavar="NAME=FIRST..LAST",
                            help="a term; given once or more, the year's terms become exactly these")
        parser.add_argument("--closed", action="append", metavar="[REASON=]DATE|FIRST..LAST",
                            help="a day or days the school is closed; given once or more, they replace the year's")
        parser.add_argument("--rename", metavar="NEW", help="give the year another name, e.g. 2026 -> 2026/27")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, action, year, first, last, term, closed, rename, format, **options):
        school = current_school()
        if school is None:
            raise CommandError("name the school: school_manage.py NAME calendar", returncode=EXIT_BAD_INPUT)
        try:
            if action == "set":
                self._set(school, year, first, last, term, closed, rename)
            else:
                self._show(format)
        except CalendarError as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None

    def _set(self, school, year, first, last, terms, closed, rename):
        if not year or not first or not last:
            raise CalendarError("write: calendar set YEAR --first YYYY-MM-DD --last YYYY-MM-DD")
        made, created = set_year(
            current_alias(), year, parse_date(first), parse_date(last),
            terms=[parse_span(text, name_required=True) for text in terms] if terms else None,
            closed=[parse_span(text, name_required=False) for text in closed] if closed else None,
            rename=rename,
        )
        claim(current_alias(), year_key(made.name))  # the school's own now: the platform's next change leaves it
        state = "the current year" if made.is_current else "not current (promotion makes it current)"
        self.stdout.write(f"{'Created' if created else 'Changed'} year {made.name} of {school.name}: "
                          f"{made.first_day}..{made.last_day}, {made.terms.count()} terms, {made.closed_days.count()} closed periods; {state}")

    def _show(self, format):
        current_year(current_alias())
        rows = calendar_rows(current_alias())
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        write_table(self.stdout, ("YEAR", "FIRST", "LAST", "CURRENT", "TERMS", "CLOSED"), [
            (row["name"], row["first"], row["last"], "yes" if row["current"] else "", spans(row["terms"]), spans(row["closed"]))
            for row in rows
        ])
