"""`schools report`: the figures by school, class, status, sex (active students) or cluster, as a table, CSV, JSON or a workbook.

Rows are generated as they are read (100,000 schools stream through a CSV
in flat memory); a file is written under a temporary name and renamed when
complete, so a failed report leaves nothing behind.
"""

import csv
import json
import os
from pathlib import Path

from School.platform.figures import SEX_KEYS, STATUSES
from School.platform.listing import schools_with_figures
from School.platform.national import by_class, by_cluster, by_grade, by_sex, national_totals

BY_CHOICES = ("national", "school", "class", "status", "sex", "cluster", "grade")
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
        counted = ("total", *STATUSES, *SEX_KEYS)
        header = ("school", "display_name", "cluster", "state", *counted, "changed_at", "counted_at")

        def rows():
            for school, figures in schools_with_figures(*counted, "changed_at", "counted_at"):
                counts = tuple(getattr(figures, name) for name in counted) if figures else ("",) * len(counted)
                yield (school.name, school.display_name, school.cluster or "main", school.state, *counts,
                       _iso(figures and figures.changed_at), _iso(figures and figures.counted_at))

        return header, rows()
    if by == "class":
        return ("class", "total", *STATUSES, *SEX_KEYS), (
            (grade, total, *(counts.get(s, 0) for s in STATUSES), *(sexes.get(k, 0) for k in SEX_KEYS))
            for grade, counts, total, sexes in by_class(with_sexes=True)
        )
    if by == "sex":
        return ("sex", "active_students"), by_sex()
    if by == "cluster":
        return ("cluster", "schools", "students"), by_cluster()
    totals = national_totals()
    if by == "status":
        return ("status", "students"), [(status, totals[status]) for status in STATUSES]
    return ("schools", "counted", "total", *STATUSES, *SEX_KEYS), [
        (totals["schools"], totals["counted"], totals["total"], *(totals[name] for name in (*STATUSES, *SEX_KEYS)))
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
    write_rows(format, output, stdout, lambda: report_rows(by, year))


def write_rows(format, output, stdout, make_rows):
    """Write make_rows()'s (header, rows) as `format` to `output` (a path) or to `stdout`; shared by every report."""
    if format == "xlsx" and not output:
        raise ReportError("--format xlsx writes a workbook: give --output FILE.xlsx")
    if output:
        make_rows()  # refused before a file is made

    def write(handle):
        header, rows = make_rows()
        if format == "xlsx":
            _write_xlsx(handle, header, rows)
        else:
            WRITERS[format](handle, header, rows)

    written_to(output, format == "xlsx", write, stdout)


def written_to(output, binary, write, stdout):
    """write(handle) to the file `output`, under a temporary name renamed when complete (or to `stdout` without one)."""
    if not output:
        write(stdout)
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        handle = open(partial, "wb") if binary else open(partial, "w", newline="", encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot write {output}: {error.strerror or error}") from None
    try:
        with handle:
            write(handle)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
