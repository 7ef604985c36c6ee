"""Who runs a command, as the audit trail and the transfers record it: the operating-system user."""

import getpass


def operator():
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name (a container without /etc/passwd entry, say)
        return "operator"
