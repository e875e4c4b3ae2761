"""Historical calls from our two formats and from another CAD's export with a mapping file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dispatch.simulation.demand import load_calls_csv
from dispatch.simulation.history import (
    REVIEW_EXPORT,
    SIMULATOR,
    ImportFailed,
    MappingError,
    RowError,
    detect,
    load_mapping,
    read_calls,
)

REVIEW_HEADER = (
    "number,priority,status,complaint,address,lon,lat,unit_ids,"
    "eTimes.01 PSAP Call Date/Time,eTimes.03 Unit Notified by Dispatch Date/Time,"
    "eTimes.06 Unit Arrived on Scene Date/Time,response_s,cancel_reason,"
    "eTimes.01 PSAP Call Date/Time (Asia/Shanghai)\n"
)

MAPPING = """
encoding = "utf-8"

[columns]
received_at = "呼救时间"
lon = "经度"
lat = "纬度"
priority = "分级"
complaint = "主诉"

[time]
format = "%Y/%m/%d %H:%M:%S"
zone = "Asia/Shanghai"

[priorities]
"I" = 1
"II" = 2
"III" = 3
"IV" = 4
"""

CAD = (
    "流水号,呼救时间,经度,纬度,分级,主诉\n"
    "A1,2026/03/02 08:15:00,121.4400,31.2200,I,胸痛\n"
    "A2,2026/03/02 07:59:30,121.4500,31.2300,III,摔伤\n"
)


def test_the_formats_are_told_apart_by_their_call_time_column() -> None:
    assert detect(["received_at", "lon", "lat", "priority"]) is SIMULATOR
    assert detect(REVIEW_HEADER.strip().split(",")) is REVIEW_EXPORT
    assert REVIEW_EXPORT.received_at == "eTimes.01 PSAP Call Date/Time"
    assert detect(["time", "x", "y"]) is None


def test_the_review_export_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(
        REVIEW_HEADER
        + "2026-000001,1,closed,'=chest pain,,-8.61,41.15,3,2026-03-02T08:00:30+00:00,"
        "2026-03-02T08:01:00+00:00,2026-03-02T08:09:30+00:00,540.0,,2026-03-02 16:00:30\n"
        "2026-000002,3,cancelled,fall,,-8.60,41.16,,2026-03-02T07:00:00+00:00,,,,duplicate,"
        "2026-03-02 15:00:00\n",
        encoding="utf-8",
    )
    calls = read_calls(path)
    assert [(c.received_at, c.location.lon, c.location.lat, c.priority) for c in calls] == [
        (datetime(2026, 3, 2, 8, 0, 30, tzinfo=UTC), -8.61, 41.15, 1),
        (datetime(2026, 3, 2, 7, 0, tzinfo=UTC), -8.60, 41.16, 3),
    ]
    assert calls[0].complaint == "=chest pain"  # the export's formula guard is undone
    assert [c.real_response_s for c in calls] == [540.0, None]
    start, specs = load_calls_csv(path, warmup_s=0)
    assert start == datetime(2026, 3, 2, tzinfo=UTC)
    assert [(s.t, s.priority) for s in specs] == [(7 * 3600.0, 3), (8 * 3600.0 + 30, 1)]


def test_a_cad_export_with_a_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "cad.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "cad.csv"
    path.write_text(CAD, encoding="utf-8")
    columns = load_mapping(mapping)
    calls = read_calls(path, columns)
    # Shanghai wall clock (UTC+8) becomes UTC.
    assert [(c.received_at, c.location.lon, c.location.lat, c.priority) for c in calls] == [
        (datetime(2026, 3, 2, 0, 15, tzinfo=UTC), 121.44, 31.22, 1),
        (datetime(2026, 3, 1, 23, 59, 30, tzinfo=UTC), 121.45, 31.23, 3),
    ]
    assert [c.complaint for c in calls] == ["胸痛", "摔伤"]
    start, specs = load_calls_csv(path, columns=columns)
    assert start == datetime(2026, 3, 1, tzinfo=UTC)
    assert [s.priority for s in specs] == [3, 1]

    as_json = tmp_path / "cad.json"
    as_json.write_text(
        '{"columns": {"received_at": "呼救时间", "lon": "经度", "lat": "纬度", "priority": "分级"},'
        ' "time": {"format": "%Y/%m/%d %H:%M:%S", "zone": "Asia/Shanghai"},'
        ' "priorities": {"I": 1, "III": 3}}',
        encoding="utf-8",
    )
    assert [c.received_at for c in read_calls(path, load_mapping(as_json))] == [
        c.received_at for c in calls
    ]


def test_a_bad_file_names_every_row_column_and_reason_and_imports_nothing(
    tmp_path: Path,
) -> None:
    mapping = tmp_path / "cad.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "cad.csv"
    path.write_text(
        CAD
        + "A3,2026-03-02 08:20,121.46,31.24,II,\n"
        + "A4,2026/03/02 08:21:00,east,95,V,\n"
        + "A5,,121.47,31.25,IV,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failed:
        read_calls(path, load_mapping(mapping))
    errors = failed.value.errors
    assert [(e.row, e.column) for e in errors] == [
        (4, "呼救时间"),
        (5, "经度"),
        (5, "纬度"),
        (5, "分级"),
        (6, "呼救时间"),
    ]
    assert "not a time in '%Y/%m/%d %H:%M:%S'" in errors[0].reason
    assert "not a number" in errors[1].reason and "outside -90..90" in errors[2].reason
    assert "unknown code 'V'" in errors[3].reason and errors[4].reason == "empty"
    assert "nothing imported" in str(failed.value)
    with pytest.raises(ImportFailed):  # the simulator refuses it as a whole too
        load_calls_csv(path, columns=load_mapping(mapping))


def test_header_problems_are_row_one(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("when,x,y\n2026-03-02T08:00:00Z,1,2\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        read_calls(path)
    assert failed.value.errors[0].row == 1 and "--calls-mapping" in failed.value.errors[0].reason
    path.write_text("received_at,lon,lat\n2026-03-02T08:00:00Z,1,2\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        read_calls(path)
    assert failed.value.errors == (
        RowError(1, "priority", "missing from the header (simulator CSV)"),
    )
    path.write_text(
        "received_at,lon,lat,priority,on_scene_at\n"
        "2026-03-02T08:00:00Z,1,2,5,2026-03-02T07:00:00Z\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failed:
        read_calls(path)
    assert [(e.row, e.column) for e in failed.value.errors] == [(2, "priority"), (2, "on_scene_at")]


def test_a_mapping_file_with_a_typo_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "cad.toml"
    mapping.write_text(MAPPING.replace("complaint =", "complain ="), encoding="utf-8")
    with pytest.raises(MappingError, match="columns.complain"):
        load_mapping(mapping)
    mapping.write_text(MAPPING.replace("Asia/Shanghai", "Mars/Olympus"), encoding="utf-8")
    with pytest.raises(MappingError, match="time zone"):
        load_mapping(mapping)
    mapping.write_text('[columns]\nreceived_at = "t"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="lon, lat, priority"):
        load_mapping(mapping)


def test_the_cli_reports_a_bad_file_and_runs_nothing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dispatch.cli import app

    mapping = tmp_path / "cad.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "cad.csv"
    path.write_text(CAD + "A3,2026/03/02 08:21:00,east,31.2,II,\n", encoding="utf-8")
    args = ["simulate", "--offline", "--calls-csv", str(path), "--calls-mapping", str(mapping)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "nothing imported, 1 error(s)" in result.stderr
    assert "row 4, column '经度': not a number: 'east'" in result.stderr
    assert "written to" not in result.stdout

    mapping.write_text(MAPPING.replace("[time]", "[times]"), encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "unknown keys" in result.stderr
