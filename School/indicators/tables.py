"""`schools indicators`: the lines of School/indicators/rates.py as a table, CSV, JSON or a workbook.

The JSON form always gives each rate's numerator and denominator; the
other forms do with --explain ("82.5 (33/40)" in a table, two more columns
in CSV and xlsx). Files are written under a temporary name and renamed
when complete, as `schools report` does.
"""

import json

from School.indicators.population import enrolment_ratios
from School.indicators.rates import BY, IndicatorError, Ratio, check_year, current_year
from School.platform.report import ReportError, _write_csv, _write_table, _write_xlsx, written_to

FORMATS = ("table", "csv", "json", "xlsx")
COLUMNS = ("enrolled", "enrolled_female", "enrolled_male", "gpi_enrolment", "repeaters", "promotion_rate",
           "repetition_rate", "dropout_rate", "gpi_promotion", "gpi_repetition", "gpi_dropout", "transition_rate",
           "gpi_transition", "teachers", "pupil_teacher_ratio", "attendance_rate", "persistent_absence")


def computed(by, year):
    """(year, lines, notes) for `schools indicators`."""
    year = year or current_year()
    check_year(year)
    lines = BY[by](year)
    notes = []
    not_closed = sorted({name for line in lines for name in line.not_closed})
    if not_closed:
        shown = ", ".join(not_closed[:10]) + (f" and {len(not_closed) - 10} more" if len(not_closed) > 10 else "")
        notes.append(f"{len(not_closed)} schools have not closed {year} (promotion not done): left out of the flow "
                     f"rates: {shown}")
    ratios, note = enrolment_ratios(year)
    notes.append(note)
    return year, lines, notes, ratios


def _cells(figures, explain, split):
    for column in COLUMNS:
        value = figures[column]
        if not isinstance(value, Ratio):
            yield value
        elif split:
            yield from ("" if value.value is None and value.denominator == 0 else value.text(), _raw(value.numerator),
                        _raw(value.denominator))
        else:
            yield value.text(explain)


def _raw(value):
    return "" if value is None else value


def header(by, explain, split):
    names = []
    for column in COLUMNS:
        names.append(column)
        if split and column in RATIOS:
            names += [f"{column}_numerator", f"{column}_denominator"]
    return (by, "schools", *names)


RATIOS = {"gpi_enrolment", "promotion_rate", "repetition_rate", "dropout_rate", "gpi_promotion", "gpi_repetition",
          "gpi_dropout", "transition_rate", "gpi_transition", "pupil_teacher_ratio", "attendance_rate", "persistent_absence"}


def as_json(by, year, lines, notes, ratios):
    def figure(value):
        return value.as_json() if isinstance(value, Ratio) else value

    return {"year": year, "by": by, "notes": notes,
            "enrolment_ratios": [{"level": level, **{k: figure(v) for k, v in values.items()}} for level, values in ratios],
            "lines": [{"name": line.name, "schools": line.schools, "not_closed": line.not_closed,
                       "figures": {name: figure(value) for name, value in line.figures.items()}} for line in lines]}


def write_indicators(by, format, output, stdout, year="", explain=False):
    if format == "xlsx" and not output:
        raise IndicatorError("--format xlsx writes a workbook: give --output FILE.xlsx")
    year, lines, notes, ratios = computed(by, year)
    split = explain and format in ("csv", "xlsx")
    head = header(by, explain, split)
    table = [(line.name, line.schools, *_cells(line.figures, explain, split)) for line in lines]

    def write(handle):
        if format == "json":
            handle.write(json.dumps(as_json(by, year, lines, notes, ratios), indent=1, default=str) + "\n")
        elif format == "xlsx":
            _write_xlsx(handle, head, table)
        elif format == "csv":
            _write_csv(handle, head, table)
        else:
            handle.write(f"school year {year}\n")
            _write_table(handle, head, table)
            for level, values in ratios:
                handle.write(f"{level}: " + ", ".join(f"{name} {value.text(explain)}" for name, value in values.items()) + "\n")
            for note in notes:
                handle.write(f"note: {note}\n")

    try:
        written_to(output, format == "xlsx", write, stdout)
    except ReportError as error:
        raise IndicatorError(str(error)) from None
