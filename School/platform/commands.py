"""`schools refresh-figures | report | health`: the subcommands of `schools` that look across schools.

Kept apart from the `schools` command, which stays about the registry; the
work itself is in refresh.py, report.py and health.py.
"""

from django.core.management.base import CommandError

from School.operations.fanout import default_jobs
from School.platform.health import write_health
from School.platform.report import BY_CHOICES, FORMATS, ReportError, write_report
from School.platform.refresh import DEFAULT_BATCH, refresh

EXIT_BAD_INPUT = 2


def add_platform_actions(actions):
    refreshing = actions.add_parser("refresh-figures", help="recount students by class and status from each school")
    which = refreshing.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?", help="one school")
    which.add_argument("--all", action="store_true", help="every school")
    refreshing.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: the number of cores)")
    refreshing.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="schools stored per transaction")

    reporting = actions.add_parser("report", help="students by school, class, status or cluster (figures only)")
    reporting.add_argument("--by", choices=BY_CHOICES, default="national")
    reporting.add_argument("--format", choices=FORMATS, default="table")
    reporting.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")
    reporting.add_argument("--year", default="", help="with --by grade: that year's enrolments (default: each school's current year)")

    checking = actions.add_parser("health", help="schools that need attention (exit 1 if any)")
    checking.add_argument("--format", choices=["table", "json"], default="table")


def handle_refresh_figures(command, name, all, jobs, batch, **options):
    from School.operations.provisioning import SchoolError
    from School.utils import all_schools, school_by_name

    if jobs < 1 or batch < 1:
        raise SchoolError("--jobs and --batch need a whole number of at least 1")
    if all:
        schools = all_schools()
    else:
        school = school_by_name(name)
        if school is None:
            raise SchoolError(f"unknown school {name!r}")
        schools = [school]
    out = getattr(command.stdout, "_out", command.stdout)  # the raw stream: the bar redraws one line
    err = getattr(command.stderr, "_out", command.stderr)
    counts = refresh(schools, jobs, out, err, batch)
    if counts["failed"]:
        raise CommandError(f"{counts['failed']} schools could not be counted (marked unreachable)", returncode=1)


def _figures_ready():
    """CommandError (exit 2) unless `default` has the figures' tables (a fresh machine, or code newer than the registry)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from School.platform.models import SchoolFigures
    from School.utils import table_exists

    if not table_exists(connections[DEFAULT_DB_ALIAS], SchoolFigures._meta.db_table):
        raise CommandError("the registry has no figures yet: run `school_manage.py up` or `--all migrate` first",
                           returncode=EXIT_BAD_INPUT)


def handle_report(command, by, format, output, year="", **options):
    _figures_ready()
    try:
        write_report(by, format, output, getattr(command.stdout, "_out", command.stdout), year)
    except ReportError as error:
        raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None


def handle_health(command, format, **options):
    _figures_ready()
    if write_health(getattr(command.stdout, "_out", command.stdout), format == "json"):
        raise CommandError("some schools need attention", returncode=1)


PLATFORM_ACTIONS = {"refresh-figures": handle_refresh_figures, "report": handle_report, "health": handle_health}
