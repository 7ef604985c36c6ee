"""up: everything a newcomer needs, in one command.

Creates the registry, the demo schools on an empty registry, migrates every
school, prints where to find them and runs the development server, with a job
worker beside it (`worker`, stopped with the server) unless --no-worker.
"""

import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from School.operations.demo import create_demo_schools
from School.operations.provisioning import ensure_registry, migrate_school
from School.models import School
from School.utils import DEFAULT_SCHOOL, all_schools


class Command(BaseCommand):
    help = "Set up the schools (demo schools on a fresh machine) and run the development server."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="HOST:PORT to serve on")
        parser.add_argument("--no-demo", action="store_true", help="register only the default school, without students")
        parser.add_argument("--no-serve", action="store_true", help="set up and migrate, but do not run the server")
        parser.add_argument("--no-worker", action="store_true", help="serve without a job worker (one runs elsewhere)")

    def handle(self, *args, addr, no_demo, no_serve, no_worker, **options):
        ensure_registry()
        if not School.objects.using(DEFAULT_SCHOOL).exists():
            self.stdout.write("Empty registry: creating " + ("the default school" if no_demo else "the demo schools"))
            create_demo_schools(with_students=not no_demo)
        for school in all_schools():
            migrate_school(school)
        port = addr.rsplit(":", 1)[-1]
        self.stdout.write("\nSchools:")
        for school in all_schools():
            if not school.hosts:
                continue
            url = f"http://{_browsable(school.hosts)}:{port}/"
            self.stdout.write(f"  {school.display_name:<24} {url}  (admin: {url}admin/)")
        self.stdout.write(
            "\nAdmin users: school_manage.py NAME createsuperuser. "
            "Hosts other than *.localhost need /etc/hosts lines: school_manage.py hosts.\n"
        )
        if no_serve:
            return
        worker = None if no_worker else _start_worker()
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(30)


def _start_worker():
    """The job worker of the embedded default, as its own process (Huey's consumer wants a main thread)."""
    return subprocess.Popen([sys.executable, str(Path(settings.BASE_DIR) / "school_manage.py"), "worker", "--processes", "1"])


def _browsable(hosts):
    """The host a browser reaches without /etc/hosts, if the school has one."""
    for host in hosts:
        if host == "localhost" or host.endswith(".localhost"):
            return host
    return hosts[0]
