"""`ci-sessions init` from a plain install (issue 16 items 3, 4, 6): a wheel of this checkout in a
fresh virtual environment with pip, and through `uvx --from <wheel>`, adopts a fixture project
with nothing else installed; the wheel carries its license and py.typed; the noxfile it renders
passes sp-repo-review's NOX rules and runs as a script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fixture_projects import nox_env, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
FIXTURE = {
    "pyproject.toml": f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "wheeldemo"
        version = "0.1.0"
        requires-python = ">={PY}"
        classifiers = ["Programming Language :: Python :: {PY}"]
        """,
    "src/wheeldemo/__init__.py": '"""Demo."""\n\n\ndef one() -> int:\n    """One."""\n    return 1\n',
    "tests/test_one.py": "from wheeldemo import one\n\n\ndef test_one() -> None:\n    assert one() == 1\n",
}


def _uv() -> str:
    from ci_sessions.engine.environments import find_uv

    uv = find_uv()
    if uv is None:
        pytest.fail("uv is not installed: install the `test` dependency group")
    return uv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--wheel", "--out-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        env=nox_env(),
        timeout=300,
    )
    (built,) = out.glob("ci_sessions-*.whl")
    return built


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_wheel_carries_its_license_types_and_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "ci_sessions/py.typed" in names
    text = metadata.decode()
    assert "License-Expression: MIT" in text
    assert "Classifier: Programming Language :: Python :: 3.14" in text
    for label in ("Documentation", "Source", "Issues", "Changelog"):
        assert f"Project-URL: {label}, https://" in text
    # what init needs is part of the plain install
    for requirement in ("jinja2>=3.1", "tomlkit>=0.12", "nox>=2025.2"):
        assert f"Requires-Dist: {requirement}\n" in text


def test_pip_install_then_init_adopts_a_project(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = nox_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = _run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        tmp_path,
        env,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    project = tmp_path / "project"
    write_files(project, FIXTURE)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    cli = venv / "bin" / "ci-sessions"
    # nothing of the test environment on PATH: the venv's own nox and ci-sessions only
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env["PATH"]])
    adopted = _run([str(cli), "init", str(project)], project, env)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "created   noxfile.py" in adopted.stdout
    assert "baseline   ci-sessions-baseline.json" in adopted.stdout
    assert "Traceback" not in adopted.stdout + adopted.stderr
    essential = _run([str(python), "-m", "nox", "-s", "essential"], project, env)
    assert essential.returncode == 0, essential.stdout + essential.stderr
    # the rendered noxfile runs as a script (its __main__ block), listing the sessions
    listed = _run([str(python), "noxfile.py", "-l"], project, {**env, "NOX_SCRIPT_MODE": "none"})
    assert listed.returncode == 0, listed.stderr
    assert "essential" in listed.stdout
    assert os.access(project / "noxfile.py", os.X_OK)


def test_uvx_from_the_wheel_runs_init(wheel: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_files(project, FIXTURE)
    env = nox_env({"UV_TOOL_DIR": str(tmp_path / "uv-tools")})
    adopted = _run(
        [_uv(), "tool", "run", "--from", str(wheel), "ci-sessions", "init", str(project),
         "--no-baseline"],
        project,
        env,
    )  # fmt: skip
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert (project / "noxfile.py").is_file()
    assert "[tool.ci-sessions]" in (project / "pyproject.toml").read_text(encoding="utf-8")


def test_the_rendered_noxfile_passes_sp_repo_review_nox_rules(tmp_path: Path) -> None:
    repo_review = shutil.which("repo-review", path=str(Path(sys.executable).parent))
    if repo_review is None:
        pytest.fail("repo-review is not installed: install the `test` dependency group")
    project = tmp_path / "project"
    write_files(project, FIXTURE)
    adopted = _run(
        [sys.executable, "-m", "ci_sessions.cli", "init", str(project), "--no-baseline"],
        project,
        nox_env(),
    )
    assert adopted.returncode == 0, adopted.stderr
    review = _run([repo_review, str(project), "--format", "json", "--select", "NOX"], project,
                  nox_env())  # fmt: skip
    results = {k: v["result"] for k, v in json.loads(review.stdout)["checks"].items()}
    assert results == dict.fromkeys(
        ("NOX101", "NOX102", "NOX103", "NOX201", "NOX202", "NOX203"), True
    ), results
