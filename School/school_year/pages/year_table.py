"""The student table of an earlier (or later) year: that year's enrolments, with that year's class and outcome.

The table at `/` shows the current year: the student rows themselves, as
fast as ever (School/views.py, School/records/). `/?year=NAME` naming any
other year comes here: the students enrolled that year, searched and paged
like the table, each with the grade or class and the outcome of that year.
The year selector's list is kept with the school's other facts under its
StudentsStamp (School/school_year/stamp.py), so the current year's table
reads no more than before.
"""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from School.models import Student
from School.school_year.history import OUTCOMES
from School.school_year.models import Enrolment, Grade, SchoolClass, SchoolYear
from School.security.bounds import page_number, search_text

PER_PAGE = 50


def year_choices(alias):
    """[(name, is current)] of the school's years, latest first: the selector's options."""
    return list(SchoolYear.objects.using(alias).order_by("-first_day").values_list("name", "is_current"))


def year_table(request, name, years):
    """The page of year `name`, or None when it is the current year (the usual table shows that)."""
    year = SchoolYear.objects.filter(name=str(name)[:20]).first()
    if year is None:
        raise Http404(_("No such year."))
    if year.is_current:
        return None
    search = search_text(request.GET.get("q"))
    enrolled = Enrolment.objects.filter(year=year)
    students = Student.objects.filter(pk__in=enrolled.values("student_id"))
    if search:
        students = students.filter(Q(registration_no__istartswith=search) | Q(first_name__istartswith=search)
                                   | Q(second_name__istartswith=search))
    listed = students.order_by("second_name", "first_name", "registration_no").values_list(
        "pk", "first_name", "second_name", "registration_no")
    page = Paginator(listed, PER_PAGE).get_page(page_number(request.GET.get("page")))
    their = {
        student: (grade, school_class, outcome)
        for student, grade, school_class, outcome in enrolled.filter(student__in=[row[0] for row in page.object_list])
        .values_list("student_id", "grade_id", "school_class_id", "outcome")
    }
    grades = dict(Grade.objects.values_list("pk", "name"))
    classes = dict(SchoolClass.objects.filter(year=year).values_list("pk", "name"))
    rows = [
        {"pk": pk, "first": first, "last": last, "number": number,
         "class": classes.get(their[pk][1]) or grades.get(their[pk][0], ""), "outcome": str(OUTCOMES.get(their[pk][2], ""))}
        for pk, first, last, number in page.object_list
    ]
    context = {"year": year.name, "years": years, "rows": rows, "page": page, "search": search}
    return render(request, "school_year/year_table.html", context)
