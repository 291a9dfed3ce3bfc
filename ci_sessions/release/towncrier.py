"""Projects that keep news fragments: towncrier writes their changelog, not our own writer.

Used when pyproject.toml has ``[tool.towncrier]`` or a ``towncrier.toml`` exists. towncrier runs
pinned in its own uv tool environment; ``--draft`` gives the dry-run section, ``--yes`` the real
build (it writes the changelog and ``git rm``s the fragments it used).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from packaging.version import Version

from ci_sessions.builds.pyproject import table
from ci_sessions.builds.tools import TOWNCRIER, Ran, run, tool_argv
from ci_sessions.config import load_toml
from ci_sessions.errors import TowncrierError


def uses_towncrier(root: Path, pyproject: Mapping[str, object]) -> bool:
    return bool(table(pyproject, "tool", "towncrier")) or (root / "towncrier.toml").is_file()


def filename(root: Path, pyproject: Mapping[str, object]) -> tuple[str, str]:
    """(the file towncrier writes, where that is configured): ``filename`` of its table in
    towncrier.toml or pyproject.toml, NEWS.rst by default (towncrier's own default)."""
    own = root / "towncrier.toml"
    if own.is_file():
        settings = table(load_toml(own), "tool", "towncrier")
        source = "towncrier.toml [tool.towncrier]"
    else:
        settings = table(pyproject, "tool", "towncrier")
        source = "pyproject.toml [tool.towncrier]"
    name = settings.get("filename", "NEWS.rst")
    return (name if isinstance(name, str) else "NEWS.rst"), source


def _argv(root: Path, name: str, version: Version, date: dt.date, *extra: str) -> list[str]:
    return tool_argv(
        TOWNCRIER, "towncrier", "build", "--dir", str(root), "--name", name,
        "--version", str(version), "--date", date.isoformat(), *extra,
    )  # fmt: skip


def _checked(ran: Ran, what: str) -> str:
    if not ran.ok:
        raise TowncrierError(
            f"towncrier {what} failed (exit {ran.returncode}):\n{ran.tail()}",
            fix="run `towncrier build --draft` to see why; check [tool.towncrier]",
        )
    return ran.output


#: towncrier's last progress line before a draft (its progress goes to stderr, merged here)
_DRAFT_START = "What is seen below is what would be written."


def draft(root: Path, name: str, version: Version, date: dt.date) -> str:
    """The section towncrier would write, changing nothing."""
    output = _checked(run(_argv(root, name, version, date, "--draft"), cwd=root), "build --draft")
    _, marker, section = output.partition(_DRAFT_START)
    return section.strip("\n") + "\n" if marker else output


def build(root: Path, name: str, version: Version, date: dt.date) -> str:
    """Write the section into the changelog and remove the fragments (staged with git)."""
    return _checked(run(_argv(root, name, version, date, "--yes"), cwd=root), "build")
