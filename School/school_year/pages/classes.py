"""A year's classes by grade, and one class's list (one class, one year), printable on A4.

A school with no classes for a grade has the grade itself as its class.
During the current year the student rows are what registrars keep, so the
current year's lists read them (`Student.grade` holds the class, or the
grade where there are none); earlier years read their enrolments, with each
student's outcome.
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from School.models import Student
from School.school_year.history import OUTCOMES
from School.school_year.models import Enrolment, Grade, SchoolClass, SchoolYear
from School.school_year.pages.dates import local_date
from School.school_year.pages.guards import PROMOTE, may
from School.security.access import student_data

ACTIVE = Student.Status.ACTIVE


def chosen_year(request):
    """The year the request names (`?year=`), else the current one; 404 for a year the school does not have."""
    name = str(request.GET.get("year", ""))[:20]
    years = SchoolYear.objects.all()
    year = years.filter(name=name).first() if name else years.filter(is_current=True).first()
    if name and year is None:
        raise Http404("No such year.")
    return year


@staff_member_required
@student_data
def classes_page(request):
    year = chosen_year(request)
    context = {"years": list(SchoolYear.objects.order_by("-first_day").values_list("name", flat=True)),
               "year": year and {"name": year.name, "first": local_date(request, year.first_day),
                                 "last": local_date(request, year.last_day), "current": year.is_current},
               "grades": classes_by_grade(year) if year else [], "may_promote": may(request.user, PROMOTE)}
    return render(request, "school_year/classes.html", context)


def classes_by_grade(year):
    """[{grade, classes: [{name, teacher, students}]}] in ladder order; a grade without classes is its own class."""
    classes = list(SchoolClass.objects.filter(year=year).values_list("name", "grade_id", "teacher_id"))
    teachers = teacher_names({teacher for _name, _grade, teacher in classes if teacher is not None})
    counts = student_counts(year)
    found = []
    for grade_pk, grade_name in Grade.objects.order_by("position").values_list("pk", "name"):
        own = [(name, teachers.get(teacher, "")) for name, grade, teacher in classes if grade == grade_pk]
        entries = own or [(grade_name, "")]
        found.append({"grade": grade_name, "classes": [
            {"name": name, "teacher": teacher, "students": counts.pop(name, 0)} for name, teacher in entries
        ]})
    # Classes the ladder does not know (a student row's free text): listed, so nobody is missing.
    if any(counts.values()):
        found.append({"grade": "", "classes": [{"name": name, "teacher": "", "students": n} for name, n in sorted(counts.items()) if n]})
    return found


def student_counts(year):
    """{class (or grade) name: students} in `year`, one grouped query."""
    if year.is_current:
        rows = Student.objects.filter(status=ACTIVE).values("grade").annotate(n=Count("pk")).values_list("grade", "n")
        return {grade: n for grade, n in rows if grade}
    grades = dict(Grade.objects.values_list("pk", "name"))
    classes = dict(SchoolClass.objects.filter(year=year).values_list("pk", "name"))
    counts = {}
    for grade, school_class, n in (Enrolment.objects.filter(year=year).values("grade", "school_class")
                                   .annotate(n=Count("pk")).values_list("grade", "school_class", "n")):
        name = classes.get(school_class) or grades.get(grade, "")
        counts[name] = counts.get(name, 0) + n
    return counts


def teacher_names(pks):
    from django.contrib.auth import get_user_model

    if not pks:
        return {}
    return {user.pk: user.get_full_name() or user.get_username() for user in get_user_model().objects.filter(pk__in=list(pks))}


@staff_member_required
@student_data
def class_list_page(request):
    year = chosen_year(request)
    name = str(request.GET.get("class", ""))[:40]
    if year is None or not name:
        raise Http404("No such class.")
    school_class = SchoolClass.objects.filter(year=year, name=name).first()
    grade = None if school_class else Grade.objects.filter(name=name).first()
    # A class the table can filter by (a grade written on student rows, whatever their status) has a list,
    # even when none of its students is active any more: the table links to it.
    if school_class is None and grade is None and not (year.is_current and Student.objects.filter(grade=name).exists()):
        raise Http404("No such class.")
    teacher = teacher_names({school_class.teacher_id}).get(school_class.teacher_id, "") if school_class and school_class.teacher_id else ""
    context = {
        "year": {"name": year.name, "first": local_date(request, year.first_day), "last": local_date(request, year.last_day),
                 "current": year.is_current},
        "name": name, "grade": grade.name if grade else (school_class.grade.name if school_class else ""),
        "teacher": teacher, "capacity": school_class.capacity if school_class else None,
        "students": class_students(year, name, school_class, grade),
        "printed": local_date(request, timezone.now()),
    }
    return render(request, "school_year/class_list.html", context)


def class_students(year, name, school_class, grade):
    fields = ("pk", "registration_no", "first_name", "second_name")
    order = ("second_name", "first_name", "registration_no")
    if year.is_current:
        rows = Student.objects.filter(status=ACTIVE, grade=name).order_by(*order).values_list(*fields)
        return [{"pk": pk, "number": number, "name": f"{first} {last}", "outcome": ""} for pk, number, first, last in rows]
    enrolments = Enrolment.objects.filter(year=year)
    enrolments = enrolments.filter(school_class=school_class) if school_class else enrolments.filter(grade=grade, school_class=None)
    outcomes = dict(enrolments.values_list("student_id", "outcome"))
    rows = Student.objects.filter(pk__in=list(outcomes)).order_by(*order).values_list(*fields)
    return [{"pk": pk, "number": number, "name": f"{first} {last}", "outcome": str(OUTCOMES.get(outcomes[pk], ""))}
            for pk, number, first, last in rows]
