"""PNG plots without a plotting library: a tiny raster canvas, a 3x5 pixel font and a PNG
encoder (zlib + CRC from the standard library). Enough for a CDF and an hourly line chart.

matplotlib is not a dependency of the project; these plots are deliberately plain.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

RGB = tuple[int, int, int]
PALETTE: tuple[RGB, ...] = (
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
)
_GLYPHS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001010010",
    "8": "111101111101111",
    "9": "111101111001111",
    "A": "010101111101101",
    "B": "110101110101110",
    "C": "011100100100011",
    "D": "110101101101110",
    "E": "111100110100111",
    "F": "111100110100100",
    "G": "011100101101011",
    "H": "101101111101101",
    "I": "111010010010111",
    "J": "001001001101010",
    "K": "101101110101101",
    "L": "100100100100111",
    "M": "101111111101101",
    "N": "110101101101101",
    "O": "010101101101010",
    "P": "110101110100100",
    "Q": "010101101110011",
    "R": "110101110101101",
    "S": "011100010001110",
    "T": "111010010010010",
    "U": "101101101101111",
    "V": "101101101101010",
    "W": "101101111111101",
    "X": "101101010101101",
    "Y": "101101010010010",
    "Z": "111001010100111",
    " ": "000000000000000",
    "%": "101001010100101",
    ".": "000000000000010",
    "-": "000000111000000",
    "+": "000010111010000",
    ":": "000010000010000",
    "/": "001001010100100",
    "(": "010100100100010",
    ")": "010001001001010",
    "=": "000111000111000",
    "_": "000000000000111",
}


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.px: NDArray[np.uint8] = np.full((height, width, 3), 255, dtype=np.uint8)

    def dot(self, x: float, y: float, color: RGB, size: int = 1) -> None:
        xi, yi = int(round(x)), int(round(y))
        lo = -(size // 2)
        y0, y1 = max(0, yi + lo), min(self.h, yi + lo + size)
        x0, x1 = max(0, xi + lo), min(self.w, xi + lo + size)
        if y0 < y1 and x0 < x1:
            self.px[y0:y1, x0:x1] = color

    def line(self, x0: float, y0: float, x1: float, y1: float, color: RGB, size: int = 1) -> None:
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for t in np.linspace(0.0, 1.0, steps + 1):
            self.dot(x0 + t * (x1 - x0), y0 + t * (y1 - y0), color, size)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: RGB) -> None:
        self.px[max(0, y0) : min(self.h, y1), max(0, x0) : min(self.w, x1)] = color

    def text(self, x: int, y: int, s: str, color: RGB = (0, 0, 0), scale: int = 2) -> None:
        for k, ch in enumerate(s.upper()):
            glyph = _GLYPHS.get(ch, _GLYPHS[" "])
            for i, bit in enumerate(glyph):
                if bit == "1":
                    r, c = divmod(i, 3)
                    self.rect(
                        x + (k * 4 + c) * scale,
                        y + r * scale,
                        x + (k * 4 + c + 1) * scale,
                        y + (r + 1) * scale,
                        color,
                    )

    def save(self, path: Path) -> Path:
        raw = b"".join(b"\x00" + self.px[row].tobytes() for row in range(self.h))

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)
        png = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )
        path = Path(path)
        path.write_bytes(png)
        return path


def _chart(
    path: Path,
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_ticks: Sequence[tuple[float, str]],
    y_ticks: Sequence[tuple[float, str]],
    x_label: str,
    marker: float | None = None,
    step: bool = False,
) -> Path:
    width, height = 900, 560
    left, right, top, bottom = 70, 240, 40, 60
    c = Canvas(width, height)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x_range[0]) / (x_range[1] - x_range[0]) * pw

    def sy(y: float) -> float:
        return top + ph - (y - y_range[0]) / (y_range[1] - y_range[0]) * ph

    grey = (225, 225, 225)
    for x, label in x_ticks:
        c.line(sx(x), top, sx(x), top + ph, grey)
        c.text(int(sx(x)) - 4 * len(label), top + ph + 8, label)
    for y, label in y_ticks:
        c.line(left, sy(y), left + pw, sy(y), grey)
        c.text(left - 10 - 8 * len(label), int(sy(y)) - 5, label)
    c.line(left, top + ph, left + pw, top + ph, (0, 0, 0), 2)
    c.line(left, top, left, top + ph, (0, 0, 0), 2)
    if marker is not None:
        for yy in range(top, top + ph, 8):
            c.line(sx(marker), yy, sx(marker), yy + 4, (0, 0, 0))
    c.text(left, 12, title, scale=3)
    c.text(left + pw // 2 - 4 * len(x_label), height - 24, x_label)
    for k, (name, (xs, ys)) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = [(sx(x), sy(y)) for x, y in zip(xs, ys, strict=True)]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            if step:
                c.line(x0, y0, x1, y0, color, 2)
                c.line(x1, y0, x1, y1, color, 2)
            else:
                c.line(x0, y0, x1, y1, color, 2)
        ly = top + 10 + 22 * k
        c.rect(left + pw + 16, ly, left + pw + 34, ly + 10, color)
        c.text(left + pw + 40, ly, name[:24])
    return c.save(path)


def cdf_plot(
    path: Path, series: Mapping[str, Sequence[float]], *, title: str, target_s: float | None
) -> Path:
    """Empirical CDF of response times (minutes on the x axis), one curve per policy."""
    top = max((max(v) for v in series.values() if len(v)), default=60.0) / 60.0
    x_max = float(min(40.0, max(10.0, np.ceil(top / 5) * 5)))
    curves = {}
    for name, values in series.items():
        xs = np.sort(np.asarray(values, dtype=np.float64)) / 60.0
        ys = np.arange(1, len(xs) + 1) / max(1, len(xs))
        keep = xs <= x_max
        curves[name] = (xs[keep].tolist(), ys[keep].tolist())
    return _chart(
        path,
        curves,
        title=title,
        x_range=(0.0, x_max),
        y_range=(0.0, 1.0),
        x_ticks=[(float(m), str(int(m))) for m in range(0, int(x_max) + 1, 5)],
        y_ticks=[(f, f"{int(f * 100)}%") for f in (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)],
        x_label="MINUTES FROM CALL TO ON SCENE",
        marker=None if target_s is None else target_s / 60.0,
        step=True,
    )


def utilisation_plot(path: Path, series: Mapping[str, Sequence[float]]) -> Path:
    """Share of the fleet busy per hour of the measured day, one line per policy."""
    hours = max((len(v) for v in series.values()), default=24)
    top = max((max(v) for v in series.values() if len(v)), default=0.5)
    y_max = float(min(1.0, np.ceil(top * 10 + 1) / 10))
    curves = {n: ([h + 0.5 for h in range(len(v))], list(v)) for n, v in series.items()}
    return _chart(
        path,
        curves,
        title="FLEET UTILISATION BY HOUR",
        x_range=(0.0, float(hours)),
        y_range=(0.0, y_max),
        x_ticks=[(float(h), str(h)) for h in range(0, hours + 1, 3)],
        y_ticks=[(f, f"{int(round(f * 100))}%") for f in np.linspace(0, y_max, 5)],
        x_label="HOUR OF DAY",
    )


def write_plots(
    directory: Path, runs: Mapping[str, Any], results: Mapping[str, Any], warmup_s: float
) -> list[Path]:
    """The two standard plots of :func:`dispatch.simulation.runner.run`."""
    directory.mkdir(parents=True, exist_ok=True)
    series: dict[str, list[float]] = {}
    for name, result in results.items():
        values = []
        for record in result.calls:
            if record.spec.t < warmup_s or record.spec.priority != 1:
                continue
            incident = result.incidents[record.incident_id]
            if incident.on_scene_at is not None:
                values.append((incident.on_scene_at - incident.received_at).total_seconds())
        series[name] = values
    from dispatch.simulation.runner import targets

    return [
        cdf_plot(
            directory / "p1_response_cdf.png",
            series,
            title="P1 RESPONSE TIME CDF",
            target_s=targets()[1],
        ),
        utilisation_plot(
            directory / "utilisation_by_hour.png",
            {n: r["utilisation"]["hourly"] for n, r in runs.items()},
        ),
    ]
