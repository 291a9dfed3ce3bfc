"""The adoption-day baseline covers every check that reports findings, and ci-sessions' own files
are never findings (issue 21, item 3): ``init`` + commit, then ``nox -s extended`` is green but
for what could not be checked here (audit without its vulnerability service) and what is truly
new."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_projects import findings_project, nox_env, run_nox, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
#: the rows that must be green on adoption day (audit needs a vulnerability service; precommit
#: runs hooks that call nox, which the tier runs itself)
GREEN = ("lint", "format", "typecheck", f"tests-{PY}", "sast", "secrets")


def _git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)


def _adopted(root: Path) -> Path:
    """The findings project, its failing test removed (a failing test is never baselined),
    committed, adopted with ``init``, and the adoption committed."""
    findings_project(root)
    write_files(root, {"tests/test_more.py": "from demo import add\n\n\ndef test_ok() -> None:\n"
                                             "    assert add(1, 1) == 2\n"})  # fmt: skip
    (root / "noxfile.py").unlink()  # a project that has not adopted anything yet
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ci-sessions"), "init", str(root)],
        cwd=root, env=nox_env(), capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "adopt ci-sessions")
    return root


def test_extended_right_after_init_is_green_and_new_findings_still_fail(tmp_path: Path) -> None:
    root = _adopted(tmp_path / "project")
    accepted = json.loads((root / "ci-sessions-baseline.json").read_text())["findings"]
    checks = {entry["check"] for entry in accepted}
    assert {"lint", "typecheck", "sast", "secrets"} <= checks, checks
    assert len(accepted) >= 6  # a baseline full of fingerprints: the shape that was flagged
    run = run_nox(root, "-s", "extended")
    for label in GREEN:
        assert run.status(label) == "PASS", (label, run.output)
    secrets = run.result("secrets")
    assert all(f["path"] != "ci-sessions-baseline.json" for f in secrets["findings"])
    assert secrets["metrics"]["baselined"] == 1  # the project's own planted key, accepted
    assert run.result("sast")["metrics"]["baselined"] >= 1
    others = {r["label"]: r["status"] for r in run.results["results"] if r["label"] not in GREEN}  # type: ignore[index]
    assert set(others) == {"audit", "precommit"}, others
    assert others["precommit"] in ("PASS", "SKIP")  # its hooks call nox: not run here

    # something truly new still fails: a second key, a second shell=True
    (root / "src" / "demo" / "keys.py").write_text('GITHUB = "ghp_' + "a1B2c3D4e5" * 4 + '"\n')
    (root / "src" / "demo" / "shell.py").write_text(
        "import subprocess\n\n\ndef go(cmd: str) -> int:\n"
        "    return subprocess.call(cmd, shell=True)\n"
    )
    _git(root, "add", "-A")  # detect-secrets scans what git tracks
    again = run_nox(root, "-s", "sast", "secrets")
    assert again.status("secrets") == "FAIL", again.output
    assert [f["path"] for f in again.result("secrets")["findings"]] == ["src/demo/keys.py"]
    assert again.status("sast") == "FAIL", again.output
    assert {f["path"] for f in again.result("sast")["findings"]} == {"src/demo/shell.py"}
