"""What a noxfile imports, made visible to pyright beside the project's environment.

A noxfile imports ``nox`` and ``ci_sessions``, which live where nox runs, not in the project's
environment that pyright resolves imports through. By hand, in a development environment that
runs nox, pyright finds them; through ci-sessions it reported ``Import "ci_sessions" could not be
resolved`` in every project whose pyright config includes the noxfile. So pyright's Python is
given a folder holding links to those two packages only (``PYTHONPATH``, read when pyright asks
the Python for its search paths): nothing else of nox's environment becomes visible, and the
project's environment, which its tests share, is not touched. A package the project's
environment has already is left to it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
from collections.abc import Generator, Mapping
from pathlib import Path

from ci_sessions.checks.asbuilt import site_packages

#: the packages a noxfile needs
RUNNER_PACKAGES = ("nox", "ci_sessions")


def missing_packages(location: Path) -> list[Path]:
    """The folders of the runner's packages that the environment at ``location`` lacks."""
    site = site_packages(location)
    missing: list[Path] = []
    for name in RUNNER_PACKAGES:
        spec = importlib.util.find_spec(name)  # where this process finds it (not imported)
        places = list(spec.submodule_search_locations or []) if spec is not None else []
        if places and (site is None or not (site / name).exists()):
            missing.append(Path(places[0]))
    return missing


@contextlib.contextmanager
def runner_packages_visible(
    location: Path, environ: Mapping[str, str] | None = None
) -> Generator[dict[str, str], None, None]:
    """The variables that let pyright's Python see the runner's packages the environment at
    ``location`` lacks (none when it lacks none, or links cannot be made here); the folder of
    links exists while the block runs."""
    missing = missing_packages(location)
    if not missing:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="ci-sessions-pyright-") as folder:
        try:
            for package in missing:
                (Path(folder) / package.name).symlink_to(package, target_is_directory=True)
        except OSError:  # no links here (Windows without the privilege): as before
            yield {}
            return
        earlier = (os.environ if environ is None else environ).get("PYTHONPATH", "")
        yield {"PYTHONPATH": os.pathsep.join(p for p in (folder, earlier) if p)}
