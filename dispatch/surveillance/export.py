"""The daily aggregated counts file: what the health authority receives, and what a centre
imports to give the detectors a history on day one.

One format both ways, ``day,syndrome,area,calls`` (ISO day in the centre's zone, the syndrome
key, the H3 cell, the number of calls), so an export from one system is an import to another.
Counts only: no call, time, address or person is in it. Import is all or nothing: every bad cell
is reported with its row and column, and one bad cell refuses the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

import h3

from dispatch.domain.errors import FileRefused, RowError
from dispatch.surveillance.syndromes import SYNDROMES

COLUMNS = ("day", "syndrome", "area", "calls")
MAX_ROWS = 200_000
MAX_CALLS = 100_000

Row = tuple[date, str, str, int]


class HistoryImportFailed(FileRefused):
    code = "history-import-refused"
    title = "Count history refused: nothing imported"


def write_counts_csv(rows: Iterable[Row]) -> str:
    """The counts as CSV text with a header, in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for day, syndrome, area, calls in rows:
        writer.writerow((day.isoformat(), syndrome, area, calls))
    return out.getvalue()


def parse_counts_csv(text: str) -> list[Row]:
    """Rows of a counts file; raises :class:`HistoryImportFailed` naming every bad cell."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise HistoryImportFailed([RowError(1, c, "missing from the header") for c in missing])
    at = {c: header.index(c) for c in COLUMNS}
    errors: list[RowError] = []
    rows: list[Row] = []
    seen: dict[tuple[date, str, str], int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if number - 1 > MAX_ROWS:
            errors.append(RowError(number, "", f"more than {MAX_ROWS} rows: split the file"))
            break
        value = {c: cells[at[c]].strip() if at[c] < len(cells) else "" for c in COLUMNS}
        bad = len(errors)
        try:
            day = date.fromisoformat(value["day"])
            if not 2000 <= day.year <= 2099:
                raise ValueError
        except ValueError:
            errors.append(RowError(number, "day", f"not a day (YYYY-MM-DD): {value['day']!r}"))
        syndrome = value["syndrome"]
        if syndrome not in SYNDROMES:
            errors.append(
                RowError(number, "syndrome", f"{syndrome!r} is not one of {', '.join(SYNDROMES)}")
            )
        area = value["area"].lower()
        if not h3.is_valid_cell(area):
            errors.append(RowError(number, "area", f"not an H3 cell id: {value['area']!r}"))
        try:
            calls = int(value["calls"])
            if not 0 <= calls <= MAX_CALLS:
                raise ValueError
        except ValueError:
            errors.append(
                RowError(number, "calls", f"not a whole number 0-{MAX_CALLS}: {value['calls']!r}")
            )
        if len(errors) > bad:
            continue
        key = (day, syndrome, area)
        if key in seen:
            errors.append(
                RowError(number, "area", f"the same day, syndrome and area as row {seen[key]}")
            )
            continue
        seen[key] = number
        rows.append((day, syndrome, area, calls))
    if errors:
        raise HistoryImportFailed(errors)
    return rows
