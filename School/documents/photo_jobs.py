"""Photo day on the web as a job: the zip kept with the school's uploads (School/records/uploads.py) until the job ends."""

from types import SimpleNamespace

from django.utils.translation import gettext as _

from School.documents import photo_import
from School.jobs import kinds
from School.records import uploads

PHOTO_DAY = "documents.photo_day"
LISTED = 200  # names of unmatched or refused files kept for the job's page


def actor_named(username):
    """Who the audit trail and the files name: whoever started the job (there is no request in a worker)."""
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=bool(username), get_username=lambda: username), META={})


@kinds.register(PHOTO_DAY, retries=1, retry_delay=10, result_template="documents/photo_day_report.html")
def photo_day(job, token):
    path = uploads.upload_path(job.school, token)
    if path is None or not path.exists():
        raise kinds.JobFailed(_("That upload has expired or was already imported; please upload the file again."))
    done = [0]

    def counted(total):
        job.progress(0, total)

        def step(_name, _outcome):
            done[0] += 1
            job.progress(done[0], total)

        return step

    try:
        report = photo_import.import_photos(path, actor=actor_named(job.started_by), progress=counted)
    except photo_import.ImportRefused as refusal:
        path.unlink(missing_ok=True)
        raise kinds.JobFailed(str(refusal)) from refusal
    path.unlink(missing_ok=True)
    return {
        "matched": report.matched, "replaced": report.replaced,
        "unmatched": report.unmatched[:LISTED], "refused": [[str(name), str(reason)] for name, reason in report.refused[:LISTED]],
    }
