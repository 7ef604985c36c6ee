"""`schools calendar [set|import]` and `schools grades [set]`: the platform calendar and national ladder.

Bad input (a year overlapping another of the platform's, a term outside its
year, a grade named twice, an unknown school) is one line and exit 2 with
nothing written anywhere; a school that refuses is listed and the command
exits 1 once the others are done.
"""

import json

from django.core.management.base import CommandError

from School.management.tables import write_table
from School.operations.fanout import default_jobs
from School.school_year.calendar import CalendarError, parse_date, parse_span
from School.school_year.calendar_file import read_calendar
from School.school_year.ladder import LadderError
from School.school_year.national import platform_ladder, platform_years, save_ladder, save_years, year_payload
from School.school_year.rollout import FAILED, REFUSED, TargetError, roll_out, target_schools

EXIT_BAD_INPUT = 2


def _add_targets(parser):
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every school")
    which.add_argument("--school", nargs="+", action="extend", metavar="NAME", help="these schools")
    which.add_argument("--cluster", metavar="NAME", help="the schools of one MongoDB cluster")
    parser.add_argument("--override", action="store_true", help="replace what a school changed itself too")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: the number of cores)")


def add_school_year_actions(actions):
    calendar = actions.add_parser("calendar", help="the platform calendar: show it, set a year, import a file")
    calendar.add_argument("--format", choices=["table", "json"], default="table")
    steps = calendar.add_subparsers(dest="step")
    setting = steps.add_parser("set", help="set one year of the platform calendar and apply it to schools")
    setting.add_argument("year", help="the year's name, e.g. 2027 or 2027/28")
    setting.add_argument("--first", required=True, help="the year's first day, YYYY-MM-DD")
    setting.add_argument("--last", required=True, help="the year's last day, YYYY-MM-DD")
    setting.add_argument("--term", action="append", default=[], metavar="NAME=FIRST..LAST")
    setting.add_argument("--closed", action="append", default=[], metavar="[REASON=]DATE|FIRST..LAST")
    _add_targets(setting)
    importing = steps.add_parser("import", help="set the years of a CSV or xlsx file and apply them to schools")
    importing.add_argument("file", help="columns year, kind (year|term|closed), name, first, last")
    _add_targets(importing)
    _add_targets(steps.add_parser("apply", help="apply the platform calendar as it is (e.g. after a change in the admin)"))

    grades = actions.add_parser("grades", help="the national grade ladder: show it, or set it and apply it to schools")
    grades.add_argument("--format", choices=["table", "json"], default="table")
    steps = grades.add_subparsers(dest="step")
    setting = steps.add_parser("set", help="the ladder, lowest first")
    setting.add_argument("grades", nargs="+", metavar="GRADE")
    setting.add_argument("--final", action="append", default=[], metavar="GRADE", help="a grade whose students graduate")
    setting.add_argument("--level", action="append", default=[], metavar="GRADE=LEVEL",
                         help="the grade's level: primary, lower-secondary or upper-secondary")
    setting.add_argument("--isced", action="append", default=[], metavar="GRADE=CODE", help="the grade's ISCED code")
    _add_targets(setting)
    _add_targets(steps.add_parser("apply", help="apply the national ladder as it is (e.g. after a change in the admin)"))


def _bad(error):
    return CommandError(str(error), returncode=EXIT_BAD_INPUT)


def _targets(options):
    if options["jobs"] < 1:
        raise _bad("--jobs needs a whole number of at least 1")
    try:
        return target_schools(options["all"], options["school"] or (), options["cluster"] or "")
    except TargetError as error:
        raise _bad(error) from None


def _roll_out(command, schools, kind, payload, options):
    out = getattr(command.stdout, "_out", command.stdout)  # the raw stream: the bar redraws one line
    err = getattr(command.stderr, "_out", command.stderr)
    counts = roll_out(schools, kind, payload, options["override"], options["jobs"], out, err)
    if counts[REFUSED] or counts[FAILED]:
        raise CommandError(f"{counts[REFUSED] + counts[FAILED]} schools refused or failed (listed above); "
                           f"fix them and rerun: the others are up to date", returncode=1)


def handle_calendar(command, step=None, format="table", **options):
    if step is None:
        return _show_calendar(command, format)
    schools = _targets(options)  # before anything is stored: an unknown school writes nothing
    try:
        if step == "apply":
            saved = platform_years()
            if not saved:
                raise CalendarError("the platform calendar is empty: `schools calendar set YEAR ...` first")
            return _roll_out(command, schools, "calendar", [year_payload(year) for year in saved], options)
        if step == "set":
            years = [(
                options["year"], parse_date(options["first"]), parse_date(options["last"]),
                [parse_span(text, name_required=True) for text in options["term"]],
                [parse_span(text, name_required=False) for text in options["closed"]],
            )]
        else:
            years = read_calendar(options["file"])
        saved = save_years(years)
    except CalendarError as error:
        raise _bad(error) from None
    command.stdout.write(f"Platform calendar: {', '.join(year.name for year in saved)} stored; applying to {len(schools)} schools")
    _roll_out(command, schools, "calendar", [year_payload(year) for year in saved], options)


def handle_grades(command, step=None, format="table", **options):
    if step is None:
        return _show_ladder(command, format)
    schools = _targets(options)
    try:
        if step == "apply":
            ladder = platform_ladder()
            if ladder is None:
                raise LadderError("there is no national grade ladder: `schools grades set GRADE ...` first")
        else:
            ladder = save_ladder(options["grades"], options["final"], options["level"], options["isced"])
    except LadderError as error:
        raise _bad(error) from None
    command.stdout.write(f"National grade ladder: {' -> '.join(ladder.grades)} (final: {', '.join(ladder.finals) or 'none'}); "
                         f"applying to {len(schools)} schools")
    _roll_out(command, schools, "ladder", (ladder.grades, ladder.finals, ladder.levels, ladder.isced), options)


def _spans(rows, label):
    return "; ".join(f"{row.get(label) or ''} {row['first']}..{row['last']}".strip() for row in rows)


def _show_calendar(command, format):
    years = platform_years()
    if format == "json":
        rows = [{"name": y.name, "first": y.first_day, "last": y.last_day, "terms": y.terms, "closed": y.closed} for y in years]
        command.stdout.write(json.dumps(rows, indent=2, default=str))
        return
    if not years:
        command.stdout.write("The platform calendar is empty: `schools calendar set YEAR ...` or `schools calendar import FILE`.")
        return
    write_table(command.stdout, ("YEAR", "FIRST", "LAST", "TERMS", "CLOSED"), [
        (y.name, y.first_day, y.last_day, _spans(y.terms, "name"), _spans(y.closed, "reason")) for y in years
    ])


def _show_ladder(command, format):
    ladder = platform_ladder()
    grades, finals = (ladder.grades, ladder.finals) if ladder else ([], [])
    if format == "json":
        command.stdout.write(json.dumps({"grades": grades, "finals": finals}, indent=2))
        return
    if not grades:
        command.stdout.write("No national grade ladder: `schools grades set GRADE ... [--final GRADE ...] --all`.")
        return
    write_table(command.stdout, ("POSITION", "GRADE", "FINAL"), [
        (position, name, "yes" if name in finals else "") for position, name in enumerate(grades, start=1)
    ])


SCHOOL_YEAR_ACTIONS = {"calendar": handle_calendar, "grades": handle_grades}
