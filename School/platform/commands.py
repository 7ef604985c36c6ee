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

    indicating = actions.add_parser("indicators", help="the ministry's indicators (UIS): enrolment, flow rates, GPI, ratios")
    indicating.add_argument("--year", default="", help="the school year (default: the one most schools call current)")
    indicating.add_argument("--by", choices=("national", "cluster", "school", "grade"), default="national")
    indicating.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    indicating.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")
    indicating.add_argument("--explain", action="store_true", help="each rate's numerator and denominator")

    census = actions.add_parser("census", help="the annual census workbook (xlsx), one sheet per table")
    census.add_argument("--year", required=True)
    census.add_argument("--output", metavar="FILE", required=True)

    population = actions.add_parser("population", help="the census population by age, for GER and NER")
    population.add_argument("population_action", choices=["load"])
    population.add_argument("file", metavar="FILE", help="CSV: year,age,female,male")

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
    if all:
        from School.indicators.dashboard import take_snapshot

        take_snapshot()  # the dashboard's rates, parity and ages by grade, from the counts just stored
    if counts["failed"]:
        raise CommandError(f"{counts['failed']} schools could not be counted (marked unreachable)", returncode=1)


def _figures_ready(model=None):
    """CommandError (exit 2) unless `default` has the figures' tables (a fresh machine, or code newer than the registry);
    `model`: the table the command reads (default SchoolFigures)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from School.platform.models import SchoolFigures
    from School.utils import table_exists

    if not table_exists(connections[DEFAULT_DB_ALIAS], (model or SchoolFigures)._meta.db_table):
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


def handle_indicators(command, by, format, output, year="", explain=False, **options):
    from School.indicators.rates import IndicatorError
    from School.indicators.tables import write_indicators
    from School.platform.models import YearDetail

    _figures_ready(YearDetail)  # not brought up to date first: a report creates nothing
    try:
        write_indicators(by, format, output, getattr(command.stdout, "_out", command.stdout), year, explain)
    except IndicatorError as error:
        raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None


def handle_census(command, year, output, **options):
    from School.indicators.census import write_census
    from School.indicators.rates import IndicatorError
    from School.platform.models import YearDetail

    _figures_ready(YearDetail)  # not brought up to date first: a report creates nothing
    try:
        sheets = write_census(year, output)
    except IndicatorError as error:
        raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None
    command.stdout.write(f"census {year}: {sheets} sheets written to {output}")


def handle_population(command, population_action, file, **options):
    from School.indicators.population import PopulationError, load

    _figures_ready()
    try:
        years, rows = load(file)
    except PopulationError as error:
        raise CommandError(f"{file}: {error}", returncode=EXIT_BAD_INPUT) from None
    command.stdout.write(f"population loaded: {rows} rows for {', '.join(years)}")


PLATFORM_ACTIONS = {"indicators": handle_indicators, "census": handle_census, "population": handle_population,"refresh-figures": handle_refresh_figures, "report": handle_report, "health": handle_health}
