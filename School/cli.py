"""school_manage.py and manage.py: run Django commands as a school.

    school_manage.py NAME COMMAND [ARGS ...]   one school
    school_manage.py --all COMMAND [ARGS ...]  every school, in parallel (School/operations/fanout.py)
    school_manage.py up | schools ... | hosts | worker  the platform's own commands

How one command runs as one school: School/operations/school_command.py.
"""

import logging
import os
import sys

import django
from django.core.management import execute_from_command_line, get_commands

from School.availability import unavailable_reason
from School.operations.school_command import UsageError, database_option, load_command, run_for_school

logger = logging.getLogger(__name__)

WRAPPER_COMMANDS = ("up", "schools", "hosts", "worker")
USAGE = """\
usage: {prog} up [--addr HOST:PORT] [--no-demo]
       {prog} schools list [--format table|json]
       {prog} schools add NAME --host HOST [--host HOST ...] [--display-name TEXT] [--mongodb-uri URI]
       {prog} schools remove NAME [--drop-data] [--yes]
       {prog} schools suspend|resume NAME
       {prog} schools add-host|remove-host NAME HOST
       {prog} schools restore FILE --as NAME --host HOST [--host ...] | --replace NAME [--yes]
       {prog} schools clone SRC DST --host HOST [--schema-only]
       {prog} schools move NAME --to sqlite|sqlite:DIR|CLUSTER_URI [--drop-source]
       {prog} NAME backup [--output FILE | --output-dir DIR] [--keep N]
       {prog} hosts [--ip 127.0.0.1]
       {prog} worker [--processes N]     run jobs from the queue (School/jobs/)
       {prog} NAME COMMAND [ARGS ...]     run a Django command for one school
       {prog} --all [--jobs N] COMMAND [ARGS ...]
                                        run a Django command for every school, N at a time
"""
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 1


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")
    django.setup()


def run_for_all(prog, argv, stdout, stderr):
    """--all [--jobs N] COMMAND ...: every school; exit 1 if any failed."""
    from School.operations.fanout import FAILED, default_jobs, is_plain_migrate, parse_jobs, run_for_all_schools
    from School.operations.provisioning import ensure_registry
    from School.utils import all_schools

    try:
        jobs, argv = parse_jobs(argv)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not argv:
        raise UsageError("--all needs a command, e.g. --all migrate")
    command = load_command(prog, argv[0])
    jobs = jobs or default_jobs(command)
    if is_plain_migrate(argv):
        ensure_registry()  # the list of schools may need the new registry schema
    counts = run_for_all_schools(prog, all_schools(), argv, jobs, stdout, stderr)
    return 1 if counts[FAILED] else 0


def main(argv=None, stdout=sys.stdout, stderr=sys.stderr):
    """Entry point of school_manage.py; returns the exit status."""
    argv = list(sys.argv if argv is None else argv)
    prog = os.path.basename(argv[0])
    args = argv[1:]
    if not args or args[0] in ("-h", "--help", "help"):
        (stdout if args else stderr).write(USAGE.format(prog=prog))
        return 0 if args else EXIT_USAGE
    _setup()
    try:
        if args[0] in WRAPPER_COMMANDS:
            execute_from_command_line([prog, *args])
            return 0
        if args[0] == "--all":
            return run_for_all(prog, args[1:], stdout, stderr)
        return _run_named(prog, args)
    except UsageError as error:
        stderr.write(f"{prog}: error: {error}\n")
        return EXIT_USAGE
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None:
            raise
        stderr.write(f"{prog}: error: {reason}\n")
        return EXIT_UNAVAILABLE


def _run_named(prog, args):
    from School.context import UnknownSchool, resolve_school

    name, rest = args[0], args[1:]
    if name.startswith("-"):
        raise UsageError(f"unknown option {name!r}\n" + USAGE.format(prog=prog))
    try:
        school = resolve_school(name)
    except UnknownSchool as error:
        hint = f" (to run {name!r} for a school: {prog} NAME {name})" if name in get_commands() else ""
        raise UsageError(f"{error}{hint}") from None
    if not rest:
        raise UsageError(f"no command given for school {name!r}, e.g. {prog} {name} migrate")
    return run_for_school(prog, school, rest)


def manage_main(argv=None):
    """manage.py: Django's own entry point, made aware of school aliases.

    `manage.py migrate --database=accra` needs the alias `accra` to exist
    before Django parses its options, and runs with Accra active.
    """
    argv = list(sys.argv if argv is None else argv)
    _setup()
    name = database_option(argv)
    if name:
        from School.context import UnknownSchool, tenant_context

        try:
            with tenant_context(name):
                execute_from_command_line(argv)
            return
        except UnknownSchool as error:
            sys.stderr.write(f"{os.path.basename(argv[0])}: error: {error}\n")
            sys.exit(EXIT_USAGE)
    execute_from_command_line(argv)
