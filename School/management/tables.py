"""The commands' listings: JSON, or plain-text tables (one padded line per row, the header first)."""

import json


def write_table(stdout, header, rows):
    table = [tuple(header)] + [tuple(str(cell) for cell in row) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    for line in table:
        stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def write_listing(stdout, rows, format, empty, header, cells):
    """`rows` (dicts) as JSON with --format json, else as a table of `cells(row)` under `header`; `empty` if none."""
    if format == "json":
        stdout.write(json.dumps(rows, indent=2))
    elif not rows:
        stdout.write(empty)
    else:
        write_table(stdout, header, (cells(row) for row in rows))
