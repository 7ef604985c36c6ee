"""The files registrars really have: detected from their content, read and written row by row.

Import reads an Excel workbook (.xlsx: first sheet, header row) or delimited
text in UTF-8 (with or without BOM), UTF-16 (with BOM) or Windows-1252,
separated by commas, semicolons or tabs, whatever the file's name says
(Excel saves "Unicode Text" as .txt). Export writes CSV or xlsx.

Cells that a spreadsheet would run as a formula (starting with = + - @, tab
or carriage return) are exported behind a `'`, and so is a value that really
starts with `'`; the import removes exactly that one `'` again, so an export
imports back unchanged (OWASP "CSV injection").
"""

import codecs
import contextlib
import csv
import datetime
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.records.openpyxl_patch import openpyxl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 1024 * 1024
DELIMITERS = {
    ",": gettext_lazy("comma-separated"), ";": gettext_lazy("semicolon-separated"), "\t": gettext_lazy("tab-separated"),
}
ENCODINGS = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
XLSX = gettext_lazy("Excel workbook")


class FileFormatError(ValueError):
    """The file is none of the formats we read."""


def neutralise(value):
    """A cell value that no spreadsheet runs as a formula."""
    if value and value.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + value
    return value


def restore(value):
    """Undo neutralise(): drop the one `'` it adds, and nothing else."""
    if value.startswith(QUOTE) and value[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return value[1:]
    return value


@dataclass(frozen=True)
class FileFormat:
    encoding: str = ""  # empty for a workbook
    delimiter: str = ""

    @property
    def is_workbook(self):
        return not self.encoding

    def __str__(self):
        if self.is_workbook:
            return str(XLSX)
        return f"{ENCODINGS[self.encoding]} {DELIMITERS[self.delimiter]}"


def _is_utf8(binary):
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := binary.read(CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False
    finally:
        binary.seek(0)


def _check_workbook_archive(binary):
    """Refuse a zip that is no workbook, or that unpacks to more than an import takes (a zip bomb).

    The sizes the archive declares bound what is unpacked: zipfile stops at
    the declared size and then fails the CRC check.
    """
    if not zipfile.is_zipfile(binary):
        raise FileFormatError(_("the file is a zip archive, not an Excel workbook (.xlsx)"))
    binary.seek(0)
    try:
        entries = zipfile.ZipFile(binary).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileFormatError(_("the Excel workbook cannot be read (damaged zip archive)")) from None
    if "xl/workbook.xml" not in {entry.filename for entry in entries}:
        raise FileFormatError(_("the file is a zip archive, not an Excel workbook (.xlsx)"))
    limit_mb = settings.IMPORT_MAX_UNPACKED_MB
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limit_mb * 1024 * 1024:
        raise FileFormatError(
            _("the Excel workbook unpacks to %(size)s MB, more than the %(limit)s MB limit of an import")
            % {"size": f"{unpacked / 1024 / 1024:,.0f}", "limit": f"{limit_mb:,}"}
        )


def _encoding(binary, sample):
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise FileFormatError(_("the file is not a student list: neither text (CSV) nor an Excel workbook (.xlsx)"))
    # utf-8-sig also reads files without a BOM; a file that is not UTF-8 all
    # the way through is what Excel on Windows saves as "CSV".
    return "utf-8-sig" if _is_utf8(binary) else "cp1252"


def _delimiter(first_line):
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def detect(binary):
    """The FileFormat of a file object opened in binary mode (left at its start)."""
    sample = binary.read(SAMPLE_BYTES)
    binary.seek(0)
    if not sample.strip():
        raise FileFormatError(_("the file is empty: the first line must name the columns"))
    if sample.startswith(b"PK\x03\x04"):
        _check_workbook_archive(binary)
        binary.seek(0)
        return FileFormat()
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileFormatError(_("the file is an Excel 97-2003 workbook (.xls): save it as .xlsx or CSV"))
    encoding = _encoding(binary, sample)
    try:
        first_line = io.TextIOWrapper(io.BytesIO(sample), encoding=encoding, newline="").readline()
    except UnicodeDecodeError:
        raise FileFormatError(_("the file is not %(encoding)s text") % {"encoding": ENCODINGS[encoding]}) from None
    return FileFormat(encoding, _delimiter(first_line))


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@contextlib.contextmanager
def open_rows(binary):
    """(FileFormat, rows): each row a list of cell texts, the header first; streams."""
    file_format = detect(binary)
    if file_format.is_workbook:
        try:
            workbook = openpyxl().load_workbook(binary, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise _unreadable(error) from None
        try:
            yield file_format, _workbook_rows(workbook)
        finally:
            workbook.close()
        return
    text = io.TextIOWrapper(binary, encoding=file_format.encoding, newline="")
    try:
        yield file_format, _decoded(csv.reader(text, delimiter=file_format.delimiter), file_format)
    finally:
        text.detach()


def _unreadable(error):
    return FileFormatError(_("the Excel workbook cannot be read (%(problem)s)") % {"problem": error.__class__.__name__})


def _workbook_rows(workbook):
    """The first sheet's rows. A sheet is parsed only as it is read: a missing
    part, broken XML or a DTD with entities (refused by defusedxml, or stopped
    by expat) shows up here, not when the workbook is opened."""
    if not workbook.worksheets:
        raise FileFormatError(_("the Excel workbook cannot be read (it has no sheet)"))
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    except Exception as error:
        raise _unreadable(error) from None


def _decoded(reader, file_format):
    try:
        yield from reader
    except UnicodeDecodeError:
        raise FileFormatError(
            _("the file is not %(encoding)s text") % {"encoding": ENCODINGS[file_format.encoding]}
        ) from None


# --- writing ---------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def csv_lines(header, rows):
    """CSV text line by line (for streaming), with a BOM so that Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    yield codecs.BOM_UTF8.decode("utf-8") + writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralise(value) for value in row])


class UnwritableCell(ValueError):
    """A value an .xlsx workbook cannot hold (a control character): `line` of the sheet, `column`'s name."""

    def __init__(self, line, column):
        super().__init__(f"line {line}, column {column}")
        self.line, self.column = line, column


@dataclass(frozen=True)
class TitleRow:
    """A line above a workbook's header: the school's name in its colours (#rrggbb, or "" for plain)."""

    text: str
    background: str = ""
    colour: str = ""


def is_title_row(values, columns):
    """Is this first row of a workbook a title above the header (one cell, in the first column, not a column's name)?"""
    filled = [value for value in values if value.strip()]
    return len(filled) == 1 and values[0].strip() != "" and values[0].strip().lower() not in columns


def first_data_line(title_row):
    return 3 if title_row else 2


def write_xlsx(target, header, rows, title="Students", title_row=None):
    """An .xlsx workbook of string cells (never formulas), written row by row to `target`.

    `title_row` (a TitleRow) goes above the header. UnwritableCell if a value
    cannot be written; `target` is then left as it was (a write-only workbook
    writes nothing to it before save()).
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils.exceptions import IllegalCharacterError

    workbook = openpyxl().Workbook(write_only=True)
    sheet = workbook.create_sheet(title)

    def cells(values, quote=True):
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value) if quote else value)
            cell.data_type = "s"  # openpyxl would make "=..." a formula
            yield cell

    if title_row is not None:
        sheet.append([_title_cell(next(cells([title_row.text])), title_row)])
    sheet.append(list(cells(header, quote=False)))
    for line, row in enumerate(rows, start=first_data_line(title_row)):
        try:
            sheet.append(list(cells(row)))
        except IllegalCharacterError:
            # openpyxl's row writer is left suspended: ended and its temporary
            # file removed now, not at the interpreter's exit (with a traceback).
            sheet.close()
            sheet._writer.cleanup()
            column = next(name for name, value in zip(header, row) if isinstance(value, str) and not _writable(value))
            raise UnwritableCell(line, column) from None
    workbook.save(target)


def _title_cell(cell, title_row):
    from openpyxl.styles import Font, PatternFill

    def argb(colour):  # #rrggbb as Excel writes it, opaque
        return f"FF{colour[1:].upper()}"

    cell.font = Font(bold=True, size=14, color=argb(title_row.colour) if title_row.colour else None)
    if title_row.background:
        cell.fill = PatternFill("solid", fgColor=argb(title_row.background))
    return cell


def _writable(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return not ILLEGAL_CHARACTERS_RE.search(value)
