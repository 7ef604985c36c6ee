"""Uploads waiting for their confirmation, under <data dir>/uploads/<school>/.

They hold children's records outside the school's database (its backups do
not cover them), so none outlives its purpose: an upload older than
IMPORT_UPLOAD_EXPIRY_MINUTES cannot be confirmed and is deleted by the next
import page of that school or by `prune_uploads` (no cron needed, though one
may run it); `schools remove --drop-data` deletes the school's folder.
"""

import logging
import re
import secrets
import shutil
import time

from django.conf import settings

logger = logging.getLogger(__name__)

TOKEN = re.compile(r"[0-9a-f]{32}")
SUFFIX = ".upload"


def uploads_root():
    return settings.SCHOOL_DATA_DIR / "uploads"


def folder_of(school_name):
    return uploads_root() / school_name


def new_upload(school_name):
    """(token, path) for a new upload of that school."""
    token = secrets.token_hex(16)
    folder = folder_of(school_name)
    folder.mkdir(parents=True, exist_ok=True)
    return token, folder / f"{token}{SUFFIX}"  # CSV, text or xlsx: the content says which


def upload_path(school_name, token):
    """The path of a pending upload, or None when the token is malformed."""
    if not TOKEN.fullmatch(token or ""):
        return None
    return folder_of(school_name) / f"{token}{SUFFIX}"


def _expiry_seconds():
    return settings.IMPORT_UPLOAD_EXPIRY_MINUTES * 60


def is_expired(path, now=None):
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return True
    return age > _expiry_seconds()


def sweep(school_name, now=None):
    """Delete that school's expired uploads; the number deleted."""
    removed = 0
    folder = folder_of(school_name)
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        if path.is_file() and is_expired(path, now):
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        logger.info("%d expired uploads deleted", removed, extra={"school": school_name})
    return removed


def sweep_all(now=None):
    """Sweep every folder, those of removed schools included; the number deleted."""
    root = uploads_root()
    if not root.is_dir():
        return 0
    return sum(sweep(folder.name, now) for folder in root.iterdir() if folder.is_dir())


def remove_all(school_name):
    """Delete every upload of a school (it is being removed with its data)."""
    shutil.rmtree(folder_of(school_name), ignore_errors=True)
