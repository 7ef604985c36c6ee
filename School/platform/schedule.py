"""The platform's nightly work, on the queue's scheduler (School/jobs/schedules.py): no cron lines.

    backups          every school backed up by its own job (the workers share them),
                     BACKUP_KEEP newest kept per school, in SCHOOL_DATA_DIR/backups
    refresh_figures  `schools refresh-figures --all` and the day's national snapshot
    prune            uploads past their expiry, export files past EXPORT_KEEP_HOURS, audit events past AUDIT_RETENTION_DAYS,
                     registry changes older than a week

When: JOB_SCHEDULES in the settings; whether they ran: `schools health`.
"""

import io
import logging

from django.conf import settings
from django.core.management import call_command

from School.context import current_school, tenant_context
from School.indicators.dashboard import take_snapshot as take_indicator_snapshot
from School.jobs import kinds, schedules
from School.jobs.submit import enqueue_now
from School.operations.backups import backup_path, backups_dir, make_backup, prune as prune_backups
from School.platform.refresh import refresh
from School.records import uploads
from School.records.export_jobs import prune_exports
from School.security import audit
from School.utils import all_schools

logger = logging.getLogger(__name__)

BACKUP = "operations.backup"


@kinds.register(BACKUP, retries=2, retry_delay=60, backoff=2)
def back_up_school(job, keep=None):
    """One school's backup, as `NAME backup --output-dir <data>/backups --keep N` writes it."""
    school = current_school()
    directory = backups_dir()
    manifest = make_backup(school, backup_path(directory, school.name))
    deleted = prune_backups(directory, school.name, keep) if keep else []
    rows = sum(table["rows"] for table in manifest["tables"].values())
    logger.info("backed up to %s; %d old backups deleted", manifest["path"], len(deleted), extra={"school": school.name})
    return {"rows": rows, "deleted": len(deleted)}


@schedules.scheduled("backups")
def nightly_backups():
    """A job per school: as many run at once as there are workers."""
    schools = all_schools()
    for school in schools:
        enqueue_now(school.name, BACKUP, {"keep": settings.BACKUP_KEEP}, started_by="schedule")
    return f"{len(schools)} backups queued"


@schedules.scheduled("refresh_figures")
def nightly_figures():
    counts = refresh(all_schools(), 1, io.StringIO(), io.StringIO())
    take_indicator_snapshot()  # the dashboard's rates by grade follow the night's counts
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))


@schedules.scheduled("prune")
def nightly_pruning():
    swept = uploads.sweep_all() + prune_exports()
    events = 0
    for school in all_schools():
        with tenant_context(school):
            events += audit.prune()
    call_command("prune_registry_log", stdout=io.StringIO())
    return f"{swept} uploads and export files, {events} audit events deleted; registry log pruned"
