"""Is this error "the school's database cannot be reached"? Said without secrets.

An unreachable database is an operational condition, not a bug: pages answer
503 (School.views.server_error) and commands print one line naming the
cluster, instead of the backend's empty DatabaseError after a long wait.
"""

import errno
import re
import sqlite3
import sys

_CREDENTIALS = re.compile(r"//[^/@\s]*@")
_TIMEOUTS = re.compile(r"\s*\(configured timeouts[^)]*\)")
_ADDRESS = re.compile(r"(?:^|,)\s*([^\s,]+:\d+): ")
_SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error")
# Another writer held the write lock for longer than the busy timeout
# (SCHOOL_SQLITE_BUSY_TIMEOUT): the statement, and its transaction, did nothing.
_SQLITE_BUSY = ("database is locked",)
# The disk (or the process's file size limit, EFBIG) left no room: SQLite
# rolled the transaction back, and file writers remove their partial files.
_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_SQLITE_FULL = ("database or disk is full",)
# What SQLite says when write() fails for another reason than ENOSPC (EFBIG
# from a file size limit, EDQUOT): still no room to write.
_SQLITE_WRITE_FAILED = ("SQLITE_IOERR_WRITE", "SQLITE_IOERR_SHMSIZE")
NO_SPACE = "no space left to write (the disk is full, or a file size limit was reached): nothing was written; free some space and try again"


def _causes(error):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _scrub(text):
    return _CREDENTIALS.sub("//", text)


def _describe_connection_failure(message):
    # pymongo says "host:port: error (configured timeouts: ...),host2:port: ...,
    # Timeout: 5.0s, Topology Description: <...>": keep the servers, the first
    # error and the timeout; the topology dump says nothing more to an operator.
    servers_part, _, rest = message.partition(", Timeout: ")
    servers_part = _TIMEOUTS.sub("", servers_part)
    addresses = _ADDRESS.findall(servers_part)
    # split() with the address group gives [before, address1, error1, address2, ...].
    first_error = _ADDRESS.split(servers_part)[2].strip() if addresses else servers_part
    timeout = rest.split(",")[0].strip()
    waited = f" (no answer within {timeout})" if timeout else ""
    cluster = " " + ", ".join(dict.fromkeys(addresses)) if addresses else ""
    return f"cannot reach the MongoDB cluster{cluster}{waited}: {first_error}"


def unavailable_reason(error):
    """One line saying which database could not be reached, or None."""
    # pymongo is imported only on MongoDB deployments (it costs a fifth of a
    # second at start-up); without it no error can be a pymongo error.
    pymongo_errors = sys.modules.get("pymongo.errors")
    mongo_failures = (pymongo_errors.ConnectionFailure,) if pymongo_errors else ()
    mongo_config = (pymongo_errors.ConfigurationError,) if pymongo_errors else ()
    for cause in _causes(error):
        if isinstance(cause, mongo_failures):
            return _scrub(_describe_connection_failure(str(cause)))
        if isinstance(cause, mongo_config):
            return _scrub(f"cannot use the MongoDB cluster: {cause}")
        if _is_no_space(cause):
            return NO_SPACE
        if isinstance(cause, sqlite3.OperationalError) and str(cause).lower() in _SQLITE_UNAVAILABLE:
            return f"cannot use the SQLite database: {cause}"
        if _is_busy(cause):
            return "the school's database is busy: another change held it for too long; nothing was written, try again"
    return None


def _is_busy(cause):
    return isinstance(cause, sqlite3.OperationalError) and str(cause).lower() in _SQLITE_BUSY


def _is_no_space(cause):
    if isinstance(cause, OSError):
        return cause.errno in _NO_SPACE_ERRNOS
    return isinstance(cause, sqlite3.OperationalError) and (
        str(cause).lower() in _SQLITE_FULL or getattr(cause, "sqlite_errorname", "") in _SQLITE_WRITE_FAILED
    )


def is_no_space(error):
    """Did `error` come from a full disk (or a file size limit)?"""
    return any(_is_no_space(cause) for cause in _causes(error))


def is_busy(error):
    """Did `error` come from waiting too long for another writer (nothing was written)?"""
    return any(_is_busy(cause) for cause in _causes(error))
