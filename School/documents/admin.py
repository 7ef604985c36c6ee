"""Students' files in each school's admin: upload (through the same checks), list, retitle, delete."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from School.documents.inspection import FileRefused, inspect
from School.documents.models import StudentFile
from School.context import current_alias
from School.documents.service import check_quota, delete_file, store_file


class StudentFileAddForm(forms.ModelForm):
    upload = forms.FileField(label=_("File (PDF, JPEG, PNG or WebP)"))

    class Meta:
        model = StudentFile
        fields = ["student", "kind", "title"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is not None and cleaned.get("kind"):
            try:  # the same checks as the store, so that a refusal shows on the form
                inspect(upload, upload.name, size=upload.size, images_only=cleaned["kind"] == StudentFile.Kind.PHOTO)
                check_quota(current_alias(), upload.size)
            except FileRefused as refusal:
                raise forms.ValidationError({"upload": str(refusal)}) from None
        return cleaned


@admin.register(StudentFile)
class StudentFileAdmin(admin.ModelAdmin):
    list_display = ["student", "kind", "title", "display_name", "content_type", "size", "uploaded_by", "uploaded_at", "open_link"]
    list_filter = ["kind", "content_type"]
    search_fields = ["student__registration_no", "title", "display_name"]
    list_select_related = ["student"]
    raw_id_fields = ["student"]
    readonly_fields = ["display_name", "content_type", "size", "checksum", "uploaded_by", "uploaded_at", "open_link"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StudentFileAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["student", "kind", "title", "upload"]
        return ["student", "kind", "title", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "student", "kind"] if obj else []

    @admin.display(description=_("SHA-256 checksum"))
    def checksum(self, obj):
        # The field's own label would read "Sha256" in every language, and renaming it needs a migration.
        return obj.sha256

    @admin.display(description=_("open"))
    def open_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("file-download", args=[obj.pk]), _("open")) if obj.pk else ""

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        upload = form.cleaned_data["upload"]
        row, _replaced = store_file(
            obj.student, obj.kind, upload, upload.name, size=upload.size, title=obj.title, actor=request
        )
        obj.pk = row.pk
        obj._state = row._state

    def delete_model(self, request, obj):
        delete_file(obj, actor=request)

    def delete_queryset(self, request, queryset):
        for row in queryset.select_related("student"):
            delete_file(row, actor=request)
