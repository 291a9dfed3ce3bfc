"""The performance gate's human output: a Markdown section and a hand-written SVG plot.

``bench.md`` is picked up by the summary writer; ``bench.svg`` shows each benchmark's ratio of
medians with its confidence interval against its threshold, so a reviewer sees noise and signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ci_sessions.checks.bench.data import BenchRun
from ci_sessions.checks.bench.significance import Comparison

COLOURS = {"regressed": "#c62828", "slower": "#ef6c00", "same": "#616161", "faster": "#2e7d32"}
_TICKS = (0.125, 0.25, 0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0)


def duration(seconds: float) -> str:
    """``1.2e-05`` -> ``12.0 µs``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def percent(fraction: float) -> str:
    return f"+{fraction * 100:.0f}%"


def describe_reference(label: str, run: BenchRun) -> str:
    commit = run.commit[:10] if run.commit else "unknown commit"
    python = f", Python {run.python}" if run.python else ""
    when = f", {run.datetime}" if run.datetime else ""
    return f"`{label}` ({commit}{python}{when})"


def markdown(
    comparisons: Sequence[Comparison],
    *,
    reference: str,
    new: Sequence[str] = (),
    missing: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> str:
    """The ``bench`` section of summary.md."""
    lines = ["## Performance (bench)", ""]
    if not comparisons and not new:
        lines += [reference or "No benchmarks ran.", ""]
        return "\n".join(lines)
    if comparisons:
        confidence = f"{(1 - comparisons[0].alpha) * 100:g}%"
        lines += [
            f"Compared with baseline {reference}. A benchmark is **regressed** when the {confidence} "
            "interval of the ratio of medians lies above 1 + threshold, the rank test says it is "
            "slower, and its fastest rounds slowed down as much.",
            "",
            f"| benchmark | baseline median | current median | ratio ({confidence} interval) | allowed | verdict |",
            "|---|---:|---:|---|---:|---|",
        ]
        for c in comparisons:
            verdict = f"**{c.verdict}**" if c.verdict == "regressed" else c.verdict
            lines.append(
                f"| `{c.name}` | {duration(c.baseline_median)} | {duration(c.current_median)} | "
                f"{c.ratio:.3f}x ({c.ci_low:.3f}-{c.ci_high:.3f}) | {percent(c.threshold)} | {verdict} |"
            )
        lines.append("")
    else:
        lines += [reference, ""]
    if new:
        lines += ["New benchmarks (no baseline yet): " + ", ".join(f"`{n}`" for n in new), ""]
    if missing:
        lines += [
            "In the baseline but not in this run: " + ", ".join(f"`{n}`" for n in missing),
            "",
        ]
    lines += [f"> {note}" for note in notes]
    if notes:
        lines.append("")
    return "\n".join(lines)


def _domain(comparisons: Sequence[Comparison]) -> tuple[float, float]:
    low = min([0.8, *(c.ci_low for c in comparisons), *(c.ratio for c in comparisons)])
    high = max([1.25, *(c.ci_high for c in comparisons), *(c.limit * 1.05 for c in comparisons)])
    low = max(low / 1.05, 0.1)
    high = min(high * 1.05, 10.0)
    return low, high


def svg(
    comparisons: Sequence[Comparison], *, title: str = "Benchmark ratio current / baseline"
) -> str:
    """Each benchmark's ratio of medians (dot), its interval (bar) and its threshold (red tick)."""
    label_width, plot_width, row, top = 300, 420, 26, 48
    width = label_width + plot_width + 90
    height = top + row * max(1, len(comparisons)) + 50
    low, high = _domain(comparisons) if comparisons else (0.5, 2.0)
    span = math.log(high) - math.log(low)

    def x(ratio: float) -> float:
        clamped = min(max(ratio, low), high)
        return label_width + plot_width * (math.log(clamped) - math.log(low)) / span

    bottom = top + row * max(1, len(comparisons))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        '<text x="10" y="36" fill="#555">dot: ratio of medians; bar: confidence interval; '
        "red tick: 1 + threshold; log scale</text>",
    ]
    for tick in _TICKS:
        if low <= tick <= high:
            tx = x(tick)
            stroke = "#000" if tick == 1.0 else "#ddd"
            parts.append(
                f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{bottom}" stroke="{stroke}"/>'
            )
            parts.append(
                f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">{tick:g}x</text>'
            )
    if not comparisons:
        parts.append(f'<text x="{label_width}" y="{top + 16}">no comparison (no baseline)</text>')
    for index, c in enumerate(comparisons):
        cy = top + row * index + row / 2
        colour = COLOURS.get(c.verdict, "#000")
        name = c.name if len(c.name) <= 44 else c.name[:41] + "..."
        parts += [
            f'<text x="{label_width - 8}" y="{cy + 4:.1f}" text-anchor="end">{escape(name)}</text>',
            f'<line x1="{x(c.ci_low):.1f}" y1="{cy:.1f}" x2="{x(c.ci_high):.1f}" y2="{cy:.1f}" '
            f'stroke="{colour}" stroke-width="3"/>',
            f'<circle cx="{x(c.ratio):.1f}" cy="{cy:.1f}" r="4" fill="{colour}">'
            f"<title>{escape(c.name)}: {c.ratio:.3f}x ({c.ci_low:.3f}-{c.ci_high:.3f}) "
            f"{c.verdict}</title></circle>",
            f'<line x1="{x(c.limit):.1f}" y1="{cy - 8:.1f}" x2="{x(c.limit):.1f}" y2="{cy + 8:.1f}" '
            'stroke="#c62828" stroke-width="2"/>',
            f'<text x="{width - 8}" y="{cy + 4:.1f}" text-anchor="end" fill="{colour}">'
            f"{escape(c.verdict)}</text>",
        ]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
