"""The HTML dashboard opened in real headless Chromium: the plots must render, offline."""

from __future__ import annotations

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

pytestmark = pytest.mark.integration
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
