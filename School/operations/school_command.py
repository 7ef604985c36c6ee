"""Run one Django command as one school (used by the CLI and by its fan-out).

The command runs with the school active (so the ORM goes to its database) AND,
when the command has a --database option, with --database=NAME, because
Django's migrate and createsuperuser use that option rather than the router.
"""

from django.core.management import get_commands, load_command_class

from School.context import tenant_context


class UsageError(Exception):
    pass


def database_option(argv):
    """The value given to --database in argv, or None."""
    for index, arg in enumerate(argv):
        if arg.startswith("--database="):
            return arg.split("=", 1)[1]
        if arg == "--database" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def load_command(prog, name):
    app = get_commands().get(name)
    if app is None:
        raise UsageError(f"unknown command {name!r}; see `{prog} help` and `manage.py help`")
    return app if not isinstance(app, str) else load_command_class(app, name)


_database_option = {}  # command class -> whether its parser has a --database default


def _takes_database(command, prog, name):
    # Asked once per command class: building the parser again for each of 100,000 schools in a fan-out worker
    # was a twentieth of a school's promotion (run_from_argv builds its own).
    kind = type(command)
    if kind not in _database_option:
        _database_option[kind] = command.create_parser(prog, name).get_default("database") is not None
    return _database_option[kind]


def command_argv_for_school(prog, school, argv):
    """argv with --database=SCHOOL added where the command takes it."""
    command = load_command(prog, argv[0])
    given = database_option(argv)
    if given is not None and given != school.alias:
        raise UsageError(f"--database={given} contradicts the school {school.name!r} named before the command")
    if given is None and _takes_database(command, prog, argv[0]):
        argv = [*argv, f"--database={school.alias}"]
    return command, argv


def run_for_school(prog, school, argv, before_close=None):
    """Run one Django command as `school`; returns its exit status.

    `before_close()` runs once the command is done (or failed), before Django
    closes its connections: the fan-out recounts the school there, on the
    connection the command opened. After the close, the recount opened the
    school's file again (its schema read again) and closed it again (a second
    checkpoint): a tenth of a school's `--all promote`.
    """
    with tenant_context(school):
        command, argv = command_argv_for_school(prog, school, argv)
        if before_close is not None:
            execute = command.execute

            def execute_then(*args, **options):
                try:
                    return execute(*args, **options)
                finally:
                    before_close()

            command.execute = execute_then  # run_from_argv closes every connection after execute() returns
        try:
            command.run_from_argv([prog, *argv])
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else 1
    return 0
