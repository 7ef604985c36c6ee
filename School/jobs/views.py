"""The Jobs pages of a school's staff: that school's jobs only, newest first, and one job's progress.

A job of another school is a 404 here, as if it did not exist. While a job
waits or runs its page reloads itself every few seconds (no script needed).
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from School.jobs import catalogue  # noqa: F401  (each kind's result template)
from School.jobs.kinds import UnknownKind, kind
from School.jobs.models import Job
from School.security.access import VIEW_STUDENTS

SHOWN = 100
REFRESH_SECONDS = 2


def _titles():
    return {
        "records.import": _("Student import"),
        "mail.send": _("Mail"),
        "operations.backup": _("Nightly backup"),
        "documents.photo_day": _("Photo day: import photos"),
        "records.export": _("Export students"),
    }


def _title(job, titles):
    return titles.get(job.kind, job.kind)


@staff_member_required
@permission_required(VIEW_STUDENTS, raise_exception=True)
def job_list(request):
    titles = _titles()
    jobs = list(Job.objects.of_school(request.school.name)[:SHOWN])
    for job in jobs:
        job.title = _title(job, titles)
    waiting = any(not job.finished for job in jobs)
    return render(request, "jobs/jobs.html", {"jobs": jobs, "refresh": REFRESH_SECONDS if waiting else None})


@staff_member_required
@permission_required(VIEW_STUDENTS, raise_exception=True)
def job_detail(request, job_id):
    job = Job.objects.of_school(request.school.name).filter(pk=job_id).first()
    if job is None:
        raise Http404(_("No such job."))
    job.title = _title(job, _titles())
    try:
        result_template = kind(job.kind).result_template
    except UnknownKind:
        result_template = ""
    context = {"job": job, "refresh": None if job.finished else REFRESH_SECONDS, "result_template": result_template}
    return render(request, "jobs/job.html", context)
