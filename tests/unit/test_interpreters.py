"""One interpreter discovery (python-discovery underneath): the real pyenv Pythons here are found
without pyenv's shims, shims never stand for a version, nothing is downloaded, a missing Python
is SKIP with the install hint locally and ERROR on CI."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from ci_sessions import _interpreters
from ci_sessions._interpreters import (
    describe,
    discover_interpreter,
    expose_pyenv_versions,
    find_interpreter,
    installed,
)
from ci_sessions.checks.base import CheckBase, CheckContext, Environment, EnvSpec
from ci_sessions.ci import setup_python
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.runner import Invocation, RunOptions, run_checks
from ci_sessions.results import CheckResult, Status

VERSIONS = ("3.10", "3.11", "3.12", "3.13")
PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _real(version: str) -> Path | None:
    """The pyenv build of ``version`` on this machine (the brief's 3.10-3.13), if any."""
    builds = sorted((PYENV / "versions").glob(f"{version}.*/bin/python{version}"))
    return builds[-1] if builds else None


REAL = {v: p for v in VERSIONS if (p := _real(v)) is not None}
needs_pyenv = pytest.mark.skipif(len(REAL) < 2, reason="needs two pyenv Pythons here")


@pytest.fixture(autouse=True)
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test asks anew; python-discovery's answers cached under tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for cached in (_interpreters._cache, find_interpreter, discover_interpreter, installed):  # pyright: ignore[reportPrivateUsage]
        cached.cache_clear()
    yield
    for cached in (_interpreters._cache, find_interpreter, discover_interpreter, installed):  # pyright: ignore[reportPrivateUsage]
        cached.cache_clear()


def _bare(monkeypatch: pytest.MonkeyPatch, home: Path, pyenv_root: Path | None = None) -> None:
    """No version manager but what the test makes, PATH without pyenv."""
    for name in ("PYENV_ROOT", "PYENV_VERSION", "MISE_DATA_DIR", "ASDF_DATA_DIR",
                 "XDG_DATA_HOME", "UV_PYTHON_INSTALL_DIR"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    empty = home / "bin"  # not /usr/bin: a system pythonX.Y there (Debian's) would answer
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))
    if pyenv_root is not None:
        monkeypatch.setenv("PYENV_ROOT", str(pyenv_root))


@needs_pyenv
def test_the_pyenv_pythons_here_are_found_by_version() -> None:
    for version, real in REAL.items():
        found = find_interpreter(version)
        assert found is not None, version
        described = describe(found)
        assert described is not None and described.text.startswith(f"{version}.")
        if version != _interpreters.current():
            assert found.resolve() == real.resolve()


@needs_pyenv
def test_a_pyenv_root_is_read_without_its_shims(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version, real = next((v, p) for v, p in REAL.items() if v != _interpreters.current())
    root = tmp_path / "pyenv"
    build = root / "versions" / f"{version}.99" / "bin" / f"python{version}"
    build.parent.mkdir(parents=True)
    _bare(monkeypatch, tmp_path / "home")
    assert find_interpreter(version) is None  # nothing where we look
    find_interpreter.cache_clear()
    build.symlink_to(real)
    monkeypatch.setenv("PYENV_ROOT", str(root))
    assert find_interpreter(version) == build


@needs_pyenv
@pytest.mark.parametrize(
    ("variable", "layout"),
    [
        ("MISE_DATA_DIR", "installs/python/{patch}/bin/python{version}"),
        ("ASDF_DATA_DIR", "installs/python/{patch}/bin/python{version}"),
        (None, ".local/share/mise/installs/python/{patch}/bin/python{version}"),
        (None, ".asdf/installs/python/{patch}/bin/python{version}"),
    ],
)
def test_interpreters_of_mise_and_asdf_are_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str | None, layout: str
) -> None:
    version, real = next((v, p) for v, p in REAL.items() if v != _interpreters.current())
    home = tmp_path / "home"
    _bare(monkeypatch, home)
    assert find_interpreter(version) is None  # not on PATH, no pyenv
    find_interpreter.cache_clear()
    base = home / "data" if variable else home
    if variable:
        monkeypatch.setenv(variable, str(base))
    link = base / layout.format(patch=f"{version}.7", version=version)
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    assert find_interpreter(version) == link


def test_a_shim_never_stands_for_a_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shim answers for whatever its manager has active: not taken from PATH."""
    _bare(monkeypatch, tmp_path / "home")
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3.99"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}/usr/bin:/bin")
    assert find_interpreter("3.99") is None
    assert all(c.path.parent != shims for c in installed(os.environ["PATH"]))


def test_a_version_that_is_not_here_is_none_and_nothing_is_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "uv-pythons"))
    assert discover_interpreter("3.99") is None
    assert not (tmp_path / "uv-pythons").exists()


@needs_pyenv
def test_setup_python_takes_the_newest_match_of_every_python_here() -> None:
    path = os.pathsep.join([*(str(p.parent) for p in REAL.values()), "/usr/bin", "/bin"])
    versions = {c.version[:2] for c in installed(path)}
    assert {tuple(map(int, v.split("."))) for v in REAL} <= versions
    newest = max(REAL, key=lambda v: tuple(map(int, v.split("."))))
    chosen = setup_python.find("3.x", path)
    assert chosen is not None and chosen.text.startswith(f"{newest}.")
    if {"3.11", "3.12"} <= set(REAL):
        ranged = setup_python.find(">=3.11 <3.13", path)
        assert ranged is not None and ranged.text.startswith("3.12.")


def test_nox_own_sessions_see_every_pyenv_version(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    for name in ("3.12.1", "3.10.13", "3.11.7"):
        (root / "versions" / name).mkdir(parents=True)
    (root / "version").write_text("3.11.7\n")
    environ = {"PYENV_ROOT": str(root), "PATH": ""}
    expose_pyenv_versions(environ)
    assert environ["PYENV_VERSION"] == "3.11.7:3.10.13:3.12.1"  # the global one first
    chosen = {"PYENV_ROOT": str(root), "PYENV_VERSION": "3.12.1"}
    expose_pyenv_versions(chosen)
    assert chosen["PYENV_VERSION"] == "3.12.1"  # the user's choice stays


class _NeedsPython(CheckBase):
    name = "needs"
    per_python = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {"tool": EnvSpec(name="needs", python=ctx.python, requirements=())}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        raise AssertionError("never reached without its interpreter")

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return result


@pytest.mark.parametrize(("in_ci", "status"), [(False, Status.SKIP), (True, Status.ERROR)])
def test_a_missing_python_is_skipped_here_and_an_error_on_ci(
    tmp_path: Path, in_ci: bool, status: Status
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    [result] = run_checks(
        root=tmp_path, config=load_config(tmp_path, environ={}), project=load_project(tmp_path),
        session="needs", invocations=[Invocation(_NeedsPython(), "3.99")],
        options=RunOptions(jobs=1, use_cache=False, progress="off", in_ci=in_ci),
        manager=EnvManager(tmp_path, backend="virtualenv"), emit=lambda _text: None,
    )  # fmt: skip
    assert result.status is status
    assert "Python 3.99 was not found" in result.summary
    assert "uv python install 3.99" in result.summary + result.output
