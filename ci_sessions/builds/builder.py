"""One build of a project: sdist, then the wheel from that sdist, in an isolated environment.

``uv build`` when uv is available (or ``builder = "uv"``), else ``python -m build`` (pinned,
run through uv, or from this environment). ``SOURCE_DATE_EPOCH`` is the commit time. A project
whose version comes from git gets it through ``SETUPTOOLS_SCM_PRETEND_VERSION`` (and pdm's
equivalent), computed the way setuptools-scm would, since a copy of the tree has no ``.git``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._fs import copy_listed
from ci_sessions._git import git, tracked_files, try_git
from ci_sessions.builds.tags import reachable_tags
from ci_sessions.builds.tools import BUILD, Ran, find_uv, run
from ci_sessions.config import Config
from ci_sessions.errors import BuildError, CiSessionsError, InstallError

_GENERATOR = re.compile(r"^Generator:\s*(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class BuildSettings:
    """What a build reads of ``[tool.ci-sessions.release]``: the builder, where the version
    comes from (a ``tag`` project's copy is told its version) and the version tags' prefix."""

    builder: str = "auto"
    version_source: str = "auto"
    tag_prefix: str = "v"

    @classmethod
    def of(cls, config: Config) -> BuildSettings:
        section = config.section("release")
        return cls(
            builder=section.str("builder"),
            version_source=section.str("version-source"),
            tag_prefix=section.str("tag-prefix"),
        )


@dataclass(frozen=True)
class Built:
    """The distributions of one build and what made them."""

    files: tuple[Path, ...]
    tools: dict[str, str] = field(default_factory=lambda: {})


def commit_epoch(root: Path) -> int:
    """The HEAD commit's time, the SOURCE_DATE_EPOCH of a reproducible build."""
    out = git(
        root, "log", "-1", "--format=%ct", "HEAD", what="the commit time",
        fix="commit once: the build's SOURCE_DATE_EPOCH is the HEAD commit's time",
    )  # fmt: skip
    return int(out.strip())


def scm_version(root: Path, prefix: str) -> str:
    """The version setuptools-scm's default scheme gives HEAD (``1.2.4.dev3+gabc1234``)."""
    head = git(root, "rev-parse", "HEAD").strip()
    tags = reachable_tags(root, prefix)
    if not tags:
        count = git(root, "rev-list", "--count", "HEAD").strip()
        return f"0.1.dev{count}+g{head[:7]}"
    latest = tags[0]
    at = try_git(root, "rev-list", "-n", "1", latest.name) or ""
    if at.strip() == head:
        return str(latest.version)
    distance = git(root, "rev-list", "--count", f"{latest.name}..HEAD").strip()
    release = [*latest.version.release, 0, 0]
    if latest.version.pre is None:
        release[2] += 1
    return f"{release[0]}.{release[1]}.{release[2]}.dev{distance}+g{head[:7]}"


def copy_tracked(root: Path, destination: Path, *, mtime: float, reverse: bool = False) -> int:
    """Copy the tracked files (working-tree content) to ``destination``, all with ``mtime``.

    ``reverse`` creates them in the opposite order: two copies then differ in file times and
    directory order the way two checkouts can, and a build that leaks either shows it.
    """
    files = tracked_files(root)
    if files is None:
        raise CiSessionsError(f"{root} is not a git checkout", fix="run inside a git repository")
    copied = copy_listed(root, destination, files, mtime=mtime, reverse=reverse)
    return sum(1 for name in copied if not (destination / name).is_symlink())


def _backend(files: tuple[Path, ...]) -> str:
    """The backend that made the wheel, from its WHEEL file (``hatchling 1.27.0``)."""
    for path in files:
        if path.suffix != ".whl":
            continue
        try:
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith(".dist-info/WHEEL"):
                        text = archive.read(name).decode("utf-8", "replace")
                        match = _GENERATOR.search(text)
                        if match:
                            return match.group(1)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise BuildError(f"the build wrote {path.name}, which is not a zip archive") from None
    return ""


def _version_of(argv: list[str], cwd: Path) -> str:
    ran = run([*argv, "--version"], cwd=cwd, timeout=60)
    return ran.output.strip().splitlines()[0] if ran.ok and ran.output.strip() else "unknown"


def build_command(builder: str, source: Path, outdir: Path) -> tuple[list[str], dict[str, str]]:
    """The argv that builds ``source`` into ``outdir``, and the tool versions to report."""
    uv = find_uv()
    if builder in ("auto", "uv") and uv is not None:
        argv = [uv, "build", "--python", sys.executable, "--out-dir", str(outdir), str(source)]
        return argv, {"uv": _version_of([uv], source).removeprefix("uv ").split(" ")[0]}
    if builder == "uv":
        raise InstallError("builder = uv, but uv is not installed", fix="pip install uv")
    if uv is not None:
        front = [uv, "tool", "run", "--python", sys.executable, "--from", f"build[uv]=={BUILD.split('==')[1]}", "pyproject-build", "--installer", "uv"]  # fmt: skip
    elif importlib.util.find_spec("build") is not None:
        front = [sys.executable, "-m", "build"]
    else:
        raise InstallError("neither uv nor build is installed", fix="pip install uv")
    version = _version_of(front, source).split(" ")
    return [*front, "--outdir", str(outdir), str(source)], {"build": version[1] if len(version) > 1 else version[0]}  # fmt: skip


def build(
    source: Path,
    outdir: Path,
    *,
    epoch: int,
    builder: str = "auto",
    scm: str = "",
    env: Mapping[str, str] | None = None,
) -> Built:
    """Build ``source`` (a copy of the tree) into ``outdir``; a failure raises BuildError.

    ``env`` is the environment the build starts from (this process's when None)."""
    source, outdir = source.resolve(), outdir.resolve()
    argv, tools = build_command(builder, source, outdir)
    merged = dict(os.environ if env is None else env)
    merged["SOURCE_DATE_EPOCH"] = str(epoch)
    merged.pop("PYTHONHASHSEED", None)
    if scm:
        merged["SETUPTOOLS_SCM_PRETEND_VERSION"] = scm
        merged["PDM_BUILD_SCM_VERSION"] = scm
    outdir.mkdir(parents=True, exist_ok=True)
    ran: Ran = run(argv, cwd=source, env=merged)
    if not ran.ok:
        raise BuildError(f"the build failed (exit {ran.returncode}):\n{ran.tail()}")
    files = tuple(sorted(p for p in outdir.iterdir() if p.name.endswith((".whl", ".tar.gz"))))
    if not files:
        raise BuildError(f"the build wrote no distribution:\n{ran.tail()}")
    backend = _backend(files)
    if backend:
        tools["backend"] = backend
    tools["python"] = ".".join(map(str, sys.version_info[:3]))
    return Built(files, tools)
