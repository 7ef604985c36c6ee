"""The admin of each school, on that school's host, in that school's database.

The registry of schools is administered from the default school's admin only:
other schools' staff must not see (or even learn the names of) other schools.
"""

import re

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.accounts import host_notice
from School.context import current_school, tenant_context
from School.identity.admin import GuardianshipInline
from School.identity.enrolment import REASON_LENGTH, active_elsewhere, record_enrolled_anyway, warning
from School.identity.learner_number import read_number
from School.models import School, SchoolHost, Student, default_date_order, default_language, default_time_zone
from School.operations.provisioning import SchoolError, add_school, check_hosts_free, set_suspended
from School.operations.backups import BackupError, backup_path, backups_dir, backups_of, make_backup
from School.security.privileges import is_platform_operator
from School.transfers.records import STATUS_SET_BY_TRANSFERS, enters_transferred, is_sent, is_transferred_out
from School.utils import DEFAULT_SCHOOL, school_by_name
from School.validation import time_zone_names


class StudentForm(forms.ModelForm):
    enrol_reason = forms.CharField(
        label=gettext_lazy("Reason to enrol anyway"), required=False, max_length=REASON_LENGTH,
        help_text=gettext_lazy("Only when the child is already active at another school: kept in the audit trail."),
    )

    def clean_learner_no(self):
        return read_number(self.cleaned_data.get("learner_no", ""))

    def clean(self):
        cleaned = super().clean()
        self.elsewhere = []
        if self.instance._state.adding and not self.errors:
            candidate = Student(**{name: cleaned.get(name) or "" for name in ("learner_no", "first_name", "second_name", "sex")},
                                date_of_birth=cleaned.get("date_of_birth"))
            school = current_school()
            self.elsewhere = active_elsewhere(candidate, school.name if school else "")
            if self.elsewhere and not cleaned.get("enrol_reason", "").strip():
                raise ValidationError(warning(self.elsewhere))
        return cleaned

    def clean_status(self):
        status = self.cleaned_data["status"]
        if enters_transferred(None if self.instance._state.adding else self.instance.status, status):
            raise ValidationError(STATUS_SET_BY_TRANSFERS)
        return status


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    form = StudentForm
    # Changes are recorded in the admin log ("History") of the school's own database.
    list_display = ["registration_no", "first_name", "second_name", "grade", "status", "enrolment_date"]
    search_fields = ["registration_no", "first_name", "second_name"]
    list_filter = ["status", "sex", "grade", "enrolment_date"]
    ordering = ["registration_no"]
    fieldsets = [
        (None, {"fields": ["registration_no", "learner_no", "first_name", "second_name", "date_of_birth", "sex"]}),
        (gettext_lazy("Enrolment"), {"fields": ["grade", "enrolment_date", "status"]}),
    ]
    inlines = [GuardianshipInline]

    def get_search_fields(self, request):
        return [*super().get_search_fields(request), "learner_no"]

    def get_readonly_fields(self, request, obj=None):
        # A learner number is given once (typed on enrolment when the child brings one), then never changes.
        return ["learner_no"] if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return self.fieldsets
        return [*self.fieldsets, (gettext_lazy("Already at another school?"), {"fields": ["enrol_reason"]})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and getattr(form, "elsewhere", None):
            record_enrolled_anyway(request, obj, form.elsewhere, form.cleaned_data["enrol_reason"].strip())

    # A record sent to another school stays here as it was when it left: read-only.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and is_transferred_out(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and is_sent(obj))


class RegistryAdminMixin:
    """Visible in the default school's admin only, to its platform operators (not to a school-level group)."""

    def has_module_permission(self, request):
        return is_platform_operator(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_platform_operator(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_platform_operator(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_platform_operator(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_platform_operator(request) and super().has_delete_permission(request, obj)


class SchoolHostInline(RegistryAdminMixin, admin.TabularInline):
    model = SchoolHost
    extra = 1


LOCALE_DEFAULTS = {"language": default_language, "time_zone": default_time_zone, "date_order": default_date_order}


def time_zone_choices():
    return [(name, name) for name in sorted(time_zone_names())]


class SchoolLocaleForm(forms.ModelForm):
    """A school's time zone is picked from the IANA names: a forged value is a form error, never stored."""

    time_zone = forms.TypedChoiceField(
        label=gettext_lazy("time zone"),
        choices=time_zone_choices,
        help_text=gettext_lazy("Times are shown in this zone (and stored in UTC)."),
    )

    class Meta:
        model = School
        fields = ["display_name", "suspended", "language", "time_zone", "date_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty: the platform's default (settings), as with `schools add`.
        for field in LOCALE_DEFAULTS:
            self.fields[field].required = False

    def clean(self):
        cleaned = super().clean()
        for field, default in LOCALE_DEFAULTS.items():
            if field in cleaned and not cleaned[field]:
                cleaned[field] = default()
                setattr(self.instance, field, cleaned[field])
        return cleaned


class NewSchoolForm(SchoolLocaleForm):
    """Adding a school: the same checks and steps as `school_manage.py schools add`."""

    host_names = forms.CharField(
        label=gettext_lazy("Hosts"), help_text=gettext_lazy("One or more host names, separated by spaces or commas.")
    )
    admin_username = forms.CharField(
        label=gettext_lazy("Administrator's user name"), required=False,
        help_text=gettext_lazy("Optional: a first superuser of the new school."),
    )
    admin_email = forms.EmailField(label=gettext_lazy("Administrator's email address"), required=False)
    admin_password = forms.CharField(
        label=gettext_lazy("Administrator's password"), required=False, widget=forms.PasswordInput, strip=False
    )

    class Meta:
        model = School
        fields = ["name", "display_name", "suspended", "language", "time_zone", "date_order"]

    def clean_host_names(self):
        hosts = [host for host in re.split(r"[\s,]+", self.cleaned_data["host_names"]) if host]
        try:
            return check_hosts_free(hosts)
        except SchoolError as error:
            raise ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("admin_username"):
            if not cleaned.get("admin_password"):
                self.add_error("admin_password", _("Give the first superuser a password."))
            else:
                try:
                    validate_password(cleaned["admin_password"])
                except ValidationError as error:
                    self.add_error("admin_password", error)
        return cleaned


@admin.register(School)
class SchoolAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "display_name", "host_list", "language", "time_zone", "suspended", "last_backup", "created_at"]
    list_filter = ["suspended", "language"]
    form = SchoolLocaleForm
    search_fields = ["name", "display_name", "hosts__host"]
    exclude = ["mongodb_uri", "database"]
    actions = ["back_up_now"]

    @admin.action(description=gettext_lazy("Back up now"), permissions=["change"])
    def back_up_now(self, request, queryset):
        for row in queryset:
            school = school_by_name(row.name)
            try:
                with tenant_context(school):
                    path = make_backup(school, backup_path(backups_dir(), school.name))["path"]
            except BackupError as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            self.message_user(
                request, _("Backed up %(school)s to %(path)s") % {"school": school.name, "path": path}, messages.SUCCESS
            )

    def _backups(self, obj):
        # The nightly and on-demand ones, then the data replaced by `restore --replace`.
        return backups_of(backups_dir(), obj.name) + backups_of(backups_dir() / "replaced", obj.name)

    @admin.display(description=gettext_lazy("last backup"))
    def last_backup(self, obj):
        made = backups_of(backups_dir(), obj.name)
        return _backup_time(made[-1]) if made else _("never")

    @admin.display(description=gettext_lazy("backups"))
    def backup_list(self, obj):
        files = self._backups(obj)
        if not files:
            return _("none yet: use the action “Back up now” on the list of schools")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{} — {} — {}</li>",
                ((_backup_time(path), filesizeformat(path.stat().st_size), path) for path in reversed(files)),
            ),
        )

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = NewSchoolForm
            kwargs["fields"] = None
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["name", "display_name", "host_names", "suspended"]}),
                (gettext_lazy("Language, time zone and dates"), {"fields": ["language", "time_zone", "date_order"]}),
                (gettext_lazy("First administrator (optional)"), {"fields": ["admin_username", "admin_email", "admin_password"]}),
            ]
        return super().get_fieldsets(request, obj)

    def get_inlines(self, request, obj):
        # A new school's hosts are given on the form and registered with it.
        return [SchoolHostInline] if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        # The name is the database alias: renaming would orphan the data; the
        # cluster is where the data is: changing it here would not move it.
        return ["name", "cluster", "backup_list"] if obj is not None else []

    @admin.display(description=gettext_lazy("hosts"))
    def host_list(self, obj):
        return ", ".join(host.host for host in obj.hosts.all())

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.hosts.values_list("host", flat=True)) if change else None
        super().save_related(request, form, formsets, change)
        if change:
            after = set(form.instance.hosts.values_list("host", flat=True))
            host_notice.announce(form.instance.name, after - before, before - after, request=request)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        school = add_school(
            obj.name, data["host_names"], obj.display_name,
            locale={"language": obj.language, "time_zone": obj.time_zone, "date_order": obj.date_order},
        )
        if data.get("admin_username"):
            with tenant_context(school):
                get_user_model().objects.create_superuser(
                    data["admin_username"], data.get("admin_email") or "", data["admin_password"]
                )
        if obj.suspended:
            set_suspended(obj.name, True)
        # The admin goes on with `obj` (log entry, redirect): make it the saved row.
        created = School.objects.using(DEFAULT_SCHOOL).get(name=obj.name)
        obj.pk, obj._state.adding, obj._state.db = created.pk, False, DEFAULT_SCHOOL


def _backup_time(path):
    """When the backup was made, in the active (the platform school's) zone and language."""
    made = timezone.datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
    return f"{formats.date_format(made, 'DATETIME_FORMAT')} {made.strftime('%Z')}"
