"""CSV files the clinic opens in a spreadsheet: the audit log, the controlled-substance log and inventory."""

import csv
import re

# A cell beginning with one of these is run as a formula by spreadsheet programs ("CSV injection", OWASP): a
# username typed at the login page as "=HYPERLINK(...)" must arrive as text. Such cells get a leading apostrophe.
# A plain signed number ("-37.5", a correction's quantity) stays a number.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def write_csv(stream, header: list[str], rows) -> None:
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
