"""A workbook of plain values (numbers and text, no styles, no formulas) written straight to xlsx.

The census holds 100,000 schools' lines; openpyxl, even write-only,
builds a cell object and an XML element for each of its million cells
(two thirds of the census's time). A sheet of plain values is a few
fixed strings around each value, so this writes those strings and
zips them: the same cells as openpyxl would give, read back the same
by openpyxl and by spreadsheet programs. Text is written as inline text,
so a name beginning with "=" stays text, never a formula. A value is an
int, a float, a bool, None (an empty cell) or text (anything else as its
str()).
"""

import re
import zipfile
from functools import lru_cache
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot hold at all (openpyxl refuses them): dropped from text.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
STYLES = (f'{HEAD}<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
          '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


@lru_cache(maxsize=None)
def column_letter(index):
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value):
    text = escape(ILLEGAL.sub("", value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _row(number, values):
    cells = []
    suffix = str(number)
    for column, value in enumerate(values, start=1):
        if value is None:
            continue
        at = f'<c r="{column_letter(column)}{suffix}'
        kind = type(value)
        if kind is int:
            cells.append(f'{at}"><v>{value}</v></c>')
        elif kind is float:  # as openpyxl writes it: 1.0 is 1, read back as 1
            cells.append(f'{at}"><v>{value:.16g}</v></c>')
        elif kind is bool:
            cells.append(f'{at}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int):  # a subclass (an enumeration's member): its plain number
            cells.append(f'{at}"><v>{int(value)}</v></c>')
        elif isinstance(value, float):
            cells.append(f'{at}"><v>{float(value):.16g}</v></c>')
        else:
            cells.append(at + _text(str(value)))
    return f'<row r="{suffix}">{"".join(cells)}</row>'


class PlainWorkbook:
    """Sheets {title: [row, ...]} (a row a list of values), saved with save(path or binary file)."""

    def __init__(self, sheets):
        self.sheets = dict(sheets)

    @property
    def sheetnames(self):
        return list(self.sheets)

    def save(self, target):
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            count = len(self.sheets)
            archive.writestr("[Content_Types].xml", _content_types(count))
            archive.writestr("_rels/.rels", f'{HEAD}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
                                            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
            archive.writestr("xl/workbook.xml", _workbook(self.sheetnames))
            archive.writestr("xl/_rels/workbook.xml.rels", _workbook_relationships(count))
            archive.writestr("xl/styles.xml", STYLES)
            for number, rows in enumerate(self.sheets.values(), start=1):
                with archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as sheet:
                    _write_sheet(sheet, rows)


def _write_sheet(sheet, rows):
    # No <dimension>, as openpyxl's own write-only sheets: a reader then gives each row as long as it was written.
    sheet.write(f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData>'.encode())
    batch = []
    for number, values in enumerate(rows, start=1):
        batch.append(_row(number, values))
        if len(batch) == 2000:  # a few hundred kB at a time: memory stays flat with the number of schools
            sheet.write("".join(batch).encode())
            batch = []
    sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())


def _content_types(count):
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                     f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for n in range(1, count + 1))
    return (f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{sheets}</Types>')


def _workbook(names):
    sheets = "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                     for n, name in enumerate(names, start=1))
    return f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{sheets}</sheets></workbook>'


def _workbook_relationships(count):
    links = "".join(f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                    for n in range(1, count + 1))
    styles = f'<Relationship Id="rId{count + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
    return f'{HEAD}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{links}{styles}</Relationships>'
