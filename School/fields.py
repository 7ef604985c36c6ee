"""Model fields for text a person or a file gives (names, classes, guardians, titles, notes).

One rule wherever the text comes from (the admin, the API, an import, the
shell): it is stored in the form of School.validation.normalise_text, and
control characters are refused with a message naming the field.
"""

from django.db import models

from School.validation import normalise_text, refuse_control_characters


class NormalisedText:
    """For a Django text field class: the rule above."""

    default_validators = [refuse_control_characters]

    def to_python(self, value):
        # What full_clean() validates and keeps: the stored form.
        return normalise_text(super().to_python(value))

    def pre_save(self, model_instance, add):
        # Every save and bulk_create, also of instances never cleaned.
        value = normalise_text(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self):
        # The same column as Django's own field: migrations record it as that,
        # so that adopting the rule never rebuilds a school's table (SQLite
        # rebuilds on any change of a field's class path).
        name, _path, args, kwargs = super().deconstruct()
        django_field = next(cls for cls in type(self).__mro__ if cls.__module__.startswith("django.db.models"))
        return name, f"django.db.models.{django_field.__name__}", args, kwargs


class TextLineField(NormalisedText, models.CharField):
    pass


class NoteField(NormalisedText, models.TextField):
    pass


def normalise_fields(instance):
    """Put every normalised text field of `instance` in its stored form now (before values derived from them)."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, NormalisedText):
            setattr(instance, field.attname, normalise_text(getattr(instance, field.attname)))
    return instance
