"""`schools learner-numbers` and `schools duplicates`: the subcommands of `schools` about children's identity."""

from django.core.management.base import CommandError

from School.operations.fanout import default_jobs

EXIT_BAD_INPUT = 2


def add_identity_actions(actions):
    numbering = actions.add_parser(
        "learner-numbers",
        help="give a learner number to every student without one (NAME or --all); `import FILE` national numbers;"
             " `rotate-key` re-key the digests (docs/identity.md)",
    )
    numbering.add_argument("target", nargs="*", metavar="NAME | import FILE | rotate-key")
    numbering.add_argument("--all", action="store_true", help="every school")
    numbering.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: the number of cores)")

    listing = actions.add_parser("duplicates", help="children active at more than one school (platform staff only)")
    listing.add_argument("--format", choices=["table", "csv", "json", "xlsx"], default="table")
    listing.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal (xlsx needs it)")
    listing.add_argument("--jobs", type=int, default=default_jobs(), help="processes reading the schools (default: the number of cores)")


def _raw(stream):
    return getattr(stream, "_out", stream)  # the raw stream: the bar redraws one line


def handle_learner_numbers(command, target, all, jobs, **options):
    from School.identity.numbering import number_schools
    from School.operations.provisioning import SchoolError
    from School.utils import all_schools, school_by_name

    if jobs < 1:
        raise SchoolError("--jobs needs a whole number of at least 1")
    if target[:1] == ["import"]:
        if len(target) != 2 or all:
            raise SchoolError("usage: schools learner-numbers import FILE")
        from School.identity.national_import import import_numbers

        return import_numbers(target[1], _raw(command.stdout))
    if target[:1] == ["rotate-key"]:
        from School.identity.rotation import rotate_key

        if len(target) != 1 or all:
            raise SchoolError("usage: schools learner-numbers rotate-key (with LEARNER_DIGEST_KEY_NEW set)")
        return rotate_key(_raw(command.stdout))
    if all == bool(target) or len(target) > 1:
        raise SchoolError("name one school, or --all")
    if all:
        schools = all_schools()
    else:
        school = school_by_name(target[0])
        if school is None:
            raise SchoolError(f"unknown school {target[0]!r}")
        schools = [school]
    _given, failed = number_schools(schools, jobs, _raw(command.stdout), _raw(command.stderr))
    if failed:
        raise CommandError(f"{len(failed)} schools could not be numbered; run the command again", returncode=1)


def handle_duplicates(command, format, output, jobs, **options):
    from School.identity.duplicates import write_duplicates
    from School.operations.provisioning import SchoolError

    if jobs < 1:
        raise SchoolError("--jobs needs a whole number of at least 1")
    write_duplicates(format, output, _raw(command.stdout), jobs)


IDENTITY_ACTIONS = {"learner-numbers": handle_learner_numbers, "duplicates": handle_duplicates}
