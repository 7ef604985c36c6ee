"""Dates on the school year's pages, in the order the school writes them (School.date_order)."""

import datetime

from django.utils import timezone

from School.locale.activation import date_order_of
from School.records.dates import write_date


def local_date(request, value):
    """`value` (a date or datetime, or None) as the request's school writes dates; "—" when there is none."""
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()  # the day it was in the school's time zone
    return write_date(value, date_order_of(getattr(request, "school", None)))
