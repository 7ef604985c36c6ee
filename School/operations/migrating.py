"""Bringing one school's database to the project's migrations.

Underneath both provisioning (a new school) and the SQLite template that new
schools are copied from (School.operations.templates), which is why it is a
module of its own.
"""

import functools
import logging

from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from School.connections import create_database_file
from School.context import tenant_context

logger = logging.getLogger(__name__)


def migrate_school(school, verbosity=0, stdout=None):
    """Create the school's database if needed and apply pending migrations."""
    create_database_file(school)
    with tenant_context(school):
        call_command(
            "migrate", database=school.alias, interactive=False, verbosity=verbosity, stdout=stdout
        )
    logger.info("database migrated", extra={"school": school.name})


@functools.cache
def migration_graph_nodes():
    """Every migration of the project, read from disk once per process."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
