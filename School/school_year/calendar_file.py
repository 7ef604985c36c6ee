"""The platform calendar as a file (CSV or xlsx), for `schools calendar import FILE`.

One row per year, term or closed day, the header first:

    year,kind,name,first,last
    2027,year,,2027-01-11,2027-11-26
    2027,term,Term 1,2027-01-11,2027-04-01
    2027,closed,Easter,2027-03-26,2027-03-29

`kind` is year, term or closed (the name of a closed day is its reason,
optional); every year named by a term or closed row has its own year row.
Each year in the file is applied whole: its terms and closed days become
exactly those of the file. Dates are YYYY-MM-DD (in xlsx, date cells too).
"""

from School.records.formats import FileFormatError, open_rows
from types import SimpleNamespace

from School.school_year.calendar import CalendarError, Span, check_spans, parse_date

COLUMNS = ("year", "kind", "name", "first", "last")
KINDS = ("year", "term", "closed")
WHAT = {"term": "term", "closed": "closed day"}


def read_calendar(path):
    """[(name, first, last, terms, closed)] from the file; CalendarError naming the line otherwise."""
    try:
        with open(path, "rb") as binary, open_rows(binary) as (_format, rows):
            return _years(path, rows)
    except OSError as error:
        raise CalendarError(f"{path}: {error.strerror}") from None
    except FileFormatError as error:
        raise CalendarError(f"{path}: {error}") from None


def _years(path, rows):
    header = [cell.strip().lower() for cell in next(rows, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise CalendarError(f"{path}:1: the columns must be {', '.join(COLUMNS)} (missing: {', '.join(missing)})")
    where = {column: header.index(column) for column in COLUMNS}
    years, terms, closed, lines = {}, {}, {}, {}
    for line, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        cell = {column: (cells[index].strip() if index < len(cells) else "") for column, index in where.items()}
        try:
            year, kind = cell["year"], cell["kind"].lower()
            if not year:
                raise CalendarError("the year is empty")
            if kind not in KINDS:
                raise CalendarError(f"kind {cell['kind']!r} is not one of {', '.join(KINDS)}")
            first = parse_date(cell["first"])
            last = parse_date(cell["last"] or cell["first"])
            if kind == "year":
                if year in years:
                    raise CalendarError(f"year {year} has two year rows (the other on line {lines[year]})")
                years[year], lines[year] = (first, last), line
            elif kind == "term" and not cell["name"]:
                raise CalendarError("a term needs a name")
            else:
                if first > last:
                    raise CalendarError(f"{cell['name'] or first}: the first day is after the last")
                (terms if kind == "term" else closed).setdefault(year, []).append(Span(cell["name"], first, last))
                lines[(year, kind, cell["name"], first)] = line
        except CalendarError as error:
            raise CalendarError(f"{path}:{line}: {error}") from None
    unknown = sorted((set(terms) | set(closed)) - set(years))
    if unknown:
        raise CalendarError(f"{path}: year {unknown[0]} has terms or closed days but no year row")
    for name, (first, last) in years.items():
        shape = SimpleNamespace(name=name, first_day=first, last_day=last)
        for kind, spans in (("term", terms.get(name, [])), ("closed", closed.get(name, []))):
            for span in spans:  # each on its own first, to name its line
                _at(path, lines[(name, kind, span.name, span.first)], check_spans, shape, [span], WHAT[kind])
            _at(path, lines[name], check_spans, shape, spans, WHAT[kind])
    if not years:
        raise CalendarError(f"{path}: no year row")
    return [(name, first, last, terms.get(name, []), closed.get(name, [])) for name, (first, last) in years.items()]


def _at(path, line, check, *args):
    try:
        check(*args)
    except CalendarError as error:
        raise CalendarError(f"{path}:{line}: {error}") from None
