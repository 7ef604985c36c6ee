"""openpyxl, imported on first use, with its read-only size scan made to stop where the rows begin.

openpyxl 3.1.5 opens a read-only sheet by looking for its <dimension>
element, and stops when it meets <sheetData>; but it listens to "end"
events, so a sheet without <dimension> (a hostile one, or one written by
another tool) is parsed whole before its first row is read: 220 MiB of XML
kept an import busy for minutes before the row limit could refuse it. Here
the scan listens to "start" events and gives up at the start of the rows.

Imported lazily (`openpyxl()`), not at the top of a module: openpyxl costs
~0.3 s that every command's start would otherwise pay.
"""

import functools


@functools.cache
def openpyxl():
    import openpyxl as module
    from openpyxl.worksheet import _reader
    from openpyxl.worksheet.dimensions import SheetDimension

    def parse_dimensions(parser):
        """The sheet's declared bounds, or None; never reads past the start of its rows."""
        for _event, element in _reader.iterparse(parser.source, events=("start",)):
            if element.tag == _reader.DIMENSION_TAG:
                return SheetDimension(ref=element.get("ref")).boundaries
            if element.tag == _reader.DATA_TAG:
                return None
        return None

    _reader.WorkSheetParser.parse_dimensions = parse_dimensions
    return module
