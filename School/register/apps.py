"""The daily register: each class's attendance per school day, kept small, as the legal record.

models.py     a register taken (class, day, session, who, when, version), the marks that are not
              "present", the school's own absence reasons and its register settings
codes.py      the marks, their labels and the Ed-Fi attendance event category each maps to
service.py    the rules, one piece of code for the page and the command line: who may take which
              register, which days and students, idempotent saves, the version check, corrections
              after the day (registrars only, with a reason, audited)
reading.py    what was taken: today's missing registers and absentees, a student's figures
pages/        the register, "Today", class sheet and settings pages
absence_mails.py  the guardians' absence mails, queued after a save (one per student and day)
stamp.py      the REGISTERS stamp: renewed by every write that changes a class sheet
kept_sheets.py  class sheets kept per worker under that stamp and the students'
configure.py  the settings' checks and changes, one piece of code for the settings page and `register_settings`
carry.py      a transferred student's attendance, carried read-only to the receiving school
groups.py     groups other than a class (a trip, a team): made, their members, their registers' rolls
management/   `register`, `attendance`, `register_settings`, `register_groups`, run per school by school_manage.py

Everything lives in the school's own database, so backups, restore, clone and
move carry it like any other table of the school.
"""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "School.register"
    label = "register"
    verbose_name = _("Register")

    def ready(self):
        from School.register import absence_mails  # noqa: F401  (listens to register_saved)
        from School.register import stamp

        stamp.connect()
