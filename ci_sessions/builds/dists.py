"""The distributions of one release: their files, name, version, hashes and top-level modules."""

from __future__ import annotations

import email.parser
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from ci_sessions.errors import UsageError


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Distributions:
    name: str
    version: str
    files: tuple[Path, ...]
    #: file name -> sha256
    hashes: dict[str, str]
    #: the top-level packages and modules the wheel installs
    top_level: tuple[str, ...]


def _wheel_metadata(wheel: Path) -> tuple[str, str, tuple[str, ...]]:
    fix = "build the distributions again (python -m build, or uv build) and publish those"
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            meta = next((n for n in names if n.endswith(".dist-info/METADATA") and n.count("/") == 1), None)  # fmt: skip
            if meta is None:
                raise UsageError(f"{wheel.name} has no .dist-info/METADATA: not a wheel", fix=fix)
            data = archive.read(meta)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise UsageError(
            f"{wheel.name} is not a wheel: not a zip archive ({exc})", fix=fix
        ) from None
    message = email.parser.Parser().parsestr(data.decode("utf-8", "replace"))
    if not message["Name"] or not message["Version"]:
        raise UsageError(f"{wheel.name}: its METADATA names no project or version", fix=fix)
    top: dict[str, None] = {}
    for name in names:
        head = name.split("/", 1)[0]
        if head.endswith((".dist-info", ".data")):
            continue
        if "/" in name:
            top[head] = None
        elif head.endswith(".py"):
            top[head.removesuffix(".py")] = None
    return str(message["Name"] or ""), str(message["Version"] or ""), tuple(top)


def gather(directory: Path, name: str = "") -> Distributions:
    """The wheel(s) and sdist in ``directory``, one project and one version only."""
    files = tuple(sorted(p for p in directory.glob("*") if p.name.endswith((".whl", ".tar.gz"))))
    wheels = [p for p in files if p.suffix == ".whl"]
    if not wheels:
        raise UsageError(
            f"no wheel in {directory}", fix="build first, or point --dist at the built files"
        )
    found = {_wheel_metadata(wheel) for wheel in wheels}
    projects = {(canonicalize_name(n), v) for n, v, _ in found}
    if len(projects) != 1:
        listed = ", ".join(sorted(f"{n} {v}" for n, v in projects))
        raise UsageError(f"{directory} holds more than one release ({listed})", fix="keep one release's files there")  # fmt: skip
    project, version, _ = next(iter(found))
    if name and canonicalize_name(name) != canonicalize_name(project):
        raise UsageError(f"{directory} holds {project}, not {name}")
    top = tuple(dict.fromkeys(t for _, _, tops in found for t in tops))
    return Distributions(project, version, files, {p.name: sha256(p) for p in files}, top)
