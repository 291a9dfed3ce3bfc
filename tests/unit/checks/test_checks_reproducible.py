"""The reproducible check: the double build's JSON becomes metrics, findings, a summary section
and a gate on the number of distributions that differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest
from gitrepo import git

from ci_sessions.checks.base import CheckContext, pending_result
from ci_sessions.checks.reproducible import (
    ReproducibleCheck,
    _masked,
    _output,
    _section,
    read_report,
)
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.results import Status

WHEEL, SDIST = "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"


def report(*, differing: bool) -> dict[str, object]:
    second = "b" * 64 if differing else "a" * 64
    return {
        "verdict": "not-reproducible" if differing else "reproducible",
        "commit": "c0ffee",
        "source_date_epoch": 1_700_000_000,
        "artifacts": [
            {
                "name": WHEEL,
                "sha256": "a" * 64,
                "second_sha256": second,
                "size": 9,
                "identical": not differing,
            },
            {
                "name": SDIST,
                "sha256": "c" * 64,
                "second_sha256": "c" * 64,
                "size": 9,
                "identical": True,
            },
        ],
        "tools": {"uv": "0.13.9", "backend": "hatchling 1.33.0"},
        "differences": [
            {
                "archive": WHEEL,
                "member": "demo/_built.py",
                "how": "content",
                "detail": "line 1: 'a' vs 'b'",
            },
            {"archive": WHEEL, "member": "demo/__init__.py", "how": "mtime", "detail": ""},
        ]
        if differing
        else [],
        "seconds": 2.5,
    }


def context(root: Path, table: str = "") -> CheckContext:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\n' + table)
    return CheckContext(root, load_config(root, environ={}), load_project(root), "3.11", "full")


def test_metrics_hold_hashes_tools_and_verdict() -> None:
    metrics = ReproducibleCheck._metrics(read_report(report(differing=False)))
    assert metrics["verdict"] == "reproducible"
    assert (metrics["artifacts"], metrics["differing"], metrics["differences"]) == (2, 0, 0)
    assert metrics["wheel_sha256"] == "a" * 64 and metrics["sdist_sha256"] == "c" * 64
    assert metrics["tools"] == "backend hatchling 1.33.0, uv 0.13.9"
    assert metrics["source_date_epoch"] == 1_700_000_000


def test_each_differing_member_is_a_finding() -> None:
    findings = ReproducibleCheck._findings(read_report(report(differing=True)))
    assert [f.rule for f in findings] == ["reproducible-content", "reproducible-mtime"]
    assert findings[0].message == (
        f"{WHEEL}: demo/_built.py differs between two builds (content: line 1: 'a' vs 'b')"
    )
    assert findings[1].message.endswith("(mtime)")


def test_gate_counts_differing_distributions(tmp_path: Path) -> None:
    check = ReproducibleCheck()
    ctx = context(tmp_path)
    differing = report(differing=True)
    result = pending_result(ctx, "reproducible", metrics=check._metrics(read_report(differing)))
    judged = check.evaluate(ctx, result)
    assert judged.status is Status.FAIL
    assert judged.summary == "1 of 2 distribution(s) differ between two builds"
    assert (judged.gates[0].value, judged.gates[0].threshold) == (1, 0)
    tolerant = context(tmp_path, "[tool.ci-sessions.reproducible]\nmax-differing = 1\n")
    again = pending_result(tolerant, "reproducible", metrics=check._metrics(read_report(differing)))
    assert check.evaluate(tolerant, again).status is Status.PASS
    clean = pending_result(
        ctx, "reproducible", metrics=check._metrics(read_report(report(differing=False)))
    )
    assert check.evaluate(ctx, clean).summary == "2 distribution(s) built twice: sha256 equal"


def test_section_and_log_show_both_hashes_and_the_differences() -> None:
    section = _section(read_report(report(differing=True)))
    assert section.startswith("### Reproducible build\n")
    assert "**not-reproducible**" in section and "SOURCE_DATE_EPOCH=1700000000" in section
    assert f"| `{WHEEL}` | `{'a' * 64}` | `{'b' * 64}` |" in section
    assert f"| `{SDIST}` | `{'c' * 64}` | identical |" in section
    assert "`demo/_built.py` differs in content (line 1: 'a' vs 'b')" in section
    log = _output(read_report(report(differing=True)))
    assert f"{WHEEL}: {'a' * 64} != {'b' * 64}" in log and "demo/_built.py: content" in log


def test_project_without_a_build_is_skipped(tmp_path: Path) -> None:
    ctx = CheckContext(tmp_path, load_config(tmp_path, environ={}), load_project(tmp_path), "3.11", "full")  # fmt: skip
    result = ReproducibleCheck().run(ctx, {})
    assert result.status is Status.SKIP


def test_a_new_commit_or_another_builder_misses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(tmp_path)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2020-01-01T00:00:00")
    git(tmp_path, "commit", "-q", "-m", "one")
    check = ReproducibleCheck()
    first = check.cache_salt(ctx)
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2020-01-02T00:00:00")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "two")
    assert check.cache_salt(ctx) != first
    uv = context(tmp_path, '[tool.ci-sessions.release]\nbuilder = "build"\n')
    assert check.cache_salt(uv) != check.cache_salt(ctx)


def times_only_report() -> dict[str, object]:
    """setuptools: the wheel identical, the sdist differing in 35 members' file times only."""
    data = report(differing=False)
    artifacts = cast("list[dict[str, object]]", data["artifacts"])
    artifacts[1].update(second_sha256="d" * 64, identical=False)
    data["verdict"] = "not-reproducible"
    data["differences"] = [
        {"archive": SDIST, "member": f"demo-1.0/m{n}.py", "how": "mtime", "detail": "1 vs 2"}
        for n in range(35)
    ]
    data["times_only"] = [SDIST]
    return data


def test_an_sdist_differing_only_in_file_times_warns_and_names_the_setting(tmp_path: Path) -> None:
    check = ReproducibleCheck()
    ctx = context(tmp_path)
    data = times_only_report()
    result = pending_result(ctx, "reproducible", metrics=check._metrics(read_report(data)))
    judged = check.evaluate(ctx, result)
    assert judged.status is Status.WARN
    assert "max-differing = 1" in judged.summary and "file times" in judged.summary
    findings = check._findings(read_report(data))
    assert len(findings) == 1 and "35 members" in findings[0].message
    log = _output(read_report(data))
    assert log.count("differs:") == 1 and "max-differing = 1" in log
    # a content difference as well is a failure, times or not
    both = times_only_report()
    artifacts = cast("list[dict[str, object]]", both["artifacts"])
    artifacts[0].update(second_sha256="e" * 64, identical=False)
    again = pending_result(ctx, "reproducible", metrics=check._metrics(read_report(both)))
    assert check.evaluate(ctx, again).status is Status.FAIL


def test_credentials_in_urls_are_hidden_at_every_depth_of_the_report() -> None:
    data = report(differing=True)
    differences = cast("list[dict[str, object]]", data["differences"])
    differences[0]["detail"] = "line 1: 'https://user:s3cr3t@example.invalid/simple' vs 'b'"
    masked = cast("dict[str, object]", _masked(data))
    assert "s3cr3t" not in json.dumps(masked)
    assert "example.invalid/simple" in json.dumps(masked)
    assert masked["source_date_epoch"] == 1_700_000_000


def test_a_report_of_another_shape_never_passes(tmp_path: Path) -> None:
    check = ReproducibleCheck()
    ctx = context(tmp_path)
    data = report(differing=False)
    artifacts = cast("list[object]", data["artifacts"])
    artifacts[0] = dict(cast("dict[str, object]", artifacts[0]), identical="yes")
    artifacts.append("not an artifact")
    read = read_report(data)
    assert [a["identical"] for a in read["artifacts"]] == [False, True, False]
    metrics = check._metrics(read)
    assert (metrics["artifacts"], metrics["differing"]) == (3, 2)
    judged = check.evaluate(ctx, pending_result(ctx, "reproducible", metrics=metrics))
    assert judged.status is Status.FAIL
    odd = read_report({"artifacts": "x", "tools": ["uv"], "source_date_epoch": True,
                       "differences": [7], "times_only": [1, "a.tar.gz"]})  # fmt: skip
    assert (odd["artifacts"], odd["tools"], odd["source_date_epoch"]) == ([], {}, 0)
    assert odd["differences"] == [{"archive": "", "member": "", "how": "", "detail": ""}]
    assert odd["times_only"] == ["a.tar.gz"]
