"""Run one Django command as one school (used by the CLI and by its fan-out).

The command runs with the school active (so the ORM goes to its database) AND,
when the command has a --database option, with --database=NAME, because
Django's migrate and createsuperuser use that option rather than the router.
"""

from django.core.management import get_commands, handle_default_options, load_command_class
from django.core.management.base import CommandError, SystemCheckError
from django.db import connections

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


_parsers = {}  # (command class, prog, name) -> its parser, where it can be kept
_database_option = {}  # command class -> whether its parser has a --database default


def _parser(command, prog, name):
    # Kept per command class: building it again for each of 100,000 schools in a fan-out worker was a
    # twentieth of a school's promotion. Not one whose --database lists its choices: Django's own commands
    # (migrate) list the connections' aliases there, which change from one school to the next.
    command._called_from_command_line = True  # as run_from_argv: a bad option prints the usage and exits 2
    key = (type(command), prog, name)
    parser = _parsers.get(key)
    if parser is None:
        parser = command.create_parser(prog, name)
        if not any(action.dest == "database" and action.choices for action in parser._actions):
            _parsers[key] = parser
    return parser


def _takes_database(command, prog, name):
    kind = type(command)
    if kind not in _database_option:
        _database_option[kind] = _parser(command, prog, name).get_default("database") is not None
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


def run_for_school(prog, school, argv, before_close=None, keep=()):
    """Run one Django command as `school`; returns its exit status.

    `before_close()` runs once the command is done (or failed), before its
    connections are closed: the fan-out recounts the school there, on the
    connection the command opened (after the close, the recount opened the
    school's file again, its schema read again, and closed it again: a
    second checkpoint). Every connection is closed then but the aliases in
    `keep`: a fan-out worker keeps `default` open from one school to the
    next, which otherwise it opened, read the schema of and checkpointed
    once a school (7% of a school's `--all promote` in instructions, and
    most of its writes to `default`'s file and its syncs).
    """
    with tenant_context(school):
        command, argv = command_argv_for_school(prog, school, argv)
        try:
            return run_command(command, prog, argv)
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else 1
        finally:
            try:
                if before_close is not None:
                    before_close()
            finally:
                close_connections(keep)


def run_command(command, prog, argv):
    """Django's BaseCommand.run_from_argv, without its closing of every connection (run_for_school closes what
    it should) and with the parser kept (_parser); returns the exit status."""
    options = _parser(command, prog, argv[0]).parse_args(argv[1:])
    handle_default_options(options)
    cmd_options = vars(options)
    args = cmd_options.pop("args", ())
    try:
        command.execute(*args, **cmd_options)
    except CommandError as error:
        if options.traceback:
            raise
        if isinstance(error, SystemCheckError):  # it formats itself
            command.stderr.write(str(error), lambda text: text)
        else:
            command.stderr.write(f"{type(error).__name__}: {error}")
        return error.returncode
    return 0


def close_connections(keep=()):
    """Close this thread's connections, but those of the aliases in `keep`."""
    for connection in connections.all(initialized_only=True):
        if connection.alias not in keep:
            connection.close()

