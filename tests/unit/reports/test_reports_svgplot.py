"""Round axis ticks, distinct series styles and a legend that wraps instead of running off."""

from __future__ import annotations

import pytest

from ci_sessions.reports.svgplot import (
    DASHES,
    LEFT,
    PALETTE,
    RIGHT,
    WIDTH,
    legend_layout,
    line_chart,
    nice_ticks,
    series_style,
    tick_label,
)


@pytest.mark.parametrize(
    ("low", "high", "labels"),
    [
        (0, 2.92, ["0", "1", "2", "3"]),
        (0, 100, ["0", "20", "40", "60", "80", "100"]),
        (70, 89.5, ["70", "75", "80", "85", "90"]),
        (0, 1, ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        (0, 0.03, ["0", "0.01", "0.02", "0.03"]),
        (-1, 1, ["-1", "-0.5", "0", "0.5", "1"]),
        (5, 5, ["5", "6", "7", "8", "9", "10"]),
    ],
)
def test_ticks_are_round_and_cover_the_values(low: float, high: float, labels: list[str]) -> None:
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert [tick_label(t, ticks[1] - ticks[0]) for t in ticks] == labels


def test_thirty_series_before_a_style_repeats() -> None:
    styles = [series_style(i) for i in range(len(PALETTE) * len(DASHES))]
    assert len(set(styles)) == len(styles) == 40
    assert series_style(0) == series_style(40)


def test_legend_wraps_and_the_chart_grows_to_hold_it() -> None:
    names = [f"check-number-{i}" for i in range(15)]
    placed = legend_layout(names, WIDTH)
    assert max(row for _, row in placed) >= 2
    assert all(x >= LEFT for x, _ in placed)
    for (x, _), name in zip(placed, names, strict=True):
        assert x + 24 + 6.6 * len(name) <= WIDTH - RIGHT
    one = line_chart("t", {"a": [("2026-01-01", 1.0)]})
    many = line_chart("t", {name: [("2026-01-01", 1.0)] for name in names})
    assert 'height="' in one and int(many.split('height="')[1].split('"')[0]) > int(
        one.split('height="')[1].split('"')[0]
    )
