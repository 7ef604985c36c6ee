"""Each school's storage figure, as `schools list` shows it: one query on the registry for every school."""

from django.db import DEFAULT_DB_ALIAS, DatabaseError

from School.documents.models import StorageUsage


def usage_by_school():
    """{school name: (files, bytes)}; empty before the registry has the table (not migrated yet)."""
    try:
        return {
            school: (files, size)
            for school, files, size in StorageUsage.objects.using(DEFAULT_DB_ALIAS).values_list("school", "files", "bytes")
        }
    except DatabaseError:
        return {}
