"""The platform calendar and national ladder in the default school's admin, for platform operators only.

Saving here changes the platform's copy only: `schools calendar apply` and
`schools grades apply` bring it to the schools (a walk over every school
is no work for a web request).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from School.admin import RegistryAdminMixin
from School.platform.models import PlatformLadder, PlatformYear
from School.school_year.calendar import CalendarError
from School.school_year.ladder import LadderError, checked_names
from School.school_year.national import check_year, platform_years, spans_of


class CheckedForm(forms.ModelForm):
    """A form whose whole row is checked as the command line checks it: check() raises the command's error."""

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.check(data)
            except (CalendarError, LadderError) as error:
                raise ValidationError(str(error)) from None
        return data


class PlatformYearForm(CheckedForm):
    class Meta:
        model = PlatformYear
        fields = ["name", "first_day", "last_day", "terms", "closed"]

    def check(self, data):
        try:
            terms, closed = spans_of(data["terms"] or [], "name"), spans_of(data["closed"] or [], "reason")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValidationError('terms and closed days are lists of {"name": ..., "first": "YYYY-MM-DD", "last": "YYYY-MM-DD"}') from None
        others = [year for year in platform_years() if year.pk != self.instance.pk]
        check_year(data["name"], data["first_day"], data["last_day"], terms, closed, others)


@admin.register(PlatformYear)
class PlatformYearAdmin(RegistryAdminMixin, admin.ModelAdmin):
    form = PlatformYearForm
    list_display = ["name", "first_day", "last_day", "changed_at"]


class PlatformLadderForm(CheckedForm):
    class Meta:
        model = PlatformLadder
        fields = ["grades", "finals"]

    def check(self, data):
        if not isinstance(data["grades"], list) or not isinstance(data["finals"] or [], list):
            raise ValidationError('grades and finals are lists of names, lowest first: ["Form 1", "Form 2"]')
        data["grades"] = checked_names([str(name) for name in data["grades"]], data["finals"] or [])


@admin.register(PlatformLadder)
class PlatformLadderAdmin(RegistryAdminMixin, admin.ModelAdmin):
    form = PlatformLadderForm
    list_display = ["__str__", "changed_at"]

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and not PlatformLadder.objects.exists()
