"""Making files durable before they are trusted: a backup, a template or a new
school's database is renamed into place or registered only after this."""

import os


def fsync(path):
    """Make a file's data, or a directory's entries, durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
