"""The class sheet: one class, one month, the paper register's grid (students x school days, marks, totals).

Read in five queries whatever the class's size and the month's days: the
settings, the closed days, the month's registers of the class, their marks,
and the class's students. Shared by the page (which keeps it rendered:
kept_sheets.py) and `attendance --class`, which writes it as a table, CSV or xlsx.
"""

import calendar as month_calendar
import csv
import datetime
import io

from School.register import service
from School.register.codes import ABSENCES, LATE, LETTERS, PRESENT
from School.register.models import Mark, RegisterTaken
from School.school_year.models import ClosedDay


def parse_month(text):
    try:
        first = datetime.datetime.strptime(str(text), "%Y-%m").date()
    except ValueError:
        raise service.RegisterError(f"{text!r} is not a month: write YYYY-MM") from None
    return first


def school_days(using, year, first, settings=None):
    """The month's school days inside the year: the school's weekdays, less its closed days."""
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    first, last = max(first, year.first_day), min(last, year.last_day)
    weekdays = (settings or service.school_settings(using)).weekdays
    closed = list(ClosedDay.objects.using(using).filter(year=year, first_day__lte=last, last_day__gte=first)
                  .values_list("first_day", "last_day"))
    days = []
    day = first
    while day <= last:
        if str(day.isoweekday()) in weekdays and not any(start <= day <= end for start, end in closed):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def class_sheet(using, class_name, month, ref=None):
    """{"class", "month", "columns": [(day, session)], "rows": [{regno, name, cells, present, absent, late}], "totals"}."""
    ref = ref or service.find_class(using, class_name)  # the page found it already
    first = parse_month(month)
    settings = service.school_settings(using)  # read once, for the days and the sessions alike
    day_sessions = service.sessions(using, settings)
    columns = [(day, str(session)) for day in school_days(using, ref.year, first, settings) for session in day_sessions]
    registers = {(day, session): pk for pk, day, session in RegisterTaken.objects.using(using).filter(
        year=ref.year, class_name=ref.name, date__gte=first, date__lt=_next_month(first)).values_list("pk", "date", "session")}
    marks = {(register, student): code for register, student, code in Mark.objects.using(using).filter(
        register_id__in=list(registers.values())).values_list("register_id", "student_id", "code")}
    rows, totals = [], [0] * len(columns)
    for regno, student in service.class_students(using, ref).items():
        cells, counts = [], {"present": 0, "absent": 0, "late": 0}
        for index, column in enumerate(columns):
            register = registers.get(column)
            if register is None:
                cells.append("")
                continue
            code = marks.get((register, student.pk), PRESENT)
            cells.append(LETTERS[code])
            if code in (PRESENT, LATE):
                counts["present"] += 1
                totals[index] += 1
            counts["absent"] += code in ABSENCES
            counts["late"] += code == LATE
        rows.append({"regno": regno, "name": f"{student.first_name} {student.second_name}", "cells": cells, **counts})
    taken = [column in registers for column in columns]
    return {"class": ref.name, "year": ref.year.name, "month": first.strftime("%Y-%m"), "columns": columns,
            "rows": rows, "totals": [total if was_taken else "" for total, was_taken in zip(totals, taken)],
            "legend": dict(LETTERS)}


def _next_month(first):
    return (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def header(sheet):
    two = any(session != "day" for _day, session in sheet["columns"])
    days = [f"{day.day}{session if two else ''}" for day, session in sheet["columns"]]
    return ["No.", "Registration number", "Name", *days, "Present", "Absent", "Late"]


def lines(sheet):
    """The grid as plain rows: the header, one row per student, the day totals."""
    yield header(sheet)
    for number, row in enumerate(sheet["rows"], 1):
        yield [number, row["regno"], row["name"], *row["cells"], row["present"], row["absent"], row["late"]]
    yield ["", "", "Present", *sheet["totals"], "", "", ""]


def as_csv(sheet):
    out = io.StringIO()
    csv.writer(out).writerows(lines(sheet))
    return out.getvalue()


def as_xlsx(sheet):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet(title=f"{sheet['class']} {sheet['month']}"[:31].replace("/", "-"))
    for line in lines(sheet):
        page.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
