"""schools list | add | remove | ... | restore | clone | move: the registry of schools, from the command line."""

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from multitenant.databases import MONGODB
from School.accounts import host_notice
from School.branding.commands import add_branding_arguments, branding_change
from School.branding.refusals import BrandingRefused
from School.branding.service import set_branding
from School.context import tenant_context
from School.availability import unavailable_reason
from School.management.checks import all_but_page_checks
from School.operations.provisioning import (
    SchoolError,
    add_host,
    add_school,
    ensure_registry,
    remove_host,
    remove_school,
    set_school,
    set_suspended,
)
from School.documents.usage import usage_by_school
from School.management.school_backups import BACKUP_ACTIONS, add_backup_actions
from School.management.school_answers import confirm, database_of
from School.management.tables import write_listing
from School.platform.commands import PLATFORM_ACTIONS, add_platform_actions
from School.operations.backups import BackupError
from School.operations.clusters import cluster_of
from School.school_year.platform_cli import SCHOOL_YEAR_ACTIONS, add_school_year_actions
from School.transfers.cli import TRANSFER_ACTIONS, add_transfer_actions
from School.jobs.cli import JOB_ACTIONS, add_job_actions
from School.identity.cli import IDENTITY_ACTIONS, add_identity_actions
from School.utils import all_schools, registry_is_migrated, school_by_name

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 1


def add_locale_arguments(parser, default_help):
    parser.add_argument("--language", help=f"language of its pages: {', '.join(dict(settings.LANGUAGES))} ({default_help}LANGUAGE)")
    parser.add_argument("--time-zone", help=f"IANA time zone, e.g. Africa/Nairobi ({default_help}TIME_ZONE)")
    parser.add_argument("--date-order", choices=["dmy", "mdy", "iso"],
                        help=f"how the school writes dates: day first, month first or ISO ({default_help}DATE_ORDER)")


def locale_options(options):
    return {field: options.get(field) for field in ("language", "time_zone", "date_order")}


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "List, add, remove, suspend or resume schools, and change their hosts."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True,
            metavar="{list,add,set,import,migrations,remove,suspend,resume,add-host,remove-host,restore,clone,move,"
            "transfer,transfers,refresh-figures,report,health,jobs,calendar,grades,learner-numbers,duplicates}",
        )
        add_backup_actions(actions)
        add_transfer_actions(actions)
        add_platform_actions(actions)
        add_job_actions(actions)
        add_school_year_actions(actions)
        add_identity_actions(actions)

        listing = actions.add_parser("list", help="every school with its hosts and database")
        listing.add_argument("--format", choices=["table", "json"], default="table")

        add = actions.add_parser("add", help="create, migrate and register a school")
        add.add_argument("name")
        add.add_argument("--host", action="append", dest="hosts", required=True, metavar="HOST")
        add.add_argument("--display-name", default="")
        add.add_argument("--mongodb-uri", default="", help="a cluster of its own for this school")
        add.add_argument("--cluster", default="", help="a cluster of MONGODB_CLUSTERS (default: the one with fewest schools)")
        add_locale_arguments(add, "default: SCHOOL_DEFAULT_")

        change = actions.add_parser("set", help="change a school's display name, language, time zone, date order or branding")
        change.add_argument("name")
        change.add_argument("--display-name", default="")
        add_locale_arguments(change, "unchanged if not given; default of new schools: SCHOOL_DEFAULT_")
        add_branding_arguments(change)

        bulk = actions.add_parser("import", help="add the schools of a CSV file (name, hosts, display_name[, cluster])")
        bulk.add_argument("file")

        report = actions.add_parser("migrations", help="applied and pending migrations of every school")
        report.add_argument("--pending", action="store_true", help="list only schools with pending migrations or errors")
        report.add_argument("--format", choices=["table", "json"], default="table")

        remove = actions.add_parser("remove", help="stop serving a school (data kept)")
        remove.add_argument("name")
        remove.add_argument("--drop-data", action="store_true", help="also delete the school's database")
        remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")

        for action, help_text in [
            ("suspend", "answer 'temporarily unavailable' on the school's hosts (data kept)"),
            ("resume", "serve a suspended school again"),
        ]:
            actions.add_parser(action, help=help_text).add_argument("name")
        for action, help_text in [("add-host", "serve the school at one more host"), ("remove-host", "stop serving it at a host")]:
            host_action = actions.add_parser(action, help=help_text)
            host_action.add_argument("name")
            host_action.add_argument("host")

    def handle(self, *args, action, **options):
        try:
            # Reporting must not create anything (nor load every migration from disk, a tenth of a report's time).
            if action not in ("list", "migrations", "report", "health", "indicators", "census"):
                ensure_registry()
            if action in BACKUP_ACTIONS:
                return BACKUP_ACTIONS[action](self, **options)
            if action in TRANSFER_ACTIONS:
                return TRANSFER_ACTIONS[action](self, **options)
            if action in PLATFORM_ACTIONS:
                return PLATFORM_ACTIONS[action](self, **options)
            if action in JOB_ACTIONS:
                return JOB_ACTIONS[action](self, **options)
            if action in IDENTITY_ACTIONS:
                return IDENTITY_ACTIONS[action](self, **options)
            if action in SCHOOL_YEAR_ACTIONS:
                return SCHOOL_YEAR_ACTIONS[action](self, **options)
            getattr(self, f"handle_{action.replace('-', '_')}")(**options)
        except (SchoolError, BackupError) as error:
            # A full disk or a busy database is no typing mistake: exit 1, as for an unreachable one.
            status = EXIT_UNAVAILABLE if unavailable_reason(error) else EXIT_BAD_INPUT
            raise CommandError(str(error), returncode=status) from None

    def handle_list(self, format, **options):
        schools = all_schools() if registry_is_migrated() else []
        usage = usage_by_school() if schools else {}
        rows = [
            {
                "name": school.name,
                "display_name": school.display_name,
                "hosts": list(school.hosts),
                "status": "suspended" if school.suspended else "active",
                "database": database_of(school),
                "cluster": cluster_of(school),
                "language": school.language,
                "time_zone": school.time_zone,
                "date_order": school.date_order,
                "files": usage.get(school.name, (0, 0))[0],
                "file_bytes": usage.get(school.name, (0, 0))[1],
            }
            for school in schools
        ]
        write_listing(
            self.stdout, rows, format, "No schools yet: run `school_manage.py up` or `school_manage.py schools add`.",
            ("NAME", "DISPLAY NAME", "STATUS", "HOSTS", "FILES", "DATABASE"),
            lambda row: (
                row["name"], row["display_name"], row["status"], ", ".join(row["hosts"]) or "-",
                f"{row['files']} ({filesizeformat(row['file_bytes'])})".replace("\xa0", " "), row["database"],
            ),
        )
        if format == "json" or not rows:
            return
        if settings.SCHOOL_ENGINE == MONGODB:
            per_cluster = Counter(dict.fromkeys(settings.MONGODB_CLUSTERS, 0))
            per_cluster.update(row["cluster"] for row in rows)
            self.stdout.write("\nSchools per cluster: " + ", ".join(f"{name} {n}" for name, n in sorted(per_cluster.items())))

    def handle_add(self, name, hosts, display_name, mongodb_uri, cluster, **options):
        school = add_school(name, hosts, display_name, mongodb_uri, cluster, locale=locale_options(options))
        self.stdout.write(f"Added school {school.name} ({school.display_name}) at {', '.join(school.hosts)}")

    def handle_set(self, name, display_name, **options):
        school = school_by_name(name)
        if school is None:
            raise SchoolError(f"unknown school {name!r}")
        try:
            # Checked before anything is written: a refused logo leaves the display name as it was too.
            branding = branding_change(options, options.get("language") or school.language)
        except BrandingRefused as refusal:
            raise SchoolError(str(refusal)) from None
        changed = set_school(name, display_name, locale_options(options))
        said = [f"{field.replace('_', ' ')} {value}" for field, value in changed.items()]
        if branding:
            with tenant_context(name):
                said += set_branding(name, **branding)
        if not said:
            self.stdout.write(f"School {name}: nothing to change")
            return
        self.stdout.write(f"School {name}: {', '.join(said)} (every worker within SCHOOL_REGISTRY_TTL)")

    def handle_import(self, file, **options):
        from School.operations.bulk_import import FAILED, import_schools, read_rows
        from School.operations.fanout import Progress

        rows = read_rows(file)
        # The raw stream: OutputWrapper would end each redraw of the bar with a newline.
        progress = Progress(len(rows), getattr(self.stdout, "_out", self.stdout))
        failures = []

        def report(outcome):
            progress.update(outcome)
            if outcome.status == FAILED:
                failures.append(outcome)
                self.stderr.write(f"{file}:{outcome.line}: {outcome.detail}")

        counts = import_schools(rows, report)
        self.stdout.write(", ".join(f"{count} {status}" for status, count in counts.items()) + f" ({len(rows)} rows)")
        if failures:
            lines = ", ".join(str(outcome.line) for outcome in failures)
            raise CommandError(f"{len(failures)} rows failed (lines {lines}); fix them and rerun: the others are skipped", returncode=1)

    def handle_migrations(self, pending, format, **options):
        from School.operations.migration_report import FAILED, Report, school_states

        report = Report(self.stdout, format == "json", pending)
        for state in school_states(all_schools() if registry_is_migrated() else []):
            report.add(*state)
        if report.finish()[FAILED]:
            raise CommandError("some schools could not be read", returncode=1)

    def handle_remove(self, name, drop_data, yes, **options):
        if drop_data and not yes:
            confirm(name, f"--drop-data deletes every record of {name!r}", "Delete every record of school {name!r} for good?", "removed")
        school = remove_school(name, drop_data=drop_data)
        kept = "its data was deleted" if drop_data else f"its data is kept in {database_of(school)}"
        self.stdout.write(f"Removed school {name}: no longer served; {kept}")

    def handle_suspend(self, name, **options):
        set_suspended(name, True)
        self.stdout.write(f"Suspended school {name}: its hosts answer 'temporarily unavailable'; data kept")

    def handle_resume(self, name, **options):
        set_suspended(name, False)
        self.stdout.write(f"Resumed school {name}")

    def handle_add_host(self, name, host, **options):
        added = add_host(name, host)
        self._announce(name, [added], [])
        self.stdout.write(f"School {name} is now also served at {added}")

    def handle_remove_host(self, name, host, **options):
        removed = remove_host(name, host)
        self._announce(name, [], [removed])
        self.stdout.write(f"School {name} is no longer served at {removed}")

    def _announce(self, name, added, removed):
        if not host_notice.announce(name, added, removed, actor="operator"):
            self.stderr.write(f"warning: {name}'s database could not record the change or tell its administrators")
