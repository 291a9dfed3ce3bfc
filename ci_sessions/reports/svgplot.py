"""Tiny inline-SVG line charts: the dashboard must render offline, so no chart library or CDN.

Legible with many series (the full tier has 15 checks): every series gets its own colour and
dash pattern (10 colours, then the same colours dashed, then dotted: 30 distinct styles before
anything repeats), the legend wraps onto as many rows as it needs and the chart grows to hold
them, and the y axis has round tick values (0, 0.5, 1, ... never 2.92).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

#: colour-blind-friendly categorical colours (Tableau 10, the darker members where it helps)
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
)  # fmt: skip
#: stroke-dasharray per round of the palette: solid, dashed, dotted, dash-dot
DASHES = ("", "8 4", "2 3", "8 3 2 3")
WIDTH, PLOT_HEIGHT = 560, 200
LEFT, RIGHT, TOP = 56, 16, 36
AXIS_LABELS = 24  # below the plot, for the x labels
LEGEND_ROW = 18
CHAR_WIDTH = 6.6  # a generous average glyph width at font-size 11 (system sans-serif)


@dataclass(frozen=True)
class Style:
    color: str
    dash: str

    def stroke(self) -> str:
        dash = f' stroke-dasharray="{self.dash}"' if self.dash else ""
        return f'stroke="{self.color}"{dash}'


def series_style(index: int) -> Style:
    """The style of the ``index``-th series: unique for the first len(PALETTE) * len(DASHES)."""
    return Style(PALETTE[index % len(PALETTE)], DASHES[index // len(PALETTE) % len(DASHES)])


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) cutting ``span`` into about ``count``."""
    raw = span / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power * (1 + 1e-9):
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: the axis runs from the first to the last."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    step = nice_step(high - low, count)
    start = math.floor(low / step + 1e-9) * step
    ticks: list[float] = []
    value = start
    while value < high - step * 1e-9:
        ticks.append(round(value, 10))
        value = start + step * len(ticks)
    ticks.append(round(value, 10))
    return ticks


def tick_label(value: float, step: float) -> str:
    """``0``, ``0.5``, ``2.5``, ``100``: the decimals the step needs, trailing zeros dropped."""
    decimals = len(f"{step:.10f}".rstrip("0").partition(".")[2])
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def legend_layout(names: list[str], width: float) -> list[tuple[float, int]]:
    """(x, row) of each legend entry: entries wrap onto a new row before they would overflow."""
    placed: list[tuple[float, int]] = []
    x, row = float(LEFT), 0
    for name in names:
        entry = 24 + CHAR_WIDTH * len(name) + 14
        if x + entry > width - RIGHT and x > LEFT:
            x, row = float(LEFT), row + 1
        placed.append((x, row))
        x += entry
    return placed


def line_chart(
    title: str,
    series: dict[str, list[tuple[str, float]]],
    *,
    unit: str = "",
    y_min: float | None = None,
    y_max: float | None = None,
    colors: dict[str, str] | None = None,
) -> str:
    """An SVG chart of one or more series of (x label, value) points sharing a categorical x axis."""
    xs = sorted({x for points in series.values() for x, _ in points})
    values = [v for points in series.values() for _, v in points]
    names = list(series)
    legend = legend_layout(names, WIDTH)
    rows = (max(row for _, row in legend) + 1) if legend else 0
    height = TOP + PLOT_HEIGHT + AXIS_LABELS + rows * LEGEND_ROW + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}"'
        f' height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    if not xs:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{TOP + PLOT_HEIGHT / 2}" text-anchor="middle">no data yet</text></svg>'
        )
        return "".join(parts)
    ticks = nice_ticks(
        min(values) if y_min is None else y_min, max(values) if y_max is None else y_max
    )
    low, high = ticks[0], ticks[-1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    plot_w = WIDTH - LEFT - RIGHT

    def px(index: int) -> float:
        return LEFT + (plot_w * index / (len(xs) - 1) if len(xs) > 1 else plot_w / 2)

    def py(value: float) -> float:
        return TOP + PLOT_HEIGHT - (value - low) / (high - low) * PLOT_HEIGHT

    for value in ticks:
        y = py(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
            f"{tick_label(value, step)}{escape(unit)}</text>"
        )
    label_y = TOP + PLOT_HEIGHT + 16
    for index in sorted({0, len(xs) - 1, *range(0, len(xs), max(1, len(xs) // 6))}):
        parts.append(
            f'<text x="{px(index):.1f}" y="{label_y}" font-size="11" text-anchor="middle">'
            f"{escape(xs[index][5:])}</text>"
        )
    colors = colors or {}
    position = {x: i for i, x in enumerate(xs)}
    legend_top = TOP + PLOT_HEIGHT + AXIS_LABELS
    for number, (name, points) in enumerate(series.items()):
        style = series_style(number)
        if name in colors:
            style = Style(colors[name], "")
        coords = " ".join(f"{px(position[x]):.1f},{py(v):.1f}" for x, v in points)
        parts.append(f'<polyline fill="none" {style.stroke()} stroke-width="3" points="{coords}"/>')
        parts += [
            f'<circle cx="{px(position[x]):.1f}" cy="{py(v):.1f}" r="3.5" fill="{style.color}"/>'
            for x, v in points
        ]
        x, row = legend[number]
        y = legend_top + row * LEGEND_ROW
        parts.append(
            f'<line x1="{x:.1f}" y1="{y + 6}" x2="{x + 20:.1f}" y2="{y + 6}" {style.stroke()}'
            f' stroke-width="3"/><text x="{x + 24:.1f}" y="{y + 10}" font-size="11"'
            f' class="legend">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
