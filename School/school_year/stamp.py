"""A change to a school's years changes its StudentsStamp: the student table keeps the years under that stamp.

The table shows a year selector on every request; reading the years from
the school's cache of facts (School/records/table.py SchoolFacts) costs no
query, and this keeps that copy right in every worker: a year created,
renamed or removed (`calendar set`, the admin) renews the stamp. Promotion
and undo switch the current year with an update (no signal) beside their
writes to the students, which renew it themselves. `calendar set` renews it
again after writing the closed days: the register's class sheets are kept
under this stamp too (School/register/kept_sheets.py).
"""

from School.models import StudentsStamp


def year_changed(sender, instance, using, **kwargs):
    StudentsStamp.bump(using)
