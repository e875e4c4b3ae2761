"""Historical calls from a CSV: the simulator's own format, our review export, or any CAD's.

Why: a centre judges a policy on its own history. The review export
(``GET /review/incidents.csv``) heads the call time ``eTimes.01 PSAP Call Date/Time``, the
simulator's format ``received_at``, and another CAD names its columns as it likes (often in
Chinese, with local wall-clock times). One reader with a :class:`ColumnMap` takes all three:
the two of ours are recognised from the header, another needs a small mapping file
(:func:`load_mapping`, TOML or JSON)::

    encoding = "utf-8-sig"          # optional; e.g. "gb18030" for an export from Excel in China

    [columns]                       # which column holds what; the first four are required
    received_at = "呼救时间"
    lon = "经度"
    lat = "纬度"
    priority = "分级"
    complaint = "主诉"              # optional, like on_scene_at and response_s

    [time]
    format = "%Y/%m/%d %H:%M:%S"    # strptime pattern, or "iso" (the default)
    zone = "Asia/Shanghai"          # for times written without an offset (default UTC)

    [priorities]                    # optional: the CAD's codes -> 1 (critical) .. 4
    "I" = 1
    "II" = 2

All or nothing: every row is checked, each bad cell gives a :class:`RowError` (row as a
spreadsheet numbers it, the header being row 1; column; reason), and any error raises
:class:`ImportFailed` with all of them, so a replay never runs on part of a file.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatch.domain import nemsis
from dispatch.domain.geo import Location
from dispatch.domain.nemsis import Stamp


def _review_header(stamp: Stamp) -> str:
    element = nemsis.ELEMENTS[stamp]
    return f"{element.number} {element.name}"


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column holds what, and how times and priorities are written."""

    received_at: str
    lon: str
    lat: str
    priority: str
    complaint: str | None = None
    on_scene_at: str | None = None
    response_s: str | None = None
    time_format: str = "iso"
    zone: str = "UTC"
    priorities: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    encoding: str = "utf-8-sig"
    #: Columns that may be absent from the header (ours: optional; a mapping's: none).
    optional: frozenset[str] = frozenset()
    name: str = "column mapping"

    def required(self) -> list[tuple[str, str]]:
        """(field, column) pairs the header must have."""
        named = [
            ("received_at", self.received_at),
            ("lon", self.lon),
            ("lat", self.lat),
            ("priority", self.priority),
            ("complaint", self.complaint),
            ("on_scene_at", self.on_scene_at),
            ("response_s", self.response_s),
        ]
        return [(f, c) for f, c in named if c is not None and c not in self.optional]


#: The simulator's own format (see :mod:`dispatch.simulation.demand`).
SIMULATOR = ColumnMap(
    "received_at",
    "lon",
    "lat",
    "priority",
    complaint="complaint",
    on_scene_at="on_scene_at",
    response_s="response_s",
    optional=frozenset({"complaint", "on_scene_at", "response_s"}),
    name="simulator CSV",
)

#: The review export, ``GET /review/incidents.csv`` (its UTC ISO 8601 columns).
REVIEW_EXPORT = ColumnMap(
    _review_header(Stamp.PSAP_CALL),
    "lon",
    "lat",
    "priority",
    complaint="complaint",
    on_scene_at=_review_header(Stamp.ON_SCENE),
    response_s="response_s",
    optional=frozenset({"complaint", _review_header(Stamp.ON_SCENE), "response_s"}),
    name="review export",
)


@dataclass(frozen=True, slots=True)
class HistoricalCall:
    """One call as it happened: when, where, how urgent, and (when known) the real response."""

    received_at: datetime
    location: Location
    priority: int
    complaint: str = ""
    real_response_s: float | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell: ``row`` as a spreadsheet numbers it (the header is row 1)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.reason}"


class ImportFailed(ValueError):
    """The file was refused as a whole; ``errors`` says every row, column and reason."""

    def __init__(self, source: str, errors: Sequence[RowError]) -> None:
        self.source = source
        self.errors = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:20])
        more = f" (and {len(self.errors) - 20} more)" if len(self.errors) > 20 else ""
        super().__init__(f"{source}: {len(self.errors)} error(s), nothing imported: {shown}{more}")


class MappingError(ValueError):
    """A column-mapping file that cannot be used."""


def detect(header: Sequence[str]) -> ColumnMap | None:
    """Our own formats, recognised by their call-time column; ``None`` for anything else."""
    for known in (SIMULATOR, REVIEW_EXPORT):
        if known.received_at in header:
            return known
    return None


def parse_rows(
    header: Sequence[str], rows: Iterable[Sequence[str]], columns: ColumnMap | None = None
) -> list[HistoricalCall]:
    """Calls from a header and its rows (pure: no file). Raises :class:`ImportFailed` listing
    every bad cell if any; otherwise returns all the calls, in file order."""
    chosen = columns or detect(header)
    if chosen is None:
        raise ImportFailed(
            "header",
            [
                RowError(
                    1,
                    SIMULATOR.received_at,
                    f"no call-time column: expected {SIMULATOR.received_at!r} (simulator) or "
                    f"{REVIEW_EXPORT.received_at!r} (review export); for another CAD's export "
                    "give a column mapping (--calls-mapping)",
                )
            ],
        )
    missing = [c for _, c in chosen.required() if c not in header]
    if missing:
        raise ImportFailed(
            chosen.name,
            [RowError(1, c, f"missing from the header ({chosen.name})") for c in missing],
        )
    zone = _zone(chosen.zone)
    index = {name: i for i, name in reversed(list(enumerate(header)))}  # first of duplicates
    calls: list[HistoricalCall] = []
    errors: list[RowError] = []
    for row_number, row in enumerate(rows, start=2):
        if not any(text.strip() for text in row):
            continue  # a blank line, as spreadsheets leave at the end

        def cell(column: str | None, row: Sequence[str] = row) -> str:
            if column is None or column not in index or index[column] >= len(row):
                return ""
            return _unquote(row[index[column]].strip())

        found = _parse_row(chosen, zone, cell, row_number)
        if isinstance(found, HistoricalCall):
            calls.append(found)
        else:
            errors.extend(found)
    if errors:
        raise ImportFailed(chosen.name, errors)
    if not calls:
        raise ImportFailed(chosen.name, [RowError(2, chosen.received_at, "no calls in the file")])
    return calls


def read_calls(path: Path | str, columns: ColumnMap | None = None) -> list[HistoricalCall]:
    """The calls of a CSV file (format detected from its header unless ``columns`` is given)."""
    encoding = columns.encoding if columns is not None else "utf-8-sig"
    try:
        with open(path, newline="", encoding=encoding) as handle:
            reader = csv.reader(handle)
            header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
            return parse_rows(header, list(reader), columns)
    except ImportFailed as failed:
        raise ImportFailed(f"{path} ({failed.source})", failed.errors) from None
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            str(path), [RowError(0, "", f"not {encoding} text ({exc.reason}); set encoding")]
        ) from None


def load_mapping(path: Path | str) -> ColumnMap:
    """A column mapping from a TOML (``.toml``) or JSON file (layout in the module docstring)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data: dict[str, Any] = (
            json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
        )
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"{path}: {exc}") from None
    return mapping_from(data, source=str(path))


_COLUMN_KEYS = ("received_at", "lon", "lat", "priority", "complaint", "on_scene_at", "response_s")


def mapping_from(data: Mapping[str, Any], *, source: str = "mapping") -> ColumnMap:
    """A :class:`ColumnMap` from parsed TOML/JSON; unknown keys are refused (a typo would
    otherwise silently drop a column)."""
    unknown = set(data) - {"columns", "time", "priorities", "encoding"}
    columns = data.get("columns")
    if not isinstance(columns, Mapping):
        raise MappingError(f"{source}: a [columns] table is required")
    unknown |= {f"columns.{k}" for k in set(columns) - set(_COLUMN_KEYS)}
    time = data.get("time", {})
    if not isinstance(time, Mapping):
        raise MappingError(f"{source}: [time] must be a table")
    unknown |= {f"time.{k}" for k in set(time) - {"format", "zone"}}
    if unknown:
        raise MappingError(f"{source}: unknown keys {sorted(unknown)}")
    absent = [k for k in _COLUMN_KEYS[:4] if not isinstance(columns.get(k), str)]
    if absent:
        raise MappingError(f"{source}: [columns] must name {', '.join(absent)}")
    priorities = data.get("priorities", {})
    if not isinstance(priorities, Mapping) or not all(
        isinstance(v, int) and v in (1, 2, 3, 4) for v in priorities.values()
    ):
        raise MappingError(f"{source}: [priorities] maps the CAD's codes to 1..4")
    zone = str(time.get("zone", "UTC"))
    try:
        _zone(zone)
    except ZoneInfoNotFoundError:
        raise MappingError(f"{source}: unknown time zone {zone!r}") from None

    def optional(key: str) -> str | None:
        return None if columns.get(key) is None else str(columns[key])

    return ColumnMap(
        received_at=str(columns["received_at"]),
        lon=str(columns["lon"]),
        lat=str(columns["lat"]),
        priority=str(columns["priority"]),
        complaint=optional("complaint"),
        on_scene_at=optional("on_scene_at"),
        response_s=optional("response_s"),
        time_format=str(time.get("format", "iso")),
        zone=zone,
        priorities=MappingProxyType({str(k).strip(): int(v) for k, v in priorities.items()}),
        encoding=str(data.get("encoding", "utf-8-sig")),
        name=f"mapping {Path(source).name}",
    )


def _zone(name: str) -> tzinfo:
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


def _unquote(text: str) -> str:
    """Undo the review export's formula guard (a leading ``'`` before ``=``, ``-`` ...)."""
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text


def _parse_row(
    columns: ColumnMap, zone: tzinfo, cell: Any, row: int
) -> HistoricalCall | list[RowError]:
    errors: list[RowError] = []

    def need(column: str) -> str | None:
        text: str = cell(column)
        if not text:
            errors.append(RowError(row, column, "empty"))
            return None
        return text

    received = _time(need(columns.received_at), columns, zone, row, columns.received_at, errors)
    lon = _number(need(columns.lon), -180, 180, row, columns.lon, errors)
    lat = _number(need(columns.lat), -90, 90, row, columns.lat, errors)
    priority = _priority(need(columns.priority), columns, row, errors)
    real: float | None = None
    if columns.response_s and cell(columns.response_s):
        real = _number(cell(columns.response_s), 0, 7 * 86_400, row, columns.response_s, errors)
    elif columns.on_scene_at and cell(columns.on_scene_at) and received is not None:
        on_scene = _time(cell(columns.on_scene_at), columns, zone, row, columns.on_scene_at, errors)
        if on_scene is not None:
            real = (on_scene - received).total_seconds()
            if real < 0:
                errors.append(RowError(row, columns.on_scene_at, "before the call time"))
    if errors or received is None or lon is None or lat is None or priority is None:
        return errors
    return HistoricalCall(received, Location(lon, lat), priority, cell(columns.complaint), real)


def _time(
    text: str | None,
    columns: ColumnMap,
    zone: tzinfo,
    row: int,
    column: str,
    errors: list[RowError],
) -> datetime | None:
    if text is None:
        return None
    try:
        if columns.time_format == "iso":
            at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        else:
            at = datetime.strptime(text, columns.time_format)
    except ValueError:
        expected = "ISO 8601" if columns.time_format == "iso" else repr(columns.time_format)
        errors.append(RowError(row, column, f"not a time in {expected}: {text!r}"))
        return None
    return (at if at.tzinfo is not None else at.replace(tzinfo=zone)).astimezone(UTC)


def _number(
    text: str | None, low: float, high: float, row: int, column: str, errors: list[RowError]
) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(RowError(row, column, f"not a number: {text!r}"))
        return None
    if not low <= value <= high:  # also refuses nan
        errors.append(RowError(row, column, f"{text} is outside {low:g}..{high:g}"))
        return None
    return value


def _priority(text: str | None, columns: ColumnMap, row: int, errors: list[RowError]) -> int | None:
    if text is None:
        return None
    if columns.priorities:
        if text in columns.priorities:
            return columns.priorities[text]
        known = ", ".join(repr(k) for k in columns.priorities)
        errors.append(RowError(row, columns.priority, f"unknown code {text!r} (mapped: {known})"))
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value not in (1, 2, 3, 4):
        errors.append(RowError(row, columns.priority, f"priority must be 1..4, not {text!r}"))
        return None
    return value
