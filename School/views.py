import logging
import sys

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.template import loader

from School.availability import unavailable_reason
from School.context import current_school
from School.models import Student
from School.records.table import PAGE_SIZE, StudentTableQuery, grades

logger = logging.getLogger(__name__)

COLUMNS = [
    ("id", "ID"),
    ("first_name", "First"),
    ("second_name", "Last"),
    ("registration_no", "Registration Number"),
    ("grade", "Class"),
    ("status", "Status"),
]


# Only the columns the table shows, as tuples: no model instances per row.
ROW_FIELDS = ("pk", "first_name", "second_name", "registration_no", "grade", "status")
STATUS_LABELS = dict(Student.Status.choices)


def student_list(request):
    query = StudentTableQuery.from_params(request.GET)
    page = Paginator(query.queryset().values_list(*ROW_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    headers = [
        {
            "label": label,
            "link": query.as_params(sort=query.sort_param(column)),
            "active": column == query.sort,
            "descending": query.descending,
        }
        for column, label in COLUMNS
    ]
    return render(
        request,
        "School/student_list.html",
        {
            "page": page,
            "query": query,
            "headers": headers,
            "grades": grades(),
            "statuses": Student.Status.choices,
            "status_labels": STATUS_LABELS,
            # Reversed once per page, not once per row.
            "detail_prefix": reverse("student-detail", args=["0"]).removesuffix("0/"),
            "filtered": bool(query.search or query.grade or query.status),
            "previous_link": query.as_params(page=page.previous_page_number()) if page.has_previous() else "",
            "next_link": query.as_params(page=page.next_page_number()) if page.has_next() else "",
        },
        using="jinja2",
    )


def get_student_or_404(pk):
    try:
        return get_object_or_404(Student, pk=pk)
    except (ValueError, TypeError, ValidationError):
        # Not an id of this engine (an integer on SQLite, an ObjectId on MongoDB).
        raise Http404("No such student.") from None


@staff_member_required
def student_detail(request, pk):
    return render(request, "School/student_detail.html", {"student": get_student_or_404(pk)})


async def health(request):
    """For load balancers and operators: is this school's database answering?"""
    students = await Student.objects.acount()
    return JsonResponse({"school": request.school.name, "status": "ok", "students": students})


def server_error(request):
    """handler500: a database that cannot be reached is a 503, not a crash."""
    error = sys.exc_info()[1]
    reason = unavailable_reason(error) if error is not None else None
    if reason is None:
        return HttpResponseServerError(loader.render_to_string("500.html", request=request))
    school = current_school() or getattr(request, "school", None)
    logger.error("database unavailable: %s", reason, extra={"school": school.name if school else "-"})
    response = HttpResponse(loader.render_to_string("School/unavailable.html", {"school": school}, request=request), status=503)
    response["Retry-After"] = "30"
    return response
