"""The web import's confirmation as a job: the kept upload written all or nothing, in the worker.

The upload is deleted when the job ends with an answer (imported, or refused
for its rows); a job that stopped or failed otherwise leaves it for another
try until it expires (uploads.py).
"""

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from School.identity.enrolment import record_enrolled_anyway
from School.jobs import kinds
from School.records import uploads
from School.security import audit
from School.records.files import CsvFileError, StudentImport

logger = logging.getLogger(__name__)

IMPORT = "records.import"


def _count_rows(path):
    """Rows to expect, for progress: the file's lines (a workbook's are unknown, then None)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4).startswith(b"PK"):
                return None
            handle.seek(0)
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return None


def _audit(job, rows, result):
    """The school's trail says what the import did, under the name of whoever confirmed it."""
    audit.record(None, audit.IMPORT, target=f"job {job.id}", rows=rows, result=result, username=job.started_by)


@kinds.register(IMPORT, retries=1, retry_delay=5)
def import_upload(job, token, update=False, enrol_reason=""):
    path = uploads.upload_path(job.school, token)
    if path is None or not path.exists():
        raise kinds.JobFailed(_("That upload has expired or was already imported; please upload the file again."))
    total = _count_rows(path)
    importer = StudentImport(
        path, update=update, max_rows=settings.IMPORT_MAX_ROWS, progress=lambda rows: job.progress(rows, total),
        enrol_reason=enrol_reason,
    )
    try:
        report = importer.apply()
    except CsvFileError as error:
        path.unlink(missing_ok=True)
        _audit(job, 0, "nothing imported")
        raise kinds.JobFailed(_("Nothing was imported: %(error)s") % {"error": error}) from error
    path.unlink(missing_ok=True)
    _audit(job, report.rows, "imported" if report.ok else "nothing imported")
    if report.ok:
        for student, elsewhere in report.elsewhere:
            record_enrolled_anyway(None, student, elsewhere, enrol_reason.strip(), username=job.started_by)
    if not report.ok:
        error = report.summary()
        if report.elsewhere and not enrol_reason.strip():
            # The registrar confirmed without the reason the preview asked for: say which rows need it.
            error = "; ".join([error, *(str(row) for row in report.errors[:3])])
        raise kinds.JobFailed(_("Nothing was imported: %(error)s") % {"error": error})
    logger.info("imported %s rows", report.rows, extra={"school": job.school})
    return {
        "rows": report.rows, "new": report.new, "updated": report.updated,
        "summary": _("Imported %(rows)s students: %(new)s new, %(updated)s updated.")
        % {"rows": report.rows, "new": report.new, "updated": report.updated},
    }
