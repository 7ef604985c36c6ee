"""The admin of each school, on that school's host, in that school's database.

The registry of schools is administered from the default school's admin only:
other schools' staff must not see (or even learn the names of) other schools.
"""

from django.contrib import admin

from School.models import School, SchoolHost, Student
from School.utils import DEFAULT_SCHOOL


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["registration_no", "first_name", "second_name", "created_at"]
    search_fields = ["registration_no", "first_name", "second_name"]
    list_filter = ["created_at"]
    ordering = ["registration_no"]


class RegistryAdminMixin:
    """Visible in the default school's admin only."""

    def _on_default_school(self, request):
        school = getattr(request, "school", None)
        return school is not None and school.name == DEFAULT_SCHOOL

    def has_module_permission(self, request):
        return self._on_default_school(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._on_default_school(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._on_default_school(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._on_default_school(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._on_default_school(request) and super().has_delete_permission(request, obj)


class SchoolHostInline(RegistryAdminMixin, admin.TabularInline):
    model = SchoolHost
    extra = 1


@admin.register(School)
class SchoolAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "display_name", "host_list", "suspended", "created_at"]
    list_filter = ["suspended"]
    search_fields = ["name", "display_name", "hosts__host"]
    inlines = [SchoolHostInline]
    exclude = ["mongodb_uri"]

    def get_readonly_fields(self, request, obj=None):
        # The name is the database alias: renaming would orphan the data.
        return ["name"] if obj is not None else []

    @admin.display(description="hosts")
    def host_list(self, obj):
        return ", ".join(host.host for host in obj.hosts.all())

    def save_model(self, request, obj, form, change):
        if not change:
            from School.provisioning import prepare_database

            prepare_database(obj.name, obj.mongodb_uri)
        super().save_model(request, obj, form, change)
