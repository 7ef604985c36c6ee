"""Connection strings as they may be shown: never with a password."""

from urllib.parse import urlsplit


def redact_uri(uri):
    """`mongodb://user:secret@a,b/?x` -> `mongodb://a,b` (scheme and hosts only)."""
    if not uri:
        return ""
    parts = urlsplit(uri)
    hosts = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{hosts}"
