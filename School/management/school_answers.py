"""What the `schools` subcommands share: where a school's data is, and asking before a drastic step.

Underneath both the `schools` command and its backup subcommands
(School/management/school_backups.py).
"""

import sys

from django.conf import settings

from multitenant.databases import MONGODB
from School.connections import cluster_uri, sqlite_file
from School.operations.provisioning import SchoolError
from School.uri import redact_uri


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
