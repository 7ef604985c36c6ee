"""Where a school's file bytes live, chosen per database alias.

* Embedded default (SQLite): a directory beside the school's database file
  (multitenant.databases.files_dir), never under a public URL. A file is
  written under a temporary name in `.partial/`, made durable and renamed
  into place: a crash mid-write leaves only a partial file nothing lists.
* MongoDB: GridFS in the school's own database (bucket `documents`). GridFS
  writes the chunks first and the file document last, so a crash leaves
  chunks no file document names, which nothing lists either.
* Optional, SCHOOL_FILES_STORAGE=s3: an S3-compatible bucket through
  django-storages, under a prefix per school database (documented, untested
  here: see docs/documents.md).

Every backend stores opaque keys (School.documents.service makes them) and
returns (size, sha256) of what it wrote.
"""

import hashlib
import os
import time
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.conf import settings
from django.db import connections

from multitenant.databases import files_dir
from School.connections import alias_sqlite_file
from School.operations.durable import fsync, fsync_many

CHUNK = 64 * 1024
PARTIAL = ".partial"


class MissingFile(Exception):
    """The bytes of a key are not in the storage."""


def _digesting(chunks):
    """Pass the chunks on while counting and hashing them; .size/.sha256 afterwards."""

    class Tally:
        size, digest = 0, hashlib.sha256()

        def __iter__(self):
            for chunk in chunks:
                if chunk:
                    self.size += len(chunk)
                    self.digest.update(chunk)
                    yield chunk

    return Tally()


class DirectoryStorage:
    """Files under one directory: `<dir>/<key[:2]>/<key>`."""

    def __init__(self, root):
        self.root = Path(root)
        self.bulk = None  # paths written by bulk_writes(), made durable together

    @contextmanager
    def bulk_writes(self):
        """Many files into a directory nobody serves yet (a restore): written straight
        to their place, made durable together at the end (fsync_many)."""
        self.bulk = []
        try:
            yield self
            if self.bulk:
                fsync_many(self.root, self.bulk)
        finally:
            self.bulk = None

    def _save_unsynced(self, path, chunks):
        tally = _digesting(chunks)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            for chunk in tally:
                out.write(chunk)
        self.bulk.append(str(path))
        return tally.size, tally.digest.hexdigest()

    def __repr__(self):
        return f"DirectoryStorage({self.root})"

    def _path(self, key):
        if not key.isalnum():
            raise MissingFile(key)  # keys are ours; anything else never reaches the disk
        return self.root / key[:2] / key

    def save(self, key, chunks):
        path = self._path(key)
        if self.bulk is not None:
            return self._save_unsynced(path, chunks)
        partial_dir = self.root / PARTIAL
        partial_dir.mkdir(parents=True, exist_ok=True)
        partial = partial_dir / f"{key}.{uuid.uuid4().hex[:8]}"
        tally = _digesting(chunks)
        try:
            with open(partial, "xb") as out:
                for chunk in tally:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            path.parent.mkdir(exist_ok=True)
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        fsync(path.parent)
        return tally.size, tally.digest.hexdigest()

    def open(self, key):
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise MissingFile(key) from None

    def size(self, key):
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise MissingFile(key) from None

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)

    def keys(self):
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.name != PARTIAL and folder.is_dir():
                for path in sorted(folder.iterdir()):
                    yield path.name

    def partials(self, older_than):
        """Names of unfinished writes started more than `older_than` seconds ago."""
        folder = self.root / PARTIAL
        if not folder.is_dir():
            return []
        cutoff = time.time() - older_than
        return [path.name for path in folder.iterdir() if path.stat().st_mtime < cutoff]

    def remove_partial(self, name):
        (self.root / PARTIAL / name).unlink(missing_ok=True)


class GridFSStorage:
    """Files in GridFS, in the school's own MongoDB database; the key is the file's _id."""

    BUCKET = "documents"

    def bulk_writes(self):
        return nullcontext(self)  # MongoDB acknowledges each write itself

    def __init__(self, database):
        import gridfs

        self.database = database
        self.bucket = gridfs.GridFSBucket(database, bucket_name=self.BUCKET)

    def save(self, key, chunks):
        tally = _digesting(chunks)
        stream = self.bucket.open_upload_stream_with_id(key, key)
        try:
            for chunk in tally:
                stream.write(chunk)
        except BaseException:
            stream.abort()
            raise
        stream.close()  # the file document: only now does the file exist
        return tally.size, tally.digest.hexdigest()

    def open(self, key):
        import gridfs

        try:
            return self.bucket.open_download_stream(key)
        except gridfs.errors.NoFile:
            raise MissingFile(key) from None

    def size(self, key):
        found = self.database[f"{self.BUCKET}.files"].find_one({"_id": key}, {"length": 1})
        if found is None:
            raise MissingFile(key)
        return found["length"]

    def delete(self, key):
        import gridfs

        try:
            self.bucket.delete(key)
        except gridfs.errors.NoFile:
            pass

    def keys(self):
        for found in self.database[f"{self.BUCKET}.files"].find({}, {"_id": 1}).sort("_id", 1):
            yield found["_id"]

    def partials(self, older_than):
        """Ids of chunks that no file document names (a write that never finished)."""
        complete = set(self.database[f"{self.BUCKET}.files"].distinct("_id"))
        return [key for key in self.database[f"{self.BUCKET}.chunks"].distinct("files_id") if key not in complete]

    def remove_partial(self, name):
        self.database[f"{self.BUCKET}.chunks"].delete_many({"files_id": name})


class DjangoStorageAdapter:
    """Any Django Storage (django-storages' S3Storage) under a prefix: optional, untested here."""

    def __init__(self, storage, prefix):
        self.storage, self.prefix = storage, prefix.strip("/")

    def bulk_writes(self):
        return nullcontext(self)

    def _name(self, key):
        return f"{self.prefix}/{key}"

    def save(self, key, chunks):
        import tempfile

        from django.core.files import File

        tally = _digesting(chunks)
        with tempfile.TemporaryFile() as spool:  # S3 uploads need a seekable file
            for chunk in tally:
                spool.write(chunk)
            spool.seek(0)
            self.storage.save(self._name(key), File(spool))
        return tally.size, tally.digest.hexdigest()

    def open(self, key):
        if not self.storage.exists(self._name(key)):
            raise MissingFile(key)
        return self.storage.open(self._name(key), "rb")

    def size(self, key):
        return self.storage.size(self._name(key))

    def delete(self, key):
        self.storage.delete(self._name(key))

    def keys(self):
        return iter(sorted(self.storage.listdir(self.prefix)[1]))

    def partials(self, older_than):
        return []  # an S3 PUT is whole or absent

    def remove_partial(self, name):
        pass


def _database_name(alias):
    settings_dict = connections.settings[alias]
    if connections[alias].vendor == "mongodb":
        return settings_dict["NAME"]
    return alias_sqlite_file(alias).stem


def storage_for(alias):
    """The storage of the school database behind `alias` (the files follow the database)."""
    if settings.SCHOOL_FILES_STORAGE == "s3":
        from storages.backends.s3 import S3Storage

        return DjangoStorageAdapter(S3Storage(), f"{settings.SCHOOL_FILES_S3_PREFIX}/{_database_name(alias)}")
    connection = connections[alias]
    if connection.vendor == "mongodb":
        return GridFSStorage(connection.database)  # the school's own database, as the ORM's
    return DirectoryStorage(files_dir(alias_sqlite_file(alias)))


def read_chunks(handle, size=CHUNK):
    """A file object's bytes in chunks, closed at the end."""
    with handle:
        while chunk := handle.read(size):
            yield chunk
