"""schools list | add | remove | ... | restore | clone | move: the registry of schools, from the command line."""

import json
import sys
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from multitenant.databases import MONGODB
from School.connections import sqlite_file
from School.operations.provisioning import (
    SchoolError,
    add_host,
    add_school,
    ensure_registry,
    remove_host,
    remove_school,
    set_suspended,
)
from School.connections import cluster_uri
from School.management.school_backups import BACKUP_ACTIONS, add_backup_actions
from School.platform.commands import PLATFORM_ACTIONS, add_platform_actions
from School.operations.backups import BackupError
from School.operations.clusters import cluster_of
from School.utils import all_schools, registry_is_migrated
from School.uri import redact_uri

EXIT_BAD_INPUT = 2


def database_of(school):
    """Where the school's data is, without credentials."""
    if settings.SCHOOL_ENGINE == MONGODB:
        cluster = redact_uri(cluster_uri(school))
        return f"{school.database or settings.MONGODB_DB_PREFIX + school.name} on {cluster}"
    return str(sqlite_file(school))


def confirm(name, refusal, question, undone):
    """Ask to type the school's name (SchoolError without a terminal: --yes is needed)."""
    if not sys.stdin.isatty():
        raise SchoolError(f"{refusal}: add --yes to confirm")
    answer = input(f"{question.format(name=name)} Type the name to confirm: ")
    if answer.strip() != name:
        raise SchoolError(f"not confirmed; nothing was {undone}")


class Command(BaseCommand):
    help = "List, add, remove, suspend or resume schools, and change their hosts."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True,
            metavar="{list,add,import,migrations,remove,suspend,resume,add-host,remove-host,restore,clone,move,refresh-figures,report,health}",
        )
        add_backup_actions(actions)
        add_platform_actions(actions)

        listing = actions.add_parser("list", help="every school with its hosts and database")
        listing.add_argument("--format", choices=["table", "json"], default="table")

        add = actions.add_parser("add", help="create, migrate and register a school")
        add.add_argument("name")
        add.add_argument("--host", action="append", dest="hosts", required=True, metavar="HOST")
        add.add_argument("--display-name", default="")
        add.add_argument("--mongodb-uri", default="", help="a cluster of its own for this school")
        add.add_argument("--cluster", default="", help="a cluster of MONGODB_CLUSTERS (default: the one with fewest schools)")

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
            if action not in ("list", "migrations", "report", "health"):  # reporting must not create anything
                ensure_registry()
            if action in BACKUP_ACTIONS:
                return BACKUP_ACTIONS[action](self, **options)
            if action in PLATFORM_ACTIONS:
                return PLATFORM_ACTIONS[action](self, **options)
            getattr(self, f"handle_{action.replace('-', '_')}")(**options)
        except (SchoolError, BackupError) as error:
            raise CommandError(str(error), returncode=EXIT_BAD_INPUT) from None

    def handle_list(self, format, **options):
        schools = all_schools() if registry_is_migrated() else []
        rows = [
            {
                "name": school.name,
                "display_name": school.display_name,
                "hosts": list(school.hosts),
                "status": "suspended" if school.suspended else "active",
                "database": database_of(school),
                "cluster": cluster_of(school),
            }
            for school in schools
        ]
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No schools yet: run `school_manage.py up` or `school_manage.py schools add`.")
            return
        header = ("NAME", "DISPLAY NAME", "STATUS", "HOSTS", "DATABASE")
        table = [header] + [
            (row["name"], row["display_name"], row["status"], ", ".join(row["hosts"]) or "-", row["database"])
            for row in rows
        ]
        widths = [max(len(line[column]) for line in table) for column in range(len(header))]
        for line in table:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        if settings.SCHOOL_ENGINE == MONGODB:
            per_cluster = Counter(dict.fromkeys(settings.MONGODB_CLUSTERS, 0))
            per_cluster.update(row["cluster"] for row in rows)
            self.stdout.write("\nSchools per cluster: " + ", ".join(f"{name} {n}" for name, n in sorted(per_cluster.items())))

    def handle_add(self, name, hosts, display_name, mongodb_uri, cluster, **options):
        school = add_school(name, hosts, display_name, mongodb_uri, cluster)
        self.stdout.write(f"Added school {school.name} ({school.display_name}) at {', '.join(school.hosts)}")

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
        self.stdout.write(f"School {name} is now also served at {add_host(name, host)}")

    def handle_remove_host(self, name, host, **options):
        self.stdout.write(f"School {name} is no longer served at {remove_host(name, host)}")
