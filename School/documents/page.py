"""The student page's part about files (imported by School.views, so it imports no view)."""

from School.documents.models import StudentFile

ADD = "documents.add_studentfile"
DELETE = "documents.delete_studentfile"


def student_files(student, user):
    """The student page's part: the photo, the documents and what the user may do (two queries at most)."""
    rows = list(StudentFile.objects.filter(student=student).order_by("kind", "-uploaded_at"))
    return {
        "photo": next((row for row in rows if row.kind == StudentFile.Kind.PHOTO), None),
        "documents": [row for row in rows if row.kind != StudentFile.Kind.PHOTO],
        "kinds": StudentFile.Kind.choices,
        "may_upload": user.has_perm(ADD),
        "may_delete": user.has_perm(DELETE),
    }
