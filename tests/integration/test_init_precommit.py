"""The rendered pre-commit config works for real: `language: python` hooks install nox and
ci-sessions from their requirements, run the essential sessions, and fail on a new finding."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_projects import nox_env, write_files

from ci_sessions.scaffold import init as scaffold
from ci_sessions.scaffold.facts import detect
from ci_sessions.scaffold.render import render

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def test_precommit_hooks_run_the_essential_sessions(tmp_path: Path) -> None:
    precommit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
        "pre-commit"
    )
    if precommit is None:
        pytest.fail("pre-commit is not installed: install the `test` dependency group")
    project = tmp_path / "project"
    write_files(
        project,
        {
            "pyproject.toml": f"""
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "pcdemo"
                version = "0.1.0"
                requires-python = ">={PY}"
                """,
            "src/pcdemo/__init__.py": "def one() -> int:\n    return 1\n",
            "tests/test_one.py": "from pcdemo import one\n\n\ndef test_one() -> None:\n    assert one() == 1\n",
        },
    )
    # ci-sessions is not on PyPI: the hooks install it from this checkout instead of a pin
    answers = scaffold.answers_for(detect(project), {}, {"ci_sessions_install": str(ROOT)})
    scaffold.write(project, scaffold.plan(project, render(answers), force=False))
    env = nox_env({"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")})
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    assert run("git", "init", "-q").returncode == 0
    assert run("git", "add", "-A").returncode == 0
    passing = run(precommit, "run", "--all-files")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert f"essential (nox -s essential; lint, format, typecheck, tests-{PY})" in passing.stdout
    # issue 12 item 8: the hook and a manual run alternate without rebuilding or missing the
    # cache, although each finds the interpreter through its own virtualenv and PATH
    manual = run(sys.executable, "-m", "nox", "-s", "essential")
    hook = run(precommit, "run", "ci-sessions-essential", "--all-files", "--verbose")
    manual_again = run(sys.executable, "-m", "nox", "-s", "essential")
    for done in (manual, hook, manual_again):
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        assert "rebuilding" not in output and ": creating with" not in output, output
        assert "PASS (cached" in output, output
    # a real commit runs the hook with what git exports to it (GIT_AUTHOR_DATE, new at every
    # commit): the next commit still builds on the last one's per-file state
    assert run(precommit, "install").returncode == 0
    module = project / "src" / "pcdemo" / "__init__.py"
    for n in (2, 3):
        module.write_text(f"def one() -> int:\n    return {n} - {n - 1}\n", encoding="utf-8")
        assert run("git", "add", "-A").returncode == 0
        commit = run("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", f"{n}")
        assert commit.returncode == 0, commit.stdout + commit.stderr
    report = json.loads((project / ".ci-sessions/reports/results.json").read_text("utf-8"))
    typecheck = next(r for r in report["results"] if r["check"] == "typecheck")
    assert typecheck["status"] == "PASS", typecheck
    assert typecheck["metrics"]["incremental"].startswith("1 of "), typecheck["metrics"]
    module.write_text("import os\n\n\n" + module.read_text(encoding="utf-8"), encoding="utf-8")
    assert run("git", "add", "-A").returncode == 0
    failing = run(precommit, "run", "--all-files")
    assert failing.returncode != 0
    assert "essential (nox -s essential" in failing.stdout
    assert "F401" in failing.stdout
