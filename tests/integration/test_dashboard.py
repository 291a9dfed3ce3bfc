"""The HTML dashboard opened in real headless Chromium: the plots must render, offline."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ci_sessions.history import store as history
from ci_sessions.reports.dashboard import COVERAGE_COLOR, PASS_RATE_COLOR
from ci_sessions.reports.svgplot import PALETTE
from ci_sessions.results import CheckResult, Finding, RunRecord, Status

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DAY = 86400.0
START = 1_790_000_000.0  # 2026-09-21


def chromium_flags(user_data: Path, screenshot: Path) -> list[str]:
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        f"--user-data-dir={user_data}", f"--screenshot={screenshot}", "--window-size=1200,1600",
    ]  # fmt: skip


def build_history(root: Path) -> None:
    """Eight days of runs: a rising pass rate and coverage, a flaky test, two failure kinds."""
    junit = root / "junit.xml"
    with history.open_history(root) as db:
        for n in range(40):
            flaky_fails = n % 4 == 1
            junit.write_text(
                "<testsuites><testsuite>"
                '<testcase classname="tests.test_api" name="test_ok"/>'
                '<testcase classname="tests.test_api" name="test_retry">'
                + ('<failure message="assert 502 == 200"/>' if flaky_fails else "")
                + "</testcase></testsuite></testsuites>"
            )
            lint_fails = n < 12 and n % 3 == 0
            results = [
                CheckResult("lint", "essential", Status.FAIL if lint_fails else Status.PASS, duration=0.2 + n % 3 * 0.05),
                CheckResult("typecheck", "essential", Status.PASS, duration=3.0 - n * 0.04),
                CheckResult(
                    "tests", "essential", Status.FAIL if flaky_fails else Status.PASS, python="3.12", per_python=True,
                    duration=1.5, metrics={"coverage": 70 + n * 0.5}, artifacts={"junit": str(junit)},
                ),
            ]  # fmt: skip
            if lint_fails:
                results[0].findings.append(
                    Finding("ruff", "F401", "`os` imported but unused", "app.py", 1)
                )
            run = RunRecord(
                run_id=f"run{n}", project="demo", started=START + (n // 5) * DAY + n * 60,
                results=results, commit=f"c{n // 2}",
            )  # fmt: skip
            history.store_run(db, run, root=root)


def test_dashboard_is_self_contained_and_renders_its_plots_in_chromium(tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI: apt-get install -y chromium")
        pytest.skip(
            "chromium is not installed (apt-get install chromium); CI always runs this test"
        )
    from PIL import Image

    root = tmp_path / "demo"
    root.mkdir()
    build_history(root)
    out = tmp_path / "dashboard.html"
    subprocess.run(
        [str(Path(sys.executable).parent / "ci-sessions"), "report", "--root", str(root), "--html",
         "--days", "0", "--out", str(out)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    html = out.read_text()
    # nothing to fetch: no scripts, links, images, imports or URLs besides the SVG namespace
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * 3
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=", html)
    assert "tests.test_api::test_retry" in html  # the flaky list
    assert "<td>test assertion</td><td>tests</td><td>10</td>" in html  # the failure groups
    assert "<td>lint</td><td>lint</td><td>4</td>" in html

    shot = tmp_path / "shot.png"
    completed = subprocess.run(
        [CHROMIUM, *chromium_flags(tmp_path / "chromium-profile", shot), out.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.is_file(), completed.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1600)
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None
    counts = {rgb: count for count, rgb in colours}

    def pixels(hex_colour: str) -> int:
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return counts.get(rgb, 0)

    # each plot's line and markers are drawn 3 px wide: hundreds of pixels of exactly its colour
    assert pixels(PASS_RATE_COLOR) > 300, "pass-rate plot did not render"
    assert pixels(COVERAGE_COLOR) > 300, "coverage plot did not render"
    for colour in PALETTE[:3]:  # lint, tests-3.12, typecheck durations
        assert pixels(colour) > 200, f"duration series {colour} did not render"
    white = counts.get((255, 255, 255), 0)
    assert white < 1200 * 1600 * 0.97  # the page is not blank


FULL_TIER = [
    "lint", "format", "typecheck", "tests-3.10", "tests-3.11", "tests-3.12", "tests-3.13",
    "sast", "audit", "secrets", "precommit", "coverage", "build", "sbom", "docs",
]  # fmt: skip
#: measures every legend label as Chromium lays it out, and writes the boxes into the page
MEASURE = """
<script>
const out = [];
document.querySelectorAll('svg').forEach((svg, chart) => {
  const width = svg.viewBox.baseVal.width;
  svg.querySelectorAll('text.legend').forEach((text) => {
    const box = text.getBBox();
    out.push([chart, text.textContent, box.x, box.y, box.x + box.width, box.y + box.height, width]);
  });
});
const pre = document.createElement('pre');
pre.id = 'measured';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>
"""


def build_full_tier_history(root: Path) -> None:
    """Six days of the full tier's 15 checks, durations between 0.1 s and 2.92 s."""
    with history.open_history(root) as db:
        for n in range(12):
            results = [
                CheckResult(label.split("-")[0], "full", Status.PASS,
                            python=label.split("-")[1] if "-" in label else "",
                            per_python="-" in label, duration=0.1 + (i * 0.19 + n * 0.01) % 2.82)
                for i, label in enumerate(FULL_TIER)
            ]  # fmt: skip
            run = RunRecord(run_id=f"run{n}", project="demo", started=START + (n // 2) * DAY,
                            results=results, commit=f"c{n}")  # fmt: skip
            history.store_run(db, run, root=root)


def test_fifteen_checks_have_a_legend_that_fits_distinct_styles_and_round_ticks(
    tmp_path: Path,
) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI: apt-get install -y chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    import json

    from PIL import Image

    from ci_sessions.reports import dashboard

    root = tmp_path / "demo"
    root.mkdir()
    build_full_tier_history(root)
    with history.open_history(root) as db:
        html = dashboard.render(db, project="demo")
    durations = next(s for s in re.findall(r"<svg.*?</svg>", html) if "duration" in s)

    # every series its own colour and dash: 15 different styles, no colour used twice undashed
    styles = re.findall(r'<polyline fill="none" stroke="(#\w+)"(?: stroke-dasharray="([^"]+)")?', durations)  # fmt: skip
    assert len(styles) == 15
    assert len(set(styles)) == 15, styles

    # y ticks are round numbers: one or two significant digits, evenly spaced
    ticks = [float(t) for t in re.findall(r'text-anchor="end">([-\d.]+)s</text>', durations)]
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1, ticks
    step = steps.pop()
    assert f"{step:g}".lstrip("0.").rstrip("0") in ("1", "2", "25", "5"), step
    assert ticks[0] <= 0.1 and ticks[-1] >= 2.9, ticks

    # laid out by Chromium: every legend label inside its chart, none overlapping another
    page = tmp_path / "measure.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"))
    dumped = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'<pre id="measured">(.*?)</pre>', dumped.stdout, re.S)
    assert found, dumped.stderr[-2000:]
    boxes = json.loads(found.group(1).replace("&quot;", '"'))
    legend = [b for b in boxes if b[1] in FULL_TIER]
    assert len(legend) == 15
    for _, name, left, _top, right, _bottom, width in legend:
        assert left >= 0 and right <= width, f"legend label {name!r} runs off the chart"
    for i, a in enumerate(legend):
        for b in legend[i + 1 :]:
            apart = a[4] <= b[2] or b[4] <= a[2] or a[5] <= b[3] or b[5] <= a[3]
            assert apart, f"legend labels {a[1]!r} and {b[1]!r} overlap"

    # and on the screenshot every one of the ten colours is drawn
    out = tmp_path / "dashboard.html"
    out.write_text(html)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, *chromium_flags(tmp_path / "profile-shot", shot), out.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    image = Image.open(shot).convert("RGB")
    colours = {rgb: count for count, rgb in image.getcolors(maxcolors=1_000_000) or []}
    for colour in PALETTE:
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert colours.get(rgb, 0) > 100, f"series colour {colour} is not drawn"
