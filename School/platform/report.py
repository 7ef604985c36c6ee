"""`schools report`: the figures by school, class, status or cluster, as a table, CSV, JSON or a workbook.

Rows are generated as they are read (100,000 schools stream through a CSV
in flat memory); a file is written under a temporary name and renamed when
complete, so a failed report leaves nothing behind.
"""

import csv
import json
import os
from pathlib import Path

from School.platform.figures import STATUSES
from School.platform.listing import schools_with_figures
from School.platform.national import by_class, by_cluster, by_grade, national_totals

BY_CHOICES = ("national", "school", "class", "status", "cluster", "grade")
FORMATS = ("table", "csv", "json", "xlsx")


class ReportError(Exception):
    """A report that cannot be written; the message says why in one line."""


def _iso(moment):
    return moment.isoformat(timespec="seconds") if moment else ""


def report_rows(by, year=""):
    """(header, rows) of the report; rows is an iterable of tuples."""
    if year and by != "grade":
        raise ReportError("--year is for --by grade: the other figures are of the students as they are now")
    if by == "grade":
        return ("grade", "enrolments", "schools"), by_grade(year)
    if by == "school":
        header = ("school", "display_name", "cluster", "state", "total", *STATUSES, "changed_at", "counted_at")

        def rows():
            for school, figures in schools_with_figures("total", *STATUSES, "changed_at", "counted_at"):
                counts = (figures.total, *(getattr(figures, s) for s in STATUSES)) if figures else ("",) * (1 + len(STATUSES))
                yield (school.name, school.display_name, school.cluster or "main", school.state, *counts,
                       _iso(figures and figures.changed_at), _iso(figures and figures.counted_at))

        return header, rows()
    if by == "class":
        return ("class", "total", *STATUSES), (
            (grade, total, *(counts.get(s, 0) for s in STATUSES)) for grade, counts, total in by_class()
        )
    if by == "cluster":
        return ("cluster", "schools", "students"), by_cluster()
    totals = national_totals()
    if by == "status":
        return ("status", "students"), [(status, totals[status]) for status in STATUSES]
    return ("schools", "counted", "total", *STATUSES), [
        (totals["schools"], totals["counted"], totals["total"], *(totals[s] for s in STATUSES))
    ]


def _write_table(handle, header, rows):
    rows = [tuple(str(cell) for cell in row) for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(header)]
    for line in [tuple(name.upper() for name in header), *rows]:
        handle.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() + "\n")


def _write_csv(handle, header, rows):
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows(rows)


def _write_json(handle, header, rows):
    handle.write("[")
    for n, row in enumerate(rows):
        handle.write(("\n  " if n == 0 else ",\n  ") + json.dumps(dict(zip(header, row))))
    handle.write("\n]\n")


def _write_xlsx(path, header, rows):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("report")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)


WRITERS = {"table": _write_table, "csv": _write_csv, "json": _write_json}


def write_report(by, format, output, stdout, year=""):
    """Write the report to `output` (a path) or to `stdout` (a text stream)."""
    if format == "xlsx" and not output:
        raise ReportError("--format xlsx writes a workbook: give --output FILE.xlsx")
    if not output:
        header, rows = report_rows(by, year)
        WRITERS[format](stdout, header, rows)
        return
    report_rows(by, year)  # refused before a file is made
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        handle = open(partial, "wb") if format == "xlsx" else open(partial, "w", newline="", encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot write {output}: {error.strerror or error}") from None
    try:
        header, rows = report_rows(by, year)
        with handle:
            if format == "xlsx":
                _write_xlsx(handle, header, rows)
            else:
                WRITERS[format](handle, header, rows)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
