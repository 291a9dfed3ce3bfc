"""Interpreters beyond pyenv, `download-python` through `uv python install`, install failures
summarised by the backend's own error line (issue 16 item 3, issue 12 item 19)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ci_sessions._interpreters import current
from ci_sessions.checks.base import EnvSpec
from ci_sessions.engine import environments
from ci_sessions.engine.environments import EnvManager, last_error_line
from ci_sessions.errors import EnvError

CURRENT = current()


STANDIN = '''\
#!{python}
"""A stand-in for uv: `python install/find` recorded and answered locally, the rest to real uv."""
import json, os, pathlib, sys

args = sys.argv[1:]
store = pathlib.Path(os.environ["STANDIN_STORE"])
if args[:2] == ["python", "install"]:
    pathlib.Path(os.environ["STANDIN_LOG"]).write_text(json.dumps(
        {{"args": args, "downloads": os.environ.get("UV_PYTHON_DOWNLOADS")}}))
    if os.environ.get("STANDIN_OFFLINE"):
        print("error: Failed to download https://github.com/astral-sh/python-build-standalone/"
              "releases/download/x/cpython.tar.gz", file=sys.stderr)
        sys.exit(1)
    target = store / f"cpython-{{args[2]}}" / "bin" / "python"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to({real!r})
    sys.exit(0)
if args[:2] == ["python", "find"]:
    target = store / f"cpython-{{args[2]}}" / "bin" / "python"
    if target.exists():
        print(target)
        sys.exit(0)
    print("error: No interpreter found", file=sys.stderr)
    sys.exit(2)
os.execv({uv!r}, [{uv!r}, *args])
'''


@pytest.fixture
def standin_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    real_uv = environments.find_uv()
    if real_uv is None:
        pytest.skip("needs uv")
    script = tmp_path / "uv-standin"
    script.write_text(
        STANDIN.format(python=sys.executable, real=str(Path(sys.executable).resolve()), uv=real_uv)
    )
    script.chmod(0o755)
    monkeypatch.setenv("STANDIN_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("STANDIN_LOG", str(tmp_path / "install.json"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")  # what the user's shell may say
    monkeypatch.setattr(environments, "find_uv", lambda: str(script))
    # the running Python stands for one that is missing here
    monkeypatch.setattr(environments, "discover_interpreter", lambda version: None)
    return tmp_path


def test_download_python_installs_the_missing_interpreter_with_uv(standin_uv: Path) -> None:
    project = standin_uv / "project"
    project.mkdir()
    manager = EnvManager(project, backend="uv", download_python=True, log=lambda _: None)
    env = manager.ensure(EnvSpec("tool", CURRENT))
    call = json.loads((standin_uv / "install.json").read_text())
    assert call == {"args": ["python", "install", CURRENT], "downloads": "automatic"}
    assert env.python.exists()
    probe = [str(env.python), "-c", "import sys; print(sys.version_info[:2])"]
    version = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
    assert version.strip() == str(tuple(sys.version_info[:2]))


def test_without_download_python_a_missing_interpreter_is_skippable(standin_uv: Path) -> None:
    manager = EnvManager(standin_uv, backend="uv", download_python=False, log=lambda _: None)
    with pytest.raises(EnvError) as caught:
        manager.ensure(EnvSpec("tool", CURRENT))
    assert caught.value.missing_interpreter
    assert not (standin_uv / "install.json").exists()


def test_a_failed_download_is_an_error_with_the_reason_and_a_log(
    standin_uv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_OFFLINE", "1")
    project = standin_uv / "project"
    project.mkdir()
    manager = EnvManager(project, backend="uv", download_python=True, log=lambda _: None)
    with pytest.raises(EnvError) as caught:
        manager.ensure(EnvSpec("tool", CURRENT))
    assert not caught.value.missing_interpreter  # asked to download: ERROR, never SKIP
    message = caught.value.render()
    assert f"downloading Python {CURRENT} (needs github.com" in message
    assert "failed: error: Failed to download https://github.com/" in message
    assert f".ci-sessions/logs/python-install-{CURRENT}.log" in message


BACKEND_FAILURE = textwrap.dedent(
    """\
    error: Failed to build `demo @ file:///tmp/demo`
      cause: The build backend returned an error
      cause: Call to `hatchling.build.build_editable` failed (exit status: 1)

             [stderr]
             Traceback (most recent call last):
               File "<string>", line 11, in <module>
               File ".../hatchling/metadata/core.py", line 1016, in classifiers
                 raise ValueError(message)
             ValueError: Unknown classifier in field `project.classifiers`: Nonsense :: Classifier

    hint: Build failures usually indicate a problem with the package or the build environment
    """
)


def test_last_error_line_is_the_backends_own() -> None:
    assert last_error_line(BACKEND_FAILURE) == (
        "ValueError: Unknown classifier in field `project.classifiers`: Nonsense :: Classifier"
    )
    assert last_error_line("Collecting x\nERROR: No matching distribution found for x\n") == (
        "ERROR: No matching distribution found for x"
    )
    assert last_error_line("something odd\nhint: try again\n") == "something odd"


# -- a tool on a Python its pin supports, what builds the project (issue 12 items 9, 20) --

UV_MESSAGE = (
    "error: No solution found when resolving dependencies\n  cause: Because the current Python "
    "version (3.10.13) does not satisfy Python>=3.11 and pre-commit==4.7.0 depends on "
    "Python>=3.11, we can conclude that pre-commit==4.7.0 cannot be used."
)
PIP_MESSAGE = "ERROR: Package 'pre-commit' requires a different Python: 3.10.13 not in '>=3.11'"


@pytest.mark.parametrize("message", [UV_MESSAGE, PIP_MESSAGE])
def test_a_requirement_that_needs_another_python_is_recognised(message: str) -> None:
    assert environments._WRONG_PYTHON.search(message)  # pyright: ignore[reportPrivateUsage]


def test_other_install_failures_are_not_taken_for_a_python_mismatch() -> None:
    missing = "cause: Because internal-lib was not found in the package registry and ..."
    assert not environments._WRONG_PYTHON.search(missing)  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize(
    ("requirement", "local"),
    [(".", True), (".[test]", True), ("./sub", True), ("-e", False), ("ruff==0.17.6", False)],
)
def test_requirements_that_build_the_project_are_recognised(requirement: str, local: bool) -> None:
    assert environments._local(requirement) is local  # pyright: ignore[reportPrivateUsage]


def test_a_tools_fallback_python_is_remembered_until_its_pin_changes(tmp_path: Path) -> None:
    link = tmp_path / "pre-commit-3.10"
    spec = EnvSpec("pre-commit", "3.10", ("pre-commit==4.7.0",), any_python=True)
    assert environments._read_choice(link, spec) is None  # pyright: ignore[reportPrivateUsage]
    environments._write_choice(link, spec, "3.13")  # pyright: ignore[reportPrivateUsage]
    assert environments._read_choice(link, spec) == "3.13"  # pyright: ignore[reportPrivateUsage]
    bumped = EnvSpec("pre-commit", "3.10", ("pre-commit==4.8.0",), any_python=True)
    assert environments._read_choice(link, bumped) is None  # pyright: ignore[reportPrivateUsage]
