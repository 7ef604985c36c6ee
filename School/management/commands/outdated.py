"""outdated: the pins of requirements*.txt that are behind the package index.

    python manage.py outdated [--requirements FILE] [--format table|json]

Asks the index that pip is configured to use (so it needs the network that
pip needs); a pin kept back on purpose shows the reason written above it in
the file. Exit 0 when it could ask, whatever it found; 1 when the index did
not answer. Not part of the test suite: what the index publishes tomorrow
must not fail today's build.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from School.management.checks import all_but_page_checks
from School.management.tables import write_table
from School.operations.pins import IndexUnavailable, behind, read_pins


class Command(BaseCommand):
    requires_system_checks = all_but_page_checks()  # it serves no page (School/management/checks.py)
    help = "List every pinned dependency that is behind the newest release on the package index."

    def add_arguments(self, parser):
        parser.add_argument(
            "--requirements", default=str(Path(settings.BASE_DIR) / "requirements-dev.txt"),
            help="The requirements file to read (its -r includes too). Default: requirements-dev.txt.",
        )
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, requirements, format, **options):
        path = Path(requirements)
        if not path.is_file():
            raise CommandError(f"No requirements file at {path}.")
        pins = read_pins(path)
        try:
            found = behind(pins)
        except IndexUnavailable as error:
            raise CommandError(f"The package index did not answer for {error}.", returncode=1)
        if format == "json":
            self.stdout.write(json.dumps([
                {"package": b.pin.name, "pinned": b.pin.version, "newest": b.newest, "change": b.change,
                 "file": b.pin.file, "held_back": b.pin.held_back}
                for b in found
            ], indent=2))
            return
        if not found:
            self.stdout.write(f"All {len(pins)} pins are the newest releases.")
            return
        write_table(self.stdout, ("package", "pinned", "newest", "change", "file", "held back because"), [
            (b.pin.name, b.pin.version, b.newest, b.change, b.pin.file, b.pin.held_back) for b in found
        ])
        self.stdout.write(f"{len(found)} of {len(pins)} pins are behind.")
