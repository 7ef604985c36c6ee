"""A large school's export as a job: the file written in the worker, downloaded from the job's page when ready.

Files are kept under <data dir>/exports/<school>/ for EXPORT_KEEP_HOURS and
then deleted by the nightly `prune` schedule (School/platform/schedule.py):
they hold children's records outside the school's database.
"""

import logging
import time

from django.conf import settings
from django.http import QueryDict

from School.jobs import kinds
from School.records.files import ExportError, export_lines, export_xlsx
from School.records.table import StudentTableQuery
from School.security import audit

logger = logging.getLogger(__name__)

EXPORT = "records.export"
SUFFIXES = {"csv": "csv", "xlsx": "xlsx"}


def folder_of(school_name):
    return settings.SCHOOL_DATA_DIR / "exports" / school_name


def file_of(school_name, job_id, file_format):
    return folder_of(school_name) / f"{job_id}.{SUFFIXES[file_format]}"


@kinds.register(EXPORT, retries=1, retry_delay=10, result_template="School/export_ready.html")
def export_file(job, params, file_format, date_order):
    query = StudentTableQuery.from_params(QueryDict(params))
    students = query.queryset()
    rows = students.count()
    path = file_of(job.school, job.id, file_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        if file_format == "xlsx":
            with open(partial, "wb") as target:
                export_xlsx(students, target, date_order)
        else:
            with open(partial, "w", encoding="utf-8", newline="") as target:
                for line in export_lines(students, date_order):
                    target.write(line)
    except ExportError as error:
        partial.unlink(missing_ok=True)
        raise kinds.JobFailed(str(error)) from error
    partial.replace(path)  # a file to download is whole or absent
    audit.record(None, audit.EXPORT, target=query.as_params(), format=file_format, rows=rows, username=job.started_by)
    return {"rows": rows, "format": file_format}


def prune_exports(now=None):
    """Delete export files older than EXPORT_KEEP_HOURS, every school's; how many."""
    root = settings.SCHOOL_DATA_DIR / "exports"
    cutoff = (now or time.time()) - settings.EXPORT_KEEP_HOURS * 3600
    removed = 0
    for path in root.glob("*/*") if root.is_dir() else ():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
