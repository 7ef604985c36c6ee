"""The census's xlsx writer (School/indicators/workbook.py): what a spreadsheet reads back is what was written."""

import io

from openpyxl import load_workbook

from School.indicators.workbook import PlainWorkbook, column_letter


def test_numbers_text_and_empty_cells_read_back_as_written_and_text_never_becomes_a_formula():
    sheets = {
        "Teachers": [["school", "teachers", "ratio", "open"],
                     ["=HYPERLINK(\"http://x\")", 12, 28.75, True],
                     ["Ecole <St-Jean> & fils", 0, None, False],
                     ["  spaced  ", 10**15, 1.0, None],
                     ["bell\x07 and tab\tkept", -3, 0.1, "ünïcode ✓"]],
        "A sheet's \"name\" & more": [[column_letter(n) for n in (1, 26, 27, 52, 703)]],
    }
    body = io.BytesIO()
    PlainWorkbook(sheets).save(body)
    book = load_workbook(io.BytesIO(body.getvalue()))
    assert book.sheetnames == list(sheets)
    rows = [list(row) for row in book["Teachers"].iter_rows(values_only=True)]
    assert rows == [["school", "teachers", "ratio", "open"],
                    ["=HYPERLINK(\"http://x\")", 12, 28.75, True],
                    ["Ecole <St-Jean> & fils", 0, None, False],
                    ["  spaced  ", 10**15, 1, None],  # 1.0 is written as openpyxl writes it: 1
                    ["bell and tab\tkept", -3, 0.1, "ünïcode ✓"]]  # a character XML cannot hold is dropped
    assert book["Teachers"]["A2"].data_type == "s"  # text, not a formula a spreadsheet would run
    assert [cell.value for cell in book["A sheet's \"name\" & more"][1]] == ["A", "Z", "AA", "AZ", "AAA"]
