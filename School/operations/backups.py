"""The backup file of one school: a portable, streamed, self-checking format.

A backup is a gzip'd stream of JSON lines (the files in a second gzip member),
the same whatever the engine:

    {"format": "school-records-backup", "version": 1, "school": ..., "migrations": [[app, name], ...], ...}
    {"table": "auth.user", "fields": ["id", "password", ...]}
    [1, "pbkdf2_sha256$...", ...]                       one line per row
    {"end": "auth.user", "rows": 3, "sha256": "..."}     the row lines' checksum
    ...                                                  every table of the school's database
    {"file": "<key>"} "<base64>"... {"end_file": ...}    version 2: every stored file of the school,
                                                         with its size and SHA-256 (School/documents/archive.py)
    {"trailer": {"tables": 12, "rows": 20345, "files": 40}}   missing = the file is truncated

Version 1 (before students' files) has no file sections; it still restores.

Values are written as JSON where they are JSON (numbers, strings, booleans,
null) and as ISO text otherwise (dates, decimals, ObjectIds); each field's
to_python() reads them back on either engine. Rows are read with
.iterator() and written line by line, so memory stays flat whatever the size
of the school, and the file is written under a temporary name and renamed
when complete: a crashed backup never looks like a good one.
"""

import datetime
import gzip
import hashlib
import json
import logging
import os
import zlib
from contextlib import closing
from pathlib import Path

from django.apps import apps as live_apps
from django.conf import settings
from django.db import connections, router
from django.db.migrations.recorder import MigrationRecorder

from School.documents.archive import decoded, write_files
from School.events import backup_completed
from School.operations.durable import fsync
from School.router import _is_registry
from School.sqlite_files import read_snapshot

logger = logging.getLogger(__name__)

FORMAT = "school-records-backup"
VERSION = 2
EXTENSION = ".jsonl.gz"
CHUNK = 500
SESSIONS = "sessions"


class BackupError(Exception):
    """A backup that cannot be written or used; the message says why in one line."""


def project_version():
    return getattr(settings, "PROJECT_VERSION", "") or "unversioned"


def backups_dir():
    return Path(settings.SCHOOL_DATA_DIR) / "backups"


def utc_stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def backup_path(directory, name):
    """A new file name `NAME-<UTC time>.jsonl.gz` in `directory` (never an existing one)."""
    directory = Path(directory)
    base = f"{name}-{utc_stamp()}"
    path, n = directory / f"{base}{EXTENSION}", 1
    while path.exists():
        path, n = directory / f"{base}-{n}{EXTENSION}", n + 1
    return path


def backups_of(directory, name):
    """The backup files of school `name` in `directory`, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    # Names cannot contain "-", so `nairobi-` never matches nairobi_west's files.
    paths = [path for path in directory.glob(f"{name}-*{EXTENSION}") if path.is_file()]
    return sorted(paths, key=lambda path: _age_key(path, name))


def _age_key(path, name):
    # NAME-<stamp>[-n].jsonl.gz: the n-th extra backup within the same second comes after.
    stamp, _, extra = path.name[len(name) + 1 : -len(EXTENSION)].partition("-")
    return stamp, int(extra) if extra.isdigit() else 0


def prune(directory, name, keep):
    """Delete all but the `keep` newest backups of `name`; returns the deleted paths."""
    old = backups_of(directory, name)[:-keep] if keep else []
    for path in old:
        path.unlink()
    return old


def school_models(alias, apps=live_apps, include_sessions=False):
    """Every model kept in a school's database, each after the models it refers to."""
    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not _is_registry(model)
        and (include_sessions or model._meta.app_label != SESSIONS)
        and router.allow_migrate_model(alias, model)
    ]
    labels = {model._meta.label_lower: model for model in models}
    ordered, seen = [], set()

    def visit(model):
        if model._meta.label_lower in seen:
            return
        seen.add(model._meta.label_lower)
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is not None and target is not model and target._meta.label_lower in labels:
                visit(labels[target._meta.label_lower])
        ordered.append(model)

    for label in sorted(labels):
        visit(labels[label])
    return ordered


def applied_migrations(alias):
    return sorted(MigrationRecorder(connections[alias]).migration_qs.values_list("app", "name"))


def _encode(value):
    # Called by json for what JSON has no type for.
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)  # Decimal, UUID, ObjectId, ...


def encode_row(row):
    return json.dumps(row, default=_encode, ensure_ascii=False, separators=(",", ":"))


def table_rows(alias, model):
    """(field attnames, iterator of encoded row lines) of one table, in primary-key order."""
    attnames = [field.attname for field in model._meta.concrete_fields]
    rows = model._base_manager.using(alias).order_by(model._meta.pk.attname).values_list(*attnames)
    return attnames, (encode_row(row) for row in rows.iterator(chunk_size=CHUNK))


def table_digests(alias, models):
    """{table: (rows, sha256)} of a database, computed as a backup would write them."""
    digests = {}
    for model in models:
        digest, count = hashlib.sha256(), 0
        for line in table_rows(alias, model)[1]:
            digest.update(line.encode() + b"\n")
            count += 1
        digests[model._meta.label_lower] = (count, digest.hexdigest())
    return digests


def write_backup(school, path, include_sessions=False):
    """Write a backup of `school` (a SchoolInfo whose alias is usable) to `path`; returns the manifest."""
    from School.operations.provisioning import pending_migrations

    alias = school.alias
    pending = pending_migrations(school)
    if pending:
        names = ", ".join(f"{app}.{name}" for app, name in pending)
        raise BackupError(f"school {school.name!r} has unapplied migrations ({names}): migrate it first")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "school": school.name,
        "display_name": school.display_name,
        # The registry row is not in the school's database: its locale travels here.
        "locale": {"language": school.language, "time_zone": school.time_zone, "date_order": school.date_order},
        "engine": connections[alias].vendor,
        "migrations": applied_migrations(alias),
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "project_version": project_version(),
        "sessions": include_sessions,
    }
    tables = {}
    try:
        with read_snapshot(alias), open(partial, "wb") as raw:
            with gzip.open(raw, "wt", encoding="utf-8", compresslevel=3) as out:
                out.write(json.dumps(manifest) + "\n")
                for model in school_models(alias, include_sessions=include_sessions):
                    label = model._meta.label_lower
                    attnames, lines = table_rows(alias, model)
                    out.write(json.dumps({"table": label, "fields": attnames}) + "\n")
                    digest, count = hashlib.sha256(), 0
                    # closing(): a failed write (a full disk) ends the database
                    # cursor now, not at exit after the connection has gone.
                    with closing(lines):
                        for line in lines:
                            line += "\n"
                            digest.update(line.encode())
                            out.write(line)
                            count += 1
                    tables[label] = {"rows": count, "sha256": digest.hexdigest()}
                    out.write(json.dumps({"end": label, **tables[label]}) + "\n")
            with _FilesMember(raw) as out:
                # Within the snapshot: the files the rows just written name.
                files = write_files(out, alias, school.name)
                trailer = {"tables": len(tables), "rows": sum(t["rows"] for t in tables.values()), "files": len(files)}
                out.write(json.dumps({"trailer": trailer}) + "\n")
        fsync(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync(path.parent)
    logger.info("backup written to %s", path, extra={"school": school.name})
    return {**manifest, "tables": tables, "files": len(files), "path": str(path)}


class _FilesMember:
    """The files section as a second gzip member of the same file (gzip readers read on across members).

    Photos and PDFs are compressed already: their base64 text only gains from
    Huffman coding (back to about their own size), and LZ77's searching at
    any level was most of a backup's time with 1,000 photos.
    """

    def __init__(self, raw):
        self.raw = raw
        self.compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 8, zlib.Z_HUFFMAN_ONLY)

    def write(self, text):
        self.raw.write(self.compressor.compress(text.encode("utf-8")))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.raw.write(self.compressor.flush())


def make_backup(school, path, include_sessions=False):
    """A school's backup (the command, the admin's "Back up now"): written, then recorded in the registry."""
    manifest = write_backup(school, path, include_sessions=include_sessions)
    size = Path(manifest["path"]).stat().st_size
    made = datetime.datetime.fromisoformat(manifest["created_at"])
    backup_completed.send(sender=BackupFile, school=school.name, path=manifest["path"], size=size, at=made)
    return manifest


class BackupFile:
    """A backup file read twice: verify() checks all of it, tables() streams it for loading."""

    def __init__(self, path):
        self.path = Path(path)
        self.manifest = None
        self.tables_summary = {}
        self.files_summary = {}

    def _lines(self):
        try:
            with gzip.open(self.path, "rt", encoding="utf-8") as lines:
                yield from lines
        except FileNotFoundError:
            raise BackupError(f"{self.path}: no such file") from None
        except gzip.BadGzipFile as error:
            raise BackupError(f"{self.path} is not a backup of this project (or it is corrupted): {error}") from None
        except EOFError:
            raise BackupError(f"{self.path} is truncated: it ends before the end of the backup") from None
        except (zlib.error, UnicodeDecodeError, OSError) as error:
            raise BackupError(f"{self.path} is corrupted: {error}") from None

    def _records(self):
        """(kind, value) for every line: manifest, table, row (the raw line), end, file, chunk (raw), end_file, trailer."""
        lines = self._lines()
        try:
            first = json.loads(next(lines, "") or "null")
        except ValueError:
            first = None
        if not isinstance(first, dict) or first.get("format") != FORMAT:
            raise BackupError(f"{self.path} is not a backup of this project")
        if not isinstance(first.get("version"), int) or first["version"] > VERSION:
            raise BackupError(
                f"{self.path} is in backup format version {first.get('version')}; this code reads up to {VERSION}"
            )
        yield "manifest", first
        for line in lines:
            if line.startswith("["):
                yield "row", line
                continue
            if line.startswith('"'):
                yield "chunk", line
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise BackupError(f"{self.path} is corrupted: unreadable line {line[:40]!r}") from None
            kind = next(iter(record), None) if isinstance(record, dict) else None
            if kind not in ("table", "end", "file", "end_file", "trailer"):
                raise BackupError(f"{self.path} is corrupted: unexpected line {line[:40]!r}")
            yield kind, record

    def verify(self):
        """Read the whole file; BackupError unless every table's and file's count and checksum match."""
        table, digest, count, trailer, stored = None, None, 0, None, None
        for kind, value in self._records():
            if trailer is not None:
                raise BackupError(f"{self.path} is corrupted: data after the end of the backup")
            if kind == "manifest":
                self.manifest = value
            elif kind == "table":
                table, digest, count = value["table"], hashlib.sha256(), 0
            elif kind == "row":
                if table is None:
                    raise BackupError(f"{self.path} is corrupted: a row outside any table")
                digest.update(value.encode())
                count += 1
            elif kind in ("file", "chunk", "end_file"):
                stored = self._verify_file(kind, value, table, stored)
            elif kind == "end":
                if value.get("end") != table or value.get("rows") != count or value.get("sha256") != digest.hexdigest():
                    raise BackupError(f"{self.path} is corrupted: wrong checksum or row count for table {table}")
                self.tables_summary[table] = {"rows": count, "sha256": value["sha256"]}
                table = None
            else:
                trailer = value["trailer"]
        if trailer is None or table is not None or stored is not None:
            raise BackupError(f"{self.path} is truncated: it ends before the end of the backup")
        if trailer.get("tables") != len(self.tables_summary):
            raise BackupError(f"{self.path} is corrupted: tables are missing")
        if trailer.get("files", 0) != len(self.files_summary):
            raise BackupError(f"{self.path} is corrupted: files are missing")
        return self.manifest

    def _verify_file(self, kind, value, table, stored):
        """One line of a file section; returns the file being read (key, digest, size) or None after its end."""
        if table is not None:
            raise BackupError(f"{self.path} is corrupted: a file inside table {table}")
        if kind == "file":
            if stored is not None:
                raise BackupError(f"{self.path} is corrupted: file {stored[0]} has no end")
            return value["file"], hashlib.sha256(), 0
        if stored is None:
            raise BackupError(f"{self.path} is corrupted: file data outside any file")
        key, digest, size = stored
        if kind == "chunk":
            try:
                chunk = decoded(value)
            except (ValueError, TypeError):
                raise BackupError(f"{self.path} is corrupted: unreadable data in file {key}") from None
            digest.update(chunk)
            return key, digest, size + len(chunk)
        summary = {"size": size, "sha256": digest.hexdigest()}
        if value.get("end_file") != key or {"size": value.get("size"), "sha256": value.get("sha256")} != summary:
            raise BackupError(f"{self.path} is corrupted: wrong checksum or size for file {key}")
        self.files_summary[key] = summary
        return None

    def tables(self):
        """(table, fields, iterator of decoded rows) per table, in file order (call verify() first)."""
        records = self._records()
        next(records)  # the manifest
        for kind, value in records:
            if kind == "table":
                yield value["table"], value["fields"], _rows_until_end(records)
            elif kind in ("file", "trailer"):
                return  # the tables are all before the files

    def files(self):
        """(key, iterator of byte chunks) per stored file, in file order (call verify() first)."""
        records = self._records()
        for kind, value in records:
            if kind == "file":
                yield value["file"], _chunks_until_end(records)

    @property
    def school(self):
        return self.manifest["school"]


def _chunks_until_end(records):
    for kind, value in records:
        if kind != "chunk":
            return
        yield decoded(value)


def _rows_until_end(records):
    for kind, value in records:
        if kind != "row":
            return
        yield json.loads(value)
