"""The runner's packages (nox, ci_sessions) shown to pyright's Python without touching the
project's environment: only what that environment lacks, only links, gone after the run."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from ci_sessions.checks.pyright_runner import missing_packages, runner_packages_visible


def venv(tmp_path: Path, *packages: str) -> Path:
    site = tmp_path / "env" / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    for name in packages:
        (site / name).mkdir()
    return tmp_path / "env"


def where(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def test_only_the_packages_the_environment_lacks(tmp_path: Path) -> None:
    assert missing_packages(venv(tmp_path / "a")) == [where("nox"), where("ci_sessions")]
    assert missing_packages(venv(tmp_path / "b", "nox")) == [where("ci_sessions")]
    assert missing_packages(venv(tmp_path / "c", "nox", "ci_sessions")) == []


def test_a_folder_of_links_first_on_the_path_and_removed_without_following_them(
    tmp_path: Path,
) -> None:
    location = venv(tmp_path, "nox")
    with runner_packages_visible(location, {"PYTHONPATH": "/theirs"}) as extra:
        folder, theirs = extra["PYTHONPATH"].split(os.pathsep)
        assert theirs == "/theirs"
        assert sorted(p.name for p in Path(folder).iterdir()) == ["ci_sessions"]
        link = Path(folder) / "ci_sessions"
        assert link.is_symlink() and link.resolve() == where("ci_sessions").resolve()
    assert not Path(folder).exists()
    assert (where("ci_sessions") / "__init__.py").is_file()  # the package itself stays


def test_nothing_when_the_environment_has_both(tmp_path: Path) -> None:
    with runner_packages_visible(venv(tmp_path, "nox", "ci_sessions"), {}) as extra:
        assert extra == {}
    with runner_packages_visible(venv(tmp_path / "x"), {}) as extra:
        assert extra["PYTHONPATH"].count(os.pathsep) == 0  # no empty entry of theirs
