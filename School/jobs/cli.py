"""`schools jobs [--school NAME] [--state ...] [--format table|json]`: the queue's depth, oldest waiting job, failures, jobs."""

from django.core.management.base import CommandError

from School.jobs.models import STATES, Job
from School.jobs.report import queue_summary
from School.management.tables import write_listing

EXIT_BAD_INPUT = 2
SHOWN = 50


def add_job_actions(actions):
    listing = actions.add_parser("jobs", help="the job queue: depth, oldest waiting, failures of the last day, recent jobs")
    listing.add_argument("--school", metavar="NAME", help="one school's jobs")
    listing.add_argument("--state", choices=STATES)
    listing.add_argument("--limit", type=int, default=SHOWN, help=f"jobs listed, newest first ({SHOWN})")
    listing.add_argument("--format", choices=["table", "json"], default="table")


def _row(job):
    return {
        "id": str(job.id), "school": job.school, "kind": job.kind, "state": job.state,
        "progress": job.percent, "attempts": job.attempts, "started_by": job.started_by,
        "created_at": job.created_at.isoformat(), "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "message": job.message, "result": job.result,
    }


def handle_jobs(command, school, state, limit, format, **options):
    from School.utils import school_by_name

    if school and school_by_name(school) is None and not Job.objects.of_school(school).exists():
        raise CommandError(f"unknown school {school!r}", returncode=EXIT_BAD_INPUT)
    if limit < 1:
        raise CommandError("--limit needs a whole number of at least 1", returncode=EXIT_BAD_INPUT)
    jobs = Job.objects.all() if not school else Job.objects.of_school(school)
    if state:
        jobs = jobs.filter(state=state)
    rows = [_row(job) for job in jobs[:limit]]
    summary = queue_summary(school or None)
    out = command.stdout
    if format == "json":
        oldest = summary["oldest_waiting"]
        summary = {**summary, "oldest_waiting": oldest.isoformat() if oldest else None, "jobs": rows}
        write_listing(out, summary, "json", "", (), None)
        return
    waiting = "unreachable" if not summary["reachable"] else ("-" if summary["waiting"] is None else summary["waiting"])
    oldest = summary["oldest_waiting"]
    out.write(f"queue: {summary['queue']}  waiting in the broker: {waiting}")
    out.write(f"oldest waiting job: {oldest.isoformat(timespec='seconds') if oldest else '-'}  "
              f"failed in the last day: {summary['failed_last_day']}  "
              + "  ".join(f"{name}: {count}" for name, count in summary["states"].items()))
    write_listing(
        out, rows, "table", "no jobs", ("id", "school", "kind", "state", "progress", "by", "created", "message"),
        lambda row: (row["id"], row["school"], row["kind"], row["state"],
                     "" if row["progress"] is None else f"{row['progress']}%", row["started_by"] or "-",
                     row["created_at"][:19], (row["message"] or "")[:60]),
    )


JOB_ACTIONS = {"jobs": handle_jobs}
