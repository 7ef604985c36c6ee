"""The class sheet page's grid kept per worker, under every stamp that changes it.

A sheet is 60 students x 23 days: computing it and rendering its 1,500
cells cost about ten student-table pages. Between two writes that change it
the grid is the same, so a worker keeps it, rendered, under:

* the students' stamp (School.models.StudentsStamp): the class's students and
  their names, the school's years and closed days (School/school_year/stamp.py);
* the REGISTERS stamp (stamp.py): every register saved or corrected, marks
  carried by a transfer, the register settings (school days, sessions), the
  classes and grades (a class's teacher decides who may read it);
* the database's name (a school restored or moved into a new database, whose
  stamps came from a backup, finds none of them), the class and month asked
  for, and the request's language and time zone (the grid's headings).

Both tokens are read in one statement before anything is computed, so a grid
computed after a later write is only ever filed under the older tokens.
Writes that bypass these (raw SQL) are not seen: the project makes none.
"""

from collections import OrderedDict
from contextlib import suppress

from django.db import connections
from django.utils import timezone, translation

from School.models import STUDENTS, StudentsStamp
from School.register.stamp import REGISTERS

# About 30 KiB each: a registrar printing every class of a school month by month.
KEPT_SHEETS = 64

_sheets = OrderedDict()  # key -> kept value


def kept_sheet(alias, name, month, compute):
    """compute() (class, month, ...) kept under the school's stamps; computed afresh where a stamp was never written."""
    tokens = StudentsStamp.current_tokens(alias, (STUDENTS, REGISTERS))
    students, registers = tokens.get(STUDENTS), tokens.get(REGISTERS)
    if students is None or registers is None:
        return compute()
    key = (alias, connections[alias].settings_dict["NAME"], students, registers, name, month,
           translation.get_language(), timezone.get_current_timezone_name())
    kept = _sheets.get(key)
    if kept is None:
        kept = _sheets[key] = compute()
        while len(_sheets) > KEPT_SHEETS:
            with suppress(KeyError):
                _sheets.popitem(last=False)
    else:
        with suppress(KeyError):  # another thread of this worker may have dropped it meanwhile
            _sheets.move_to_end(key)
    return kept


def forget_sheets():
    """Drop every kept sheet (benchmarks that time the uncached page)."""
    _sheets.clear()
