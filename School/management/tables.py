"""Plain-text tables for the commands' listings: one padded line per row, the header first."""


def write_table(stdout, header, rows):
    table = [tuple(header)] + [tuple(row) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    for line in table:
        stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
