"""Tiny inline-SVG line charts: the dashboard must render offline, so no chart library or CDN."""

from __future__ import annotations

from html import escape

PALETTE = ("#d81b60", "#8e24aa", "#f57c00", "#00897b", "#6d4c41", "#3949ab", "#c0ca33")
WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 44


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
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}"'
        f' height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    if not xs:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no data yet</text></svg>'
        )
        return "".join(parts)
    low = min(values) if y_min is None else y_min
    high = max(values) if y_max is None else y_max
    if high <= low:
        high = low + 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(index: int) -> float:
        return LEFT + (plot_w * index / (len(xs) - 1) if len(xs) > 1 else plot_w / 2)

    def py(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    for step in range(5):
        value = low + (high - low) * step / 4
        y = py(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value:.3g}{escape(unit)}</text>'
        )
    for index in sorted({0, len(xs) - 1, *range(0, len(xs), max(1, len(xs) // 6))}):
        parts.append(
            f'<text x="{px(index):.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle">'
            f"{escape(xs[index][5:])}</text>"
        )
    colors = colors or {}
    legend_x = LEFT
    for number, (name, points) in enumerate(series.items()):
        color = colors.get(name, PALETTE[number % len(PALETTE)])
        position = {x: i for i, x in enumerate(xs)}
        coords = " ".join(f"{px(position[x]):.1f},{py(v):.1f}" for x, v in points)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="3" points="{coords}"/>')
        parts += [
            f'<circle cx="{px(position[x]):.1f}" cy="{py(v):.1f}" r="4" fill="{color}"/>'
            for x, v in points
        ]
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 18}" width="12" height="12" fill="{color}"/>'
            f'<text x="{legend_x + 16}" y="{HEIGHT - 8}" font-size="11">{escape(name)}</text>'
        )
        legend_x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)
