"""`schools restore | clone | move`: the subcommands of `schools` that copy a school's data.

Kept apart from the `schools` command so that it stays about the registry;
the work itself is in School/operations/restore.py.
"""

from School.management.school_answers import confirm, database_of
from School.operations import restore
from School.operations.provisioning import SchoolError


def add_backup_actions(actions):
    restoring = actions.add_parser("restore", help="a school from a backup file: a new one (--as) or put back (--replace)")
    restoring.add_argument("file")
    how = restoring.add_mutually_exclusive_group(required=True)
    how.add_argument("--as", dest="as_name", metavar="NAME", help="a new school called NAME")
    how.add_argument("--replace", metavar="NAME", help="put school NAME back as it was in the backup")
    restoring.add_argument("--host", action="append", dest="hosts", default=[], metavar="HOST")
    restoring.add_argument("--display-name", default="")
    restoring.add_argument("--yes", action="store_true", help="do not ask before replacing")

    cloning = actions.add_parser("clone", help="a new school with a copy of another's data")
    cloning.add_argument("source")
    cloning.add_argument("name")
    cloning.add_argument("--host", action="append", dest="hosts", required=True, metavar="HOST")
    cloning.add_argument("--display-name", default="")
    cloning.add_argument("--schema-only", action="store_true", help="an empty, migrated database: no rows copied")

    moving = actions.add_parser("move", help="copy a school to another place and serve it from there")
    moving.add_argument("name")
    moving.add_argument("--to", required=True, metavar="sqlite|sqlite:DIR|CLUSTER_URI")
    moving.add_argument("--drop-source", action="store_true", help="delete the old database once the school is served from the new one")


def handle_restore(command, file, as_name, replace, hosts, display_name, yes, **options):
    if as_name:
        if not hosts:
            raise SchoolError(f"school {as_name!r} needs at least one --host")
        school = restore.restore_as(file, as_name, hosts, display_name)
        command.stdout.write(f"Restored school {school.name} from {file} at {', '.join(school.hosts)} ({database_of(school)})")
        return
    if hosts or display_name:
        raise SchoolError("--replace keeps the school's hosts and name: --host and --display-name go with --as")
    if not yes:
        restore.check_backup(file)  # a bad file is refused before asking anything
        confirm(replace, f"--replace swaps every record of {replace!r} for the backup's", "Replace every record of school {name!r} with the backup?", "replaced")
    kept = restore.replace(file, replace)
    command.stdout.write(f"Restored school {replace} from {file}; the replaced data is kept in {kept}")


def handle_clone(command, source, name, hosts, display_name, schema_only, **options):
    school = restore.clone(source, name, hosts, display_name, schema_only)
    what = "an empty copy of the schema" if schema_only else "a copy of the data"
    command.stdout.write(f"Cloned school {source} to {school.name} ({what}) at {', '.join(school.hosts)}")


def handle_move(command, name, to, drop_source, **options):
    place, seconds = restore.move(name, to, drop_source)
    source = "deleted" if drop_source else "kept (delete it, with any -wal and -shm file beside it, by hand; or move with --drop-source)"
    command.stdout.write(f"Moved school {name} to {place}; it was unavailable for {seconds:.1f}s; the old database is {source}")


BACKUP_ACTIONS = {"restore": handle_restore, "clone": handle_clone, "move": handle_move}
