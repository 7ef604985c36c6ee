"""The files section of a backup (format version 2; School/operations/backups.py).

After the tables, every stored file the school's rows name, one after the other:

    {"file": "<key>", "size": 123456}
    "<base64 of at most 48 KiB>"                 one JSON string per line
    ...
    {"end_file": "<key>", "size": 123456, "sha256": "..."}

Files are read from the storage and written chunk by chunk, and read back
the same way, so memory stays flat whatever the number and size of files.
"""

import base64
import hashlib
import json
import logging

from School.documents.models import StudentFile
from School.documents.storage import MissingFile, read_chunks, storage_for

logger = logging.getLogger(__name__)

RAW_CHUNK = 48 * 1024  # a multiple of 3: every line is whole base64


def stored_keys(alias):
    """Every key the school's file rows name (photo, thumbnail, document), in a stable order."""
    rows = StudentFile.objects.using(alias).order_by("pk").values_list("key", "thumbnail_key")
    for key, thumbnail_key in rows.iterator(chunk_size=2000):
        yield key
        if thumbnail_key:
            yield thumbnail_key


def write_files(out, alias, school_name=""):
    """Write every named file of `alias` into the backup stream `out`; returns {key: {size, sha256}}."""
    storage = storage_for(alias)
    summary = {}
    for key in stored_keys(alias):
        try:
            handle = storage.open(key)
        except MissingFile:
            # Deleted since the rows were read, or lost: the backup says so, check-files will too.
            logger.warning("file %s is named by a row but missing from the storage", key, extra={"school": school_name})
            continue
        digest, size = hashlib.sha256(), 0
        out.write(json.dumps({"file": key}) + "\n")
        for chunk in read_chunks(handle, RAW_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(json.dumps(base64.b64encode(chunk).decode("ascii")) + "\n")
        summary[key] = {"size": size, "sha256": digest.hexdigest()}
        out.write(json.dumps({"end_file": key, **summary[key]}) + "\n")
    return summary


def decoded(chunk_line):
    return base64.b64decode(json.loads(chunk_line), validate=True)


def load_files(backup, alias):
    """Write every file of a verified backup into `alias`'s storage; returns the first key whose bytes
    differ from the backup's checksum (the disk changed since verify()), or None."""
    with storage_for(alias).bulk_writes() as storage:
        for key, chunks in backup.files():
            size, sha256 = storage.save(key, chunks)
            if backup.files_summary.get(key) != {"size": size, "sha256": sha256}:
                return key
    return None


def copied_files_match(summary, alias):
    """Do the files in `alias`'s storage have exactly the sizes and checksums of `summary`?"""
    storage = storage_for(alias)
    for key, expected in summary.items():
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in read_chunks(storage.open(key)):
                digest.update(chunk)
                size += len(chunk)
        except MissingFile:
            return False
        if {"size": size, "sha256": digest.hexdigest()} != expected:
            return False
    return True
