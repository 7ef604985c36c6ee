"""Guardians in a school's admin: each person once (with phones in E.164), linked to students from the student's page."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from School.context import current_school
from School.identity.models import Guardian, Guardianship
from School.identity.phones import normalise_phone, region_of


class GuardianForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = ["name", "phone", "other_phone", "email"]

    def _phone(self, field):
        return normalise_phone(self.cleaned_data.get(field, ""), region_of(current_school()))

    def clean_phone(self):
        return self._phone("phone")

    def clean_other_phone(self):
        return self._phone("other_phone")


@admin.register(Guardian)
class GuardianAdmin(admin.ModelAdmin):
    form = GuardianForm
    list_display = ["name", "phone", "email"]
    search_fields = ["name", "phone", "email"]
    ordering = ["name"]


class GuardianshipFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [form for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("guardian")]
        primaries = sum(bool(form.cleaned_data.get("primary_contact")) for form in kept)
        if kept and primaries != 1:
            raise ValidationError(_("Choose exactly one guardian as the primary contact."))


class GuardianshipInline(admin.TabularInline):
    model = Guardianship
    formset = GuardianshipFormSet
    fields = ["guardian", "relationship", "position", "primary_contact", "lives_with", "emergency_contact"]
    autocomplete_fields = ["guardian"]
    extra = 1
