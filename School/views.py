import functools
import logging
import sys
from html import escape

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from markupsafe import Markup

from School.availability import is_busy, is_no_space, unavailable_reason
from School.accounts import kept_sign_ins
from School.accounts.sessions import READ_APART, students_token
from School.context import current_alias, current_school
from School.context_processors import Links
from School.documents.page import student_files
from School.identity.guardians import guardians_of
from School.identity.phones import shown
from School.identity.sex import filter_choices as sex_filter_choices
from School.models import Student
from School.records.kept_pages import kept_page
from School.records.table import SchoolFacts, StudentTableQuery
from School.register.reading import student_attendance
from School.school_year.history import earlier_schools_of, history_of
from School.school_year.pages.dates import local_date
from School.school_year.pages.year_table import year_choices, year_table
from School.security import audit
from School.security.bounds import page_number
from School.security.access import sees_students_async, student_data
from School.transfers.records import record_transfers
from School.transfers.views import may_transfer

logger = logging.getLogger(__name__)

COLUMNS = [
    ("id", _("ID")),
    ("first_name", _("First")),
    ("second_name", _("Last")),
    ("registration_no", _("Registration Number")),
    ("grade", _("Class")),
    ("status", _("Status")),
]


# Only the columns the table shows, as tuples: no model instances per row.
ROW_FIELDS = ("pk", "first_name", "second_name", "registration_no", "grade", "status")
STATUS_CHOICES = Student.Status.choices


@functools.cache
def status_html(language):
    """{status: escaped label} in `language`: translated and escaped once per language, not per row."""
    return {value: escape(str(label)) for value, label in STATUS_CHOICES}
# One row of the table. Built in Python with html.escape on every value: the
# profile showed the template engine's per-value escaping as the largest cost
# of the page after the queries (8 values x 50 rows).
ROW = (
    '<tr>\n      <th scope="row"><a href="{prefix}{pk}/">{pk}</a></th>\n      <td>{first}</td>\n'
    "      <td>{last}</td>\n      <td>{number}</td>\n      <td>{grade}</td>\n      <td>{status}</td>\n    </tr>"
)


def table_rows(rows, detail_prefix):
    labels = status_html(get_language())
    return Markup("\n    ".join(
        ROW.format(
            # pk: an integer or an ObjectId, nothing to escape.
            prefix=detail_prefix, pk=pk, first=escape(first), last=escape(last),
            number=escape(number), grade=escape(grade), status=labels.get(status) or escape(status),
        )
        for pk, first, last, number, grade, status in rows
    ))


@functools.cache
def status_choices(language):
    """The status filter's (value, label) pairs in `language`, translated once per language."""
    return [(value, str(label)) for value, label in STATUS_CHOICES]


@functools.cache
def sex_choices(language):
    """The sex filter's (value, label) pairs in `language`, translated once per language."""
    return sex_filter_choices()


@functools.lru_cache(maxsize=8)
def detail_prefix(script_prefix):
    """A student's URL without the id, escaped: reversed once per process, not once per row or page."""
    return escape(reverse("student-detail", args=["0"]).removesuffix("0/"))


@functools.lru_cache(maxsize=256)
def table_headers(query, language):
    """The column headers' labels and sort links of `query`, built once per query and language."""
    return [
        {
            "label": str(label),
            "link": query.as_params(sort=query.sort_param(column)),
            "active": column == query.sort,
            "descending": query.descending,
        }
        for column, label in COLUMNS
    ]


def school_years(facts):
    """The school's (year, is current) pairs, kept under the students' stamp with the classes."""
    return facts.kept("years", functools.partial(year_choices, facts.alias))


@student_data(sign_in_here=True)
def student_list(request):
    facts = school_facts(request)
    if request.GET.get("year"):
        # Another year than the current one: that year's enrolments (School/school_year/pages/year_table.py).
        other = year_table(request, request.GET["year"], school_years(facts))
        if other is not None:
            return other
    query = StudentTableQuery.from_params(request.GET, hide_transferred=True)
    kept = kept_page(query, page_number(request.GET.get("page")), ROW_FIELDS, facts)
    page = kept.page
    language = get_language()
    prefix = detail_prefix(get_script_prefix())
    rows = kept.rows_html((language, prefix), functools.partial(table_rows, detail_prefix=prefix))
    return render(
        request,
        "School/student_list.html",
        {
            "page": page,
            "query": query,
            "headers": table_headers(query, language),
            "grades": facts.grades(),
            # After the page's rows: the stamp they were read with keys the years too (no query of its own).
            "years": school_years(facts),
            "statuses": status_choices(language),
            "sexes": sex_choices(language),
            "rows": rows,
            "filtered": bool(query.search or query.filters),
            "transfer_link": transfer_link(request, query),
            "previous_link": query.as_params(page=page.previous_number) if page.previous_number else "",
            "next_link": query.as_params(page=page.next_number) if page.next_number else "",
        },
        using="jinja2",
    )


def school_facts(request):
    """SchoolFacts with the students stamp a signed-in request's session read already, in its own statement."""
    alias = current_alias()
    token = students_token(request, alias)
    return SchoolFacts() if token is READ_APART else SchoolFacts(token)


@functools.lru_cache(maxsize=64)
def transfer_texts(script_prefix, language):
    """The transfer links' URLs and labels, reversed and translated once per prefix and language."""
    return reverse("transfer-send"), str(_("Transfer these students…")), reverse("transfers"), str(_("Transfers"))


def transfer_link(request, query):
    """Staff who may transfer students get a link sending the table's students to another school."""
    if not kept_sign_ins.answer(request, "may transfer", lambda: may_transfer(request.user)):
        return None
    send, label, list_url, list_label = transfer_texts(get_script_prefix(), get_language())
    # Links: read as attributes by the Jinja2 template, without a failed attribute look-up per key.
    return Links({"url": f"{send}?{query.as_params()}", "label": label, "list_url": list_url, "list_label": list_label})


def get_student_or_404(pk):
    # One wording for every missing student: no such id, or not an id of this
    # engine at all (an integer on SQLite, an ObjectId on MongoDB).
    try:
        return Student.objects.get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(_("No such student.")) from None


@staff_member_required
@student_data
def student_detail(request, pk):
    student = get_student_or_404(pk)
    audit.record(request, audit.DETAIL, target=f"{student.pk} {student.registration_no}", rows=1)
    context = {
        "student": student, "transfers": record_transfers(student), "may_transfer": may_transfer(request.user),
        "guardians": [(link, person, shown(person.phone), shown(person.other_phone))
                      for link, person in guardians_of(student._state.db, [student.pk]).get(student.pk, [])],
        "history": history_of(student, functools.partial(local_date, request)),
        "earlier_schools": earlier_schools_of(student, functools.partial(local_date, request)),
        "attendance": student_attendance(current_alias(), student),
        **student_files(student, request.user),
    }
    return render(request, "School/student_detail.html", context)


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
        return HttpResponseServerError(loader.render_to_string("500.html", request=request))
    school = current_school() or getattr(request, "school", None)
    logger.error("database unavailable: %s", reason, extra={"school": school.name if school else "-"})
    context = {"school": school, "busy": is_busy(error), "no_space": is_no_space(error)}
    response = HttpResponse(loader.render_to_string("School/unavailable.html", context, request=request), status=503)
    response["Retry-After"] = "30"
    return response
