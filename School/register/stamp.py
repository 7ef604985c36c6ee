"""The school's REGISTERS stamp: its token changes with every write that changes a class sheet.

Kept class sheets (kept_sheets.py) are filed under it and under the
students' stamp (School.models.StudentsStamp, which also follows the
school's years and closed days: School/school_year/stamp.py). Renewed by a
register's save or correction (service.py, in the save's transaction), a
transfer carrying marks (carry.py), and by signal when the register settings,
a class or a grade change (a class's teacher decides who may read its sheet).
"""

from django.db.models.signals import post_delete, post_save

from School.models import StudentsStamp, renew_token

REGISTERS = "registers"


def registers_changed(using):
    """Called AFTER the write (or inside its transaction): a reader that sees the new token sees the new rows."""
    renew_token(StudentsStamp.objects.using(using), REGISTERS)


def _saved_or_deleted(sender, instance, using, **kwargs):
    registers_changed(using)


def connect():
    """Connected once at start-up (School.register.apps)."""
    from School.register.models import RegisterSettings
    from School.school_year.models import Grade, SchoolClass

    for model in (RegisterSettings, SchoolClass, Grade):
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=f"register_stamp_save_{model.__name__}")
        post_delete.connect(_saved_or_deleted, sender=model, dispatch_uid=f"register_stamp_delete_{model.__name__}")
