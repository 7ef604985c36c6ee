"""/platform/: the dashboard across schools, on the `default` school's hosts, for platform staff only.

Platform staff: a superuser of `default`, or a user of `default` with the
permission "platform.view_platform". Anyone else gets a 404 (or the sign-in
page when not signed in); every other school's host answers 404, so no
school's users can ever reach it.
"""

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from School.context import tenant_context
from School.jobs.report import queue_summary
from School.operations.backups import BackupError, backup_path, backups_dir, make_backup
from School.operations.provisioning import SchoolError, set_suspended
from School.indicators import charts as indicator_charts
from School.indicators.dashboard import AGE_BANDS
from School.platform import charts, dashboard
from School.platform.figures import SEX_KEYS, STATUSES, sex_label, status_label
from School.security.privileges import is_platform_operator
from School.utils import DEFAULT_SCHOOL, school_by_name

logger = logging.getLogger(__name__)

CHANGE_SCHOOLS = "School.change_school"
# The chart's own inline <style> (pygal's) and nothing else: no script, no fetch.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def platform_staff(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        school = getattr(request, "school", None)
        if school is None or school.name != DEFAULT_SCHOOL:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_platform_operator(request):
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


@platform_staff
def overview(request):
    data = dashboard.current()
    context = {
        "data": data,
        "statuses": [status_label(status) for status in STATUSES],
        "status_totals": [(status_label(status), data.totals[status]) for status in STATUSES],
        "sex_totals": [(sex_label(key), data.totals[key]) for key in SEX_KEYS],
        "classes": [(charts.class_label(grade), counts, total) for grade, counts, total in data.classes],
        "class_rows": [
            (charts.class_label(grade), [counts.get(status, 0) for status in STATUSES], total)
            for grade, counts, total in data.classes
        ],
        "trend_rows": [(day.isoformat(), total) for day, total in data.trend],
        "may_act": request.user.has_perm(CHANGE_SCHOOLS),
        "age_bands": [label for _first, label in AGE_BANDS],
        "na": _("n/a"),
        "jobs": queue_summary(),  # read now, not kept with the figures: a queue changes by the second
    }
    return render(request, "platform/dashboard.html", context)


@platform_staff
def census(request):
    """The census workbook of ?year= (default: the latest year some school closed), for platform staff."""
    from io import BytesIO

    from School.indicators.census import census_workbook
    from School.indicators.dashboard import latest_closed_year
    from School.indicators.rates import IndicatorError

    year = str(request.GET.get("year", ""))[:20] or latest_closed_year()
    try:
        workbook = census_workbook(year)
    except IndicatorError as error:
        messages.error(request, str(error))
        return redirect(reverse("platform:dashboard") + "#indicators-title")
    body = BytesIO()
    workbook.save(body)
    response = HttpResponse(body.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="census-{year}.xlsx"'
    return response


@platform_staff
def chart(request, name):
    draw = charts.CHARTS.get(name) or indicator_charts.CHARTS.get(name)
    if draw is None:
        raise Http404
    response = HttpResponse(draw(dashboard.current()), content_type="image/svg+xml")
    response["Content-Security-Policy"] = SVG_POLICY
    response["Cache-Control"] = "private, max-age=30"
    return response


def _school_action(request, name, act):
    """Run act(school) for a POST of platform staff allowed to change schools; back to the health table."""
    if not request.user.has_perm(CHANGE_SCHOOLS):
        raise Http404
    school = school_by_name(name)
    if school is None:
        raise Http404
    try:
        messages.success(request, act(school))
    except (BackupError, SchoolError) as error:
        messages.error(request, str(error))
    dashboard.forget()
    return redirect(reverse("platform:dashboard") + "#health")


def _back_up(school):
    with tenant_context(school):
        path = make_backup(school, backup_path(backups_dir(), school.name))["path"]
    return _("Backed up %(school)s to %(path)s") % {"school": school.name, "path": path}


def _resume(school):
    set_suspended(school.name, False)
    return _("Resumed %(school)s") % {"school": school.name}


@require_POST
@platform_staff
def back_up(request, name):
    return _school_action(request, name, _back_up)


@require_POST
@platform_staff
def resume(request, name):
    return _school_action(request, name, _resume)
