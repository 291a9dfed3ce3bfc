"""Building the project never leaves anything in its tree.

Build backends write into the source tree while they build: setuptools its ``*.egg-info`` (even
for an editable install) and ``build/``, pdm-backend ``.pdm-build/``, meson-python
``.mesonpy-*/``, cargo ``target/``, Cython a ``.c`` file beside each ``.pyx``, an in-place build
its extension modules, setuptools-scm or hatch-vcs their version file. Installing the project into an environment, or building it
for the ``build`` check, runs inside :func:`untouched`: one build in the tree at a time, and
afterwards every such product that was not there before is removed, and a ``*.egg-info`` that was
(tracked, even) gets its files back as they were. ``git status --porcelain --ignored`` is the
same before and after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._fs import exclusive_lock, remove_tree
from ci_sessions._patterns import PathMatcher
from ci_sessions.checks import tooljson

#: what build backends write beside the sources (names of files or folders)
BUILD_PRODUCTS = ("build", "*.egg-info", ".eggs", ".pdm-build", ".mesonpy-*", "_skbuild", "target")
#: folders that hold top-level packages, where setuptools writes ``<name>.egg-info``
PACKAGE_PARENTS = (".", "src", "lib", "python")
#: an egg-info folder larger than this is not saved (it is never that big)
_MAX_SAVED = 4 << 20


@dataclass
class _Snapshot:
    folders: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    existed: set[str] = field(default_factory=set[str])
    saved: dict[str, dict[str, bytes]] = field(default_factory=dict[str, dict[str, bytes]])
    #: generated C files that were there before (some projects commit them): put back as they were
    files: dict[str, bytes] = field(default_factory=dict[str, bytes])


def lock_path(root: Path) -> Path:
    return root / ".nox" / "ci-sessions" / ".tree-build.lock"


def _source_dirs(root: Path) -> dict[str, list[str]]:
    """Folders holding the project's sources (Python, C, Cython): where extension modules and
    Cython's C files appear during an in-place build, with the Cython modules in each."""
    from ci_sessions.config.project import project_files

    folders: dict[str, list[str]] = {}
    for name in project_files(root):
        if name.endswith((".py", ".pyx", ".c", ".cpp")):
            parent, _, file = name.rpartition("/")
            stems = folders.setdefault(parent or ".", [])
            if file.endswith(".pyx"):
                stems.append(file[: -len(".pyx")])
    return folders


def products(root: Path, folders: dict[str, list[str]] | None = None) -> list[str]:
    """Build products present now (relative paths): backend folders beside the sources, and in
    the source folders extension modules and the C files Cython generates from ``.pyx``."""
    found: list[str] = []
    for folder, stems in (folders or {}).items():
        base = root / folder
        patterns = [
            "*.so",
            "*.pyd",
            *(f"{stem}.c" for stem in stems),
            *(f"{stem}.cpp" for stem in stems),
        ]
        for pattern in patterns:
            found.extend(p.relative_to(root).as_posix() for p in base.glob(pattern) if p.is_file())
    for parent in PACKAGE_PARENTS:
        base = root / parent
        if not base.is_dir():
            continue
        with contextlib.suppress(OSError):
            for child in base.iterdir():
                patterns = BUILD_PRODUCTS if parent == "." else ("*.egg-info",)
                if PathMatcher(patterns).match(child.name):
                    found.append(child.relative_to(root).as_posix())
    return sorted(set(found))


def version_files(root: Path) -> list[str]:
    """Files a VCS-versioning plugin writes at build time (setuptools-scm ``version_file`` /
    ``write_to``, hatch-vcs ``version-file``), relative to the project root. One that exists is
    put back as it was; a new one stays, because an editable install imports it."""
    from ci_sessions.config.project import load_project

    tool = load_project(root).tool
    found: list[str] = []
    scm = tooljson.member(tool, "setuptools_scm")
    found += [v for k in ("version_file", "write_to") if isinstance(v := scm.get(k), str)]
    vcs: Mapping[str, object] = tool
    for key in ("hatch", "build", "hooks", "vcs"):
        vcs = tooljson.member(vcs, key)
    if isinstance(version_file := vcs.get("version-file"), str):
        found.append(version_file)
    return found


def _snapshot(root: Path) -> _Snapshot:
    snapshot = _Snapshot(folders=_source_dirs(root))
    for name in version_files(root):
        path = root / name
        if path.is_file():
            snapshot.existed.add(name)
            snapshot.files[name] = path.read_bytes()
    for name in products(root, snapshot.folders):
        snapshot.existed.add(name)
        path = root / name
        if name.endswith((".c", ".cpp")) and path.stat().st_size <= _MAX_SAVED * 4:
            snapshot.files[name] = path.read_bytes()
        if name.endswith(".egg-info") and path.is_dir():
            files: dict[str, bytes] = {}
            size = 0
            for item in sorted(path.rglob("*")):
                if item.is_file():
                    data = item.read_bytes()
                    size += len(data)
                    files[item.relative_to(path).as_posix()] = data
            if size <= _MAX_SAVED:
                snapshot.saved[name] = files
    return snapshot


def _restore(root: Path, snapshot: _Snapshot) -> list[str]:
    """Remove new products, put saved egg-info folders back; return what was removed."""
    removed: list[str] = []
    for name in products(root, snapshot.folders):
        path = root / name
        if name not in snapshot.existed:
            with contextlib.suppress(OSError):  # a product the build left: gone, or reported
                remove_tree(path, within=root)
            removed.append(name)
    for name, data in snapshot.files.items():
        target = root / name
        with contextlib.suppress(OSError):
            if not target.is_file() or target.read_bytes() != data:
                target.write_bytes(data)
    for name, files in snapshot.saved.items():
        path = root / name
        for item in sorted(path.rglob("*"), reverse=True) if path.is_dir() else ():
            relative = item.relative_to(path).as_posix()
            if item.is_file() and relative not in files:
                item.unlink()
        for relative, data in files.items():
            target = path / relative
            with contextlib.suppress(OSError):
                if not target.is_file() or target.read_bytes() != data:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
    return removed


@contextlib.contextmanager
def untouched(root: Path) -> Generator[None, None, None]:
    """Build or install the project in ``root``: one at a time, and nothing left behind."""
    with exclusive_lock(lock_path(root)):
        snapshot = _snapshot(root)
        try:
            yield
        finally:
            _restore(root, snapshot)
