"""Dates typed by people, read and written in the school's date order.

`05/03/2012` is 5 March at a day-first school (dmy) and 3 May at a
month-first one (mdy): only the school's setting decides, never a guess per
row. ISO dates (2012-03-05) are read at every school. A file whose dates can
only be read day first on some lines and only month first on others
(13/01/2012 and 01/13/2012) is refused with those lines: which order the
other lines meant cannot be known.
"""

import datetime
import re

from django.utils.translation import gettext as _

from School.validation import DATE_ORDERS

ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
LOCAL_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
# Explicit widths, not strftime: its %Y writes year 93 as "93" on glibc, which
# a person, Excel and our own import all read as 1993.
PATTERNS = {"dmy": "{d:02d}/{m:02d}/{y:04d}", "mdy": "{m:02d}/{d:02d}/{y:04d}", "iso": "{y:04d}-{m:02d}-{d:02d}"}
SPELLINGS = {"dmy": "DD/MM/YYYY", "mdy": "MM/DD/YYYY", "iso": "YYYY-MM-DD"}
DESCRIPTIONS = DATE_ORDERS
LINES_NAMED = 10


def write_date(value, order="iso"):
    """`value` (a date) as the school writes it, always with a four-digit year."""
    return PATTERNS[order].format(d=value.day, m=value.month, y=value.year)


def _lines(lines):
    named = ", ".join(str(line) for line in lines[:LINES_NAMED])
    return named + (" …" if len(lines) > LINES_NAMED else "")


class DateReader:
    """Reads one file's dates in `order`, noting the lines that only one order can read."""

    def __init__(self, order):
        self.order = order
        self.day_first_lines = []
        self.month_first_lines = []

    @property
    def description(self):
        return DESCRIPTIONS[self.order]

    def read(self, value, line=0):
        """The date of `value` ("" -> None); ValueError with the reason if it is none."""
        if not value:
            return None
        iso = ISO_DATE.fullmatch(value)
        if iso:
            year, month, day = (int(part) for part in iso.groups())
            return self._date(year, month, day, value)
        local = LOCAL_DATE.fullmatch(value)
        if local is None or self.order == "iso":
            if self.order == "iso":
                raise ValueError(_("bad date %(value)s: write it as YYYY-MM-DD") % {"value": repr(value)})
            raise ValueError(
                _("bad date %(value)s: write it as %(spelling)s or YYYY-MM-DD")
                % {"value": repr(value), "spelling": SPELLINGS[self.order]}
            )
        first, _separator, second, year = local.groups()
        first, second, year = int(first), int(second), int(year)
        if first > 12 >= second:
            self.day_first_lines.append(line)
        elif second > 12 >= first:
            self.month_first_lines.append(line)
        day, month = (first, second) if self.order == "dmy" else (second, first)
        return self._date(year, month, day, value)

    @staticmethod
    def _date(year, month, day, value):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise ValueError(_("bad date %(value)s: there is no such day") % {"value": repr(value)}) from None

    def mixed_orders(self):
        """The problem of a file that mixes date orders, or None."""
        if not (self.day_first_lines and self.month_first_lines):
            return None
        return _(
            "the file mixes date orders: the dates on lines %(day_first)s can only be day first, those on lines "
            "%(month_first)s only month first, so dates such as 05/03/2012 are ambiguous; this school reads "
            "dates %(order)s: write every date that way"
        ) % {
            "day_first": _lines(self.day_first_lines),
            "month_first": _lines(self.month_first_lines),
            "order": self.description,
        }

    @property
    def first_mixed_line(self):
        return min(self.day_first_lines[0], self.month_first_lines[0])
