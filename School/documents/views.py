"""The pages and responses of students' files, on the school's own host only.

A file is shown to a signed-in user of this school with the permission to
view students, and to nobody else: everyone else gets 404 (a copied link
after sign-out, or on another school's host where no such file exists),
whatever STUDENT_DATA_REQUIRES_LOGIN says for the table.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from School.documents.photo_jobs import PHOTO_DAY
from School.jobs.submit import QueueUnavailable, submit
from School.records import uploads
from School.documents.inspection import FileRefused
from School.documents.models import StudentFile
from School.documents.page import ADD, DELETE
from School.documents.service import delete_file, open_stored, store_file
from School.documents.serving import file_response, is_first_piece
from School.documents.storage import MissingFile
from School.security import audit
from School.security.access import may_see_students
from School.views import get_student_or_404



def _visible_file(request, pk):
    if not may_see_students(request.user):
        raise Http404
    try:
        return StudentFile.objects.get(pk=pk)
    except (StudentFile.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def _open_or_404(row, thumbnail=False):
    try:
        return open_stored(row, thumbnail)
    except MissingFile:
        raise Http404 from None


def download(request, pk):
    row = _visible_file(request, pk)
    handle = _open_or_404(row)
    if is_first_piece(request):
        audit.record(
            request, audit.FILE_DOWNLOAD, target=f"{row.student.pk} {row.student.registration_no}",
            format=row.content_type, file_name=row.display_name,
        )
    return file_response(request, handle, content_type=row.content_type, size=row.size, download_name=row.display_name)


def thumbnail(request, pk):
    # Not audited one by one: it is part of the student's page, whose view is.
    if not may_see_students(request.user):
        raise Http404
    try:
        row = StudentFile.objects.only("thumbnail_key", "thumbnail_size").get(pk=pk, kind=StudentFile.Kind.PHOTO)
    except (StudentFile.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    handle = _open_or_404(row, thumbnail=True)
    return file_response(request, handle, content_type="image/jpeg", size=row.thumbnail_size, download_name="photo.jpg")


@staff_member_required
@require_POST
def upload(request, pk):
    if not request.user.has_perm(ADD):
        raise PermissionDenied
    student = get_student_or_404(pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            row, replaced = store_file(
                student, request.POST.get("kind", ""), upload, upload.name, size=upload.size,
                title=request.POST.get("title", "").strip(), actor=request,
            )
        except FileRefused as refusal:
            messages.error(request, _("%(name)s was not stored: %(reason)s") % {"name": upload.name[:100], "reason": refusal})
        else:
            messages.success(request, _("Stored %(name)s.") % {"name": row.display_name})
    return redirect("student-detail", pk=student.pk)


@staff_member_required
@require_POST
def delete(request, pk):
    if not request.user.has_perm(DELETE):
        raise PermissionDenied
    row = _visible_file(request, pk)
    student_pk = row.student.pk
    delete_file(row, actor=request)
    messages.success(request, _("Deleted %(name)s.") % {"name": row.display_name})
    return redirect("student-detail", pk=student_pk)


@staff_member_required
def import_photos(request):
    """Photo day on the web: a zip of photos named by registration number."""
    if not request.user.has_perm(ADD):
        raise PermissionDenied
    if request.method == "POST":
        upload = request.FILES.get("archive")
        if upload is None:
            messages.error(request, _("Choose a zip file of photos."))
        else:
            # Kept with the school's uploads until its job ends (or expires): the job's page shows the rest.
            token, path = uploads.new_upload(request.school.name)
            with open(path, "wb") as copy:
                for chunk in upload.chunks():
                    copy.write(chunk)
            try:
                job_id = submit(request.school.name, PHOTO_DAY, {"token": token}, started_by=request.user.get_username())
            except QueueUnavailable:
                path.unlink(missing_ok=True)
                messages.error(request, _("The photos could not be queued: the job queue does not answer. Nothing was stored; try again in a moment."))
            else:
                return redirect("job-detail", job_id=job_id)
    return render(request, "documents/import_photos.html")
