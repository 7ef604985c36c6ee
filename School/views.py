from django.http import JsonResponse
from django.shortcuts import render

from School.models import Student
from School.student_table import StudentTableQuery

COLUMNS = [
    ("id", "ID"),
    ("first_name", "First"),
    ("second_name", "Last"),
    ("registration_no", "Registration Number"),
]


def student_list(request):
    query = StudentTableQuery.from_params(request.GET)
    page = query.page(request.GET.get("page"))
    headers = [
        {
            "label": label,
            "sort": query.sort_param(column),
            "active": column == query.sort,
            "descending": query.descending,
        }
        for column, label in COLUMNS
    ]
    return render(
        request,
        "School/student_list.html",
        {"page": page, "query": query, "headers": headers, "sort_value": ("-" if query.descending else "") + query.sort},
    )


async def health(request):
    """For load balancers and operators: is this school's database answering?"""
    students = await Student.objects.acount()
    return JsonResponse({"school": request.school.name, "status": "ok", "students": students})
