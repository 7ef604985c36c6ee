"""The registrar's file pages: export the current list (CSV or xlsx), import with a preview.

An upload is checked and shown first (every bad row with its line number);
only the confirmation writes, all or nothing, from the file kept between the
two steps under the data directory of that school. The confirmation is a job
(School/records/import_jobs.py): the page answers at once with the job's page.
"""

import tempfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.identity.enrolment import REASON_LENGTH
from School.jobs.submit import QueueUnavailable, submit
from School.locale.activation import date_order_of
from School.records.dates import DESCRIPTIONS
from School.records import uploads
from School.records.files import COLUMNS, CsvFileError, ExportError, StudentImport, export_lines, export_xlsx
from School.jobs.models import DONE, Job
from School.records import export_jobs
from School.records.export_jobs import EXPORT
from School.records.import_jobs import IMPORT
from School.records.formats import csv_lines
from School.records.table import StudentTableQuery
from School.school_year.year_export import (
    HEADER,
    YearExportError,
    write_year_xlsx,
    year_enrolment_count,
    year_named,
    year_names,
    year_rows,
)
from School.security import audit
from School.security.access import ADD_STUDENTS, CHANGE_STUDENTS, VIEW_STUDENTS

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    update = forms.BooleanField(required=False, label=gettext_lazy("Update students whose registration number exists"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted in the request's language, not the one active at import time.
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx) or a CSV/text file (UTF-8, UTF-16 or Windows-1252; commas, semicolons or "
            "tabs) with a header row naming the columns: %(columns)s."
        ) % {"columns": ", ".join(COLUMNS)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


DATES_CHOICES = [("iso", gettext_lazy("YYYY-MM-DD (read by every program)")), ("local", gettext_lazy("The school's order"))]


BACKGROUND = "background"  # the prefix of the export page's second form, the one that makes a job


class ExportForm(forms.Form):
    """The export page: the file's format, how its dates are written, and which year."""

    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=[("csv", "CSV"), ("xlsx", "Excel (.xlsx)")])
    dates = forms.ChoiceField(label=gettext_lazy("Dates"), choices=DATES_CHOICES, initial="iso", required=False)
    year = forms.ChoiceField(label=gettext_lazy("Year"), required=False, help_text=gettext_lazy(
        "A year lists its enrolments with their grade, class and outcome; the student list exports the table as filtered."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("The student list (as filtered)"))] + [
            (name, name) for name in year_names(current_alias())]


def _upload_path(request, token):
    path = uploads.upload_path(request.school.name, token)
    if path is None:
        raise Http404(_("No such upload."))
    return path


def _export_date_order(request):
    """?dates=local: the school's own date order; anything else ISO."""
    return date_order_of(request.school) if request.GET.get("dates") == "local" else "iso"


def _exported_students(request, file_format):
    """The students of the current filtered list, with the export recorded in the audit trail."""
    query = StudentTableQuery.from_params(request.GET)
    # Bound to the school's database now: the response is streamed after the
    # middleware has deactivated the school.
    students = query.queryset().using(current_alias())
    audit.record(request, audit.EXPORT, target=query.as_params(), format=file_format, rows=students.count())
    return students


def _year_export(request, file_format):
    """(year, rows) when the download is one year's enrolments (?year=NAME), else None; 404 for no such year."""
    name = request.GET.get("year", "")
    if not name:
        return None
    try:
        year = year_named(current_alias(), name)
    except YearExportError:
        raise Http404(_("No such year.")) from None
    audit.record(request, audit.EXPORT, target=f"year={year}", format=file_format,
                 rows=year_enrolment_count(current_alias(), year))
    return year, year_rows(current_alias(), year, _export_date_order(request))


@staff_member_required
@permission_required(VIEW_STUDENTS, raise_exception=True)
def student_export(request):
    by_year = _year_export(request, "csv")
    if by_year is not None:
        response = StreamingHttpResponse(csv_lines(HEADER, by_year[1]), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{request.school.name}-{slugify(str(by_year[0]))}.csv"'
        return response
    students = _exported_students(request, "csv")
    response = StreamingHttpResponse(
        export_lines(students, _export_date_order(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{request.school.name}-students.csv"'
    return response


@staff_member_required
@permission_required(VIEW_STUDENTS, raise_exception=True)
def student_export_xlsx(request):
    # A workbook is a zip: written whole to a temporary file (not memory), then streamed.
    target = tempfile.TemporaryFile()
    by_year = _year_export(request, "xlsx")
    try:
        if by_year is not None:
            write_year_xlsx(target, *by_year)
        else:
            export_xlsx(_exported_students(request, "xlsx"), target, _export_date_order(request))
    except ExportError as error:
        target.close()
        # The export page again, saying why: the request was fine, one record is not.
        return _export_page(request, ExportForm(), status=409, error=error)
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=f"{request.school.name}-students.xlsx", content_type=XLSX_TYPE
    )


@staff_member_required
@permission_required(VIEW_STUDENTS, raise_exception=True)
def export_page(request):
    """The export's choices: format and dates; the download keeps the table's filters.

    POSTed, the same choices make a job instead (a large school's file is
    written in the background and downloaded from the job's page)."""
    if request.method == "POST":
        return _export_in_background(request)
    # The table's filters may come along (?q=...): only a chosen format is a submission.
    submitted = "format" in request.GET
    form = ExportForm(request.GET if submitted else None)
    if submitted and form.is_valid():
        params = request.GET.copy()
        params.pop("format", None)
        target = "student-export-xlsx" if form.cleaned_data["format"] == "xlsx" else "student-export"
        return redirect(f"{reverse(target)}?{params.urlencode()}")
    return _export_page(request, form, status=400 if submitted else 200)


def _export_in_background(request):
    form = ExportForm(request.POST, prefix=BACKGROUND)
    if not form.is_valid():
        return _export_page(request, ExportForm(), status=400, background_form=form)
    params = request.POST.copy()
    for name in (f"{BACKGROUND}-format", f"{BACKGROUND}-dates", "csrfmiddlewaretoken"):
        params.pop(name, None)
    date_order = date_order_of(request.school) if form.cleaned_data["dates"] == "local" else "iso"
    args = {"params": params.urlencode(), "file_format": form.cleaned_data["format"], "date_order": date_order}
    try:
        job_id = submit(request.school.name, EXPORT, args, started_by=request.user.get_username())
    except QueueUnavailable:
        error = _("The export could not be queued: the job queue does not answer. Try again in a moment.")
        return _export_page(request, ExportForm(), status=503, error=error, background_form=form)
    return redirect("job-detail", job_id=job_id)


@staff_member_required
@permission_required(VIEW_STUDENTS, raise_exception=True)
def export_file(request, job_id):
    """The file of a finished export job of this school (404 for any other job or school)."""
    job = Job.objects.of_school(request.school.name).filter(pk=job_id, kind=EXPORT, state=DONE).first()
    path = export_jobs.file_of(request.school.name, job.id, job.result.get("format", "csv")) if job else None
    if path is None or not path.is_file():
        raise Http404(_("That file is no longer kept: export the students again."))
    content_type = XLSX_TYPE if path.suffix == ".xlsx" else "text/csv; charset=utf-8"
    return FileResponse(
        open(path, "rb"), as_attachment=True, filename=f"{request.school.name}-students{path.suffix}", content_type=content_type,
    )


def _export_page(request, form, status, error=None, background_form=None):
    context = {
        "form": form, "school_order": DESCRIPTIONS[date_order_of(request.school)], "error": error,
        "background_form": background_form or ExportForm(prefix=BACKGROUND),
    }
    return render(request, "School/student_export.html", context, status=status)


@staff_member_required
@permission_required(ADD_STUDENTS, raise_exception=True)
def student_import(request):
    # Updating existing records is a change: a Registrar without it may still add new ones.
    if request.POST.get("update") in ("1", "on") and not request.user.has_perm(CHANGE_STUDENTS):
        raise PermissionDenied(_("You may not change this school's students."))
    uploads.sweep(request.school.name)  # no cron needed: forgotten uploads go on the school's next import
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return _preview(request, form)
    return render(request, "School/student_import.html", {"form": form})


def _preview(request, form):
    """Keep the upload for its confirmation only if it checks out; never after an error."""
    token, path = uploads.new_upload(request.school.name)
    update = form.cleaned_data["update"]
    report = None
    try:
        with open(path, "wb") as handle:
            for chunk in form.cleaned_data["file"].chunks():
                handle.write(chunk)
        report = StudentImport(path, update=update, max_rows=settings.IMPORT_MAX_ROWS, enrol_reason="").check()
    except CsvFileError as error:
        form.add_error("file", str(error))
        return render(request, "School/student_import.html", {"form": form}, status=400)
    finally:
        if report is None or not report.ok:
            path.unlink(missing_ok=True)
    result = "checked" if report.ok else report.summary()
    audit.record(request, audit.IMPORT, file_name=form.cleaned_data["file"].name, rows=report.rows, result=result)
    context = {"form": UploadForm(), "report": report, "token": token, "update": update, "reason_length": REASON_LENGTH}
    return render(request, "School/student_import.html", context, status=200 if report.ok else 400)


def _confirm(request):
    """Hand the kept upload to the queue: the job page shows its progress, then the summary."""
    token = request.POST["token"]
    path = _upload_path(request, token)
    if uploads.is_expired(path):
        path.unlink(missing_ok=True)
        messages.error(request, _("That upload has expired or was already imported; please upload the file again."))
        return redirect("student-import")
    update = request.POST.get("update") == "1"
    # Needed only when the preview warned of children active elsewhere; the job checks again and
    # refuses those rows without it.
    reason = request.POST.get("enrol_reason", "").strip()[:REASON_LENGTH]
    path.touch()  # its expiry counts from now: the job may wait its turn
    try:
        job_id = submit(
            request.school.name, IMPORT, {"token": token, "update": update, "enrol_reason": reason}, started_by=request.user.get_username(),
        )
    except QueueUnavailable:
        audit.record(request, audit.IMPORT, result="not queued")
        # The upload stays: the same confirmation can be sent again once the queue answers.
        context = {"form": UploadForm(), "token": token, "update": update, "not_queued": True, "enrol_reason": reason}
        return render(request, "School/student_import.html", context, status=503)
    return redirect("job-detail", job_id=job_id)
