import logging
import sys

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, render
from django.template import loader

from School.availability import unavailable_reason
from School.context import current_school
from School.models import Student
from School.records.table import StudentTableQuery, grades
from School.security import audit
from School.security.access import sees_students_async, student_data

logger = logging.getLogger(__name__)

COLUMNS = [
    ("id", "ID"),
    ("first_name", "First"),
    ("second_name", "Last"),
    ("registration_no", "Registration Number"),
    ("grade", "Class"),
    ("status", "Status"),
]


@student_data(sign_in_here=True)
def student_list(request):
    query = StudentTableQuery.from_params(request.GET)
    page = query.page(request.GET.get("page"))
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
            "filtered": bool(query.search or query.grade or query.status),
            "previous_link": query.as_params(page=page.previous_page_number()) if page.has_previous() else "",
            "next_link": query.as_params(page=page.next_page_number()) if page.has_next() else "",
        },
    )


def get_student_or_404(pk):
    try:
        return get_object_or_404(Student, pk=pk)
    except (ValueError, TypeError, ValidationError):
        # Not an id of this engine (an integer on SQLite, an ObjectId on MongoDB).
        raise Http404("No such student.") from None


@staff_member_required
@student_data
def student_detail(request, pk):
    student = get_student_or_404(pk)
    audit.record(request, audit.DETAIL, target=f"{student.pk} {student.registration_no}", rows=1)
    return render(request, "School/student_detail.html", {"student": student})


async def health(request):
    """For load balancers and operators: is this school's database answering?"""
    if not await sees_students_async(request):
        # Production, no credentials: whether it answers, not how many children.
        await Student.objects.aexists()
        return JsonResponse({"school": request.school.name, "status": "ok"})
    students = await Student.objects.acount()
    return JsonResponse({"school": request.school.name, "status": "ok", "students": students})


def server_error(request):
    """handler500: a database that cannot be reached is a 503, not a crash."""
    error = sys.exc_info()[1]
    reason = unavailable_reason(error) if error is not None else None
    if reason is None:
        return HttpResponseServerError(loader.render_to_string("500.html"))
    school = current_school() or getattr(request, "school", None)
    logger.error("database unavailable: %s", reason, extra={"school": school.name if school else "-"})
    response = HttpResponse(loader.render_to_string("School/unavailable.html", {"school": school}), status=503)
    response["Retry-After"] = "30"
    return response
