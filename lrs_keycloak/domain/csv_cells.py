"""CSV that a spreadsheet opens as text: a cell that would start a formula is quoted.

Spreadsheets read a cell starting with ``=``, ``+``, ``-`` or ``@`` (and a tab or carriage
return before one) as a formula, so a name or reason typed as ``=HYPERLINK(…)`` would run when
the export is opened (OWASP "CSV injection"). Such a cell gets a leading single quote, which
the spreadsheet shows as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in head])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """``rows`` (the first is the header) as CSV lines, one at a time, for a streamed answer."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([safe_cell(cell) for cell in row])
        yield out.getvalue()
