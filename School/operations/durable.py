"""Making files durable before they are trusted: a backup, a template or a new
school's database is renamed into place or registered only after this."""

import ctypes
import ctypes.util
import os


def fsync(path):
    """Make a file's data, or a directory's entries, durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _syncfs():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs()


def fsync_many(directory, paths):
    """Make many new files under `directory` durable at once.

    One syncfs(2) of the file system (one journal commit) where the C library
    has it, instead of one fsync per file: a thousand photos restored in a
    fraction of the time. Elsewhere, one fsync per file and per folder.
    """
    if _SYNCFS is not None:
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            if _SYNCFS(descriptor) == 0:
                return
        finally:
            os.close(descriptor)
    folders = set()
    for path in paths:
        fsync(path)
        folders.add(os.path.dirname(path))
    for folder in folders | {str(directory)}:
        fsync(folder)
