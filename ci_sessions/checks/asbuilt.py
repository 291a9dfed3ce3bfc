"""A compiled project is tested as built: its Python from the tree, its compiled modules from the build.

A project that compiles something is installed into its environment as built (non-editable: an
editable build would write extension modules into the tree). But pytest puts the project root on
``sys.path``, so in a flat layout (msgpack) the tree's package shadows the installed one: its
compiled modules are not in the tree, and the package's pure-Python fallback is what gets tested.
A bug planted in the C code then passes.

So the environment gets a small import finder (a ``.pth`` file and the module it imports, written
into its site-packages; any Python started in the environment has it, pytest, coverage, and the
subprocesses tests start). For the project's own top-level packages, as its installed
distribution lists them, it resolves each module:

1. a compiled module (``.so``, ``.pyd``) from the build, always: never a stale in-place build
   left in the tree;
2. else the module's source from the tree: an edit of a ``.py`` file is tested at once, with no
   rebuild of the extension;
3. else what only the build has (a version file the backend generated).

A module the build had a copy of at build time but the tree no longer has (deleted) is not
imported from the build. The package's ``__path__`` holds the tree's folder and the build's, so
tests living in the package and ``pkgutil`` see the tree. Only compiled sources and the build
configuration decide the environment (``projectenv.install_project``); a ``.py`` file the build
compiles (Cython on a ``.py``) is one of them, found after the build.

Every top-level package and compiled module the finder serves is written to the file named by
``CI_SESSIONS_IMPORTS`` (when set): the tests check shows where they came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from ci_sessions.checks import tooljson

#: the module (and ``.pth`` file) written into the environment's site-packages
FINDER = "_ci_sessions_built"
#: where the finder writes what it imported (one JSON line per module), when set
IMPORTS_VARIABLE = "CI_SESSIONS_IMPORTS"


@dataclass(frozen=True)
class Layout:
    """Where the project's installed top-level modules are, in the build and in the tree."""

    site: Path
    #: import name -> (path in the build, path in the tree or None when only the build has it)
    modules: dict[str, tuple[str, str | None]]
    #: build paths of the pure modules that had a tree copy when the environment was built
    mirrored: tuple[str, ...]
    #: tree files (relative) the build compiled into a module, e.g. a ``.py`` Cython compiled
    compiled_from_tree: tuple[str, ...]


def site_packages(env: Path) -> Path | None:
    """The site-packages folder of a virtual environment."""
    found = sorted(env.glob("lib/python*/site-packages")) + sorted(env.glob("Lib/site-packages"))
    return found[0] if found else None


def project_distribution(site: Path, root: Path) -> Path | None:
    """The ``.dist-info`` of the project itself: the one installed from ``root``."""
    wanted = root.resolve()
    for dist_info in sorted(site.glob("*.dist-info")):
        try:
            data = tooljson.load(dist_info / "direct_url.json")
        except (OSError, ValueError):
            continue
        url = tooljson.text(data, "url") if tooljson.is_object(data) else ""
        parsed = urlparse(url)
        if parsed.scheme == "file" and Path(unquote(parsed.path)).resolve() == wanted:
            return dist_info
    return None


def installed_files(dist_info: Path) -> list[str]:
    """The files a distribution installed, relative to site-packages (its RECORD)."""
    try:
        lines = (dist_info / "RECORD").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    files = [line.split(",", 1)[0].strip('"') for line in lines if line.strip()]
    return [f for f in files if f and not f.startswith(("..", "/")) and ".dist-info/" not in f]


def is_extension(name: str) -> bool:
    """A compiled module's file (``_speed.cpython-312-x86_64-linux-gnu.so``, ``_speed.pyd``)."""
    return name.endswith((".so", ".pyd"))


def _tree_of(root: Path, name: str, *, package: bool) -> str | None:
    """The tree's copy of a top-level package (a folder with ``__init__.py``) or module."""
    for base in (root, root / "src"):
        candidate = base / name
        if package and (candidate / "__init__.py").is_file():
            return str(candidate)
        if not package and candidate.with_suffix(".py").is_file() and name.isidentifier():
            return str(candidate)
    return None


def layout(root: Path, env: Path) -> Layout | None:
    """The project's modules in the build and the tree, or None when the project is not found in
    the environment (then nothing is redirected)."""
    site = site_packages(env)
    dist_info = project_distribution(site, root) if site is not None else None
    if site is None or dist_info is None:
        return None
    files = installed_files(dist_info)
    modules: dict[str, tuple[str, str | None]] = {}
    for rel in files:
        head, sep, _rest = rel.partition("/")
        if sep:
            if head.isidentifier() and head != "__pycache__" and not head.endswith(".data"):
                tree = _tree_of(root, head, package=True)
                modules.setdefault(head, (str(site / head), tree))
        elif rel.endswith(".py") and rel[:-3].isidentifier():
            name = rel[:-3]
            modules.setdefault(name, (str(site / name), _tree_of(root, name, package=False)))
        elif is_extension(rel):
            name = rel.split(".", 1)[0]
            if name.isidentifier():
                modules.setdefault(name, (str(site / name), None))
    mirrored: list[str] = []
    compiled: list[str] = []
    for rel in files:
        head = rel.partition("/")[0].split(".", 1)[0]
        tree = modules.get(head, ("", None))[1]
        if tree is None:
            continue
        inside = rel[len(head) :]  # "/sub/mod.py", or ".py" for a top-level module
        if rel.endswith(".py") and Path(tree + inside).is_file():
            mirrored.append(str(site / rel))
        elif is_extension(rel):
            stem = inside.rsplit("/", 1)[-1].split(".", 1)[0]
            folder = inside.rsplit("/", 1)[0] if "/" in inside else ""
            source = Path(tree + folder) / f"{stem}.py"
            if source.is_file():
                compiled.append(source.relative_to(root).as_posix())
    return Layout(site, modules, tuple(sorted(mirrored)), tuple(sorted(compiled)))


def not_served(root: Path, found: Layout, from_tree: tuple[str, ...]) -> tuple[str, ...]:
    """The files of ``from_tree`` the finder does not import from the tree (their package is
    installed under another name, or not at all as a tree package): inputs after all."""
    folders = [Path(tree) for _build, tree in found.modules.values() if tree is not None]
    served: list[str] = []
    for folder in folders:
        try:
            served.append(folder.relative_to(root).as_posix())
        except ValueError:
            continue
    return tuple(
        name
        for name in from_tree
        if not any(name == f"{s}.py" or name.startswith(f"{s}/") for s in served)
    )


def install_finder(found: Layout) -> None:
    """Write the finder module and the ``.pth`` file that loads it into the build."""
    from ci_sessions._fs import atomic_write_text

    atomic_write_text(found.site / f"{FINDER}.py", finder_source(found))
    atomic_write_text(found.site / f"{FINDER}.pth", f"import {FINDER}\n")


def finder_source(found: Layout) -> str:
    """The finder module's text (it runs in the project's Python: 3.8 and newer)."""
    return _FINDER_TEMPLATE.replace(
        "__MODULES__", repr({k: list(v) for k, v in sorted(found.modules.items())})
    ).replace("__MIRRORED__", repr(sorted(found.mirrored)))


def read_imports(path: Path) -> dict[str, str]:
    """What the finder imported during a run: module name -> file."""
    seen: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return seen
    for line in lines:
        try:
            name, origin = json.loads(line)
        except (ValueError, TypeError):
            continue
        seen.setdefault(str(name), str(origin))
    return seen


def describe_imports(root: Path, imports: dict[str, str]) -> list[str]:
    """Lines for the check's output: each package from the tree, each compiled module's file."""

    def shown(origin: str) -> str:
        path = Path(origin)
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else origin

    lines: list[str] = []
    for name, origin in sorted(imports.items()):
        if is_extension(origin):
            lines.append(f"compiled: {name} from {origin}")
        elif Path(origin).is_relative_to(root):
            lines.append(f"as built: {name} from the tree ({shown(origin)})")
        else:
            lines.append(f"as built: {name} from the build ({origin})")
    return lines


def in_tree(root: Path, imports: dict[str, str]) -> list[str]:
    """Compiled modules imported from inside the tree (never, unless the finder was bypassed)."""
    resolved = root.resolve()
    return sorted(
        name
        for name, origin in imports.items()
        if is_extension(origin)
        and Path(origin).resolve().is_relative_to(resolved)
        and ".nox" not in Path(origin).resolve().relative_to(resolved).parts
    )


_FINDER_TEMPLATE = '''"""Written by ci-sessions: the project as built, its Python from the tree (see
ci_sessions/checks/asbuilt.py). Rewritten with the environment; do not edit."""

import importlib.machinery as _machinery
import importlib.util as _util
import json as _json
import os as _os
import sys as _sys

_MODULES = __MODULES__
_MIRRORED = frozenset(__MIRRORED__)
_EXTENSIONS = tuple(_machinery.EXTENSION_SUFFIXES)
_SITE = _os.path.dirname(_os.path.abspath(__file__))


def _record(name, origin):
    target = _os.environ.get("CI_SESSIONS_IMPORTS")
    if not target or not origin:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(_json.dumps([name, origin]) + "\\n")
    except OSError:
        pass


def _pairs(top, path):
    """(build folder, tree folder or None) to search, from the parent's __path__."""
    build, tree = _MODULES[top]
    if path is None:
        return [(_SITE, _os.path.dirname(tree) if tree else None)]
    pairs = []
    for folder in path:
        folder = str(folder)
        mapped = None
        if folder == build or folder.startswith(build + _os.sep):
            mapped = (folder, tree + folder[len(build):] if tree else None)
        elif tree and (folder == tree or folder.startswith(tree + _os.sep)):
            mapped = (build + folder[len(tree):], folder)
        if mapped and mapped not in pairs:
            pairs.append(mapped)
    return pairs


def _extension(folder, leaf):
    for suffix in _EXTENSIONS:
        candidate = _os.path.join(folder, leaf + suffix)
        if _os.path.isfile(candidate):
            return candidate
    return None


class BuiltFinder:
    """Compiled modules from the build, sources from the tree, then what only the build has."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top not in _MODULES or (path is None and "." in fullname):
            return None
        leaf = fullname.rpartition(".")[2]
        pairs = _pairs(top, path)
        for build, _tree in pairs:
            compiled = _extension(build, leaf)
            if compiled:
                _record(fullname, compiled)
                return _util.spec_from_file_location(fullname, compiled)
        for build, tree in pairs:
            if not tree:
                continue
            package = _os.path.join(tree, leaf, "__init__.py")
            if _os.path.isfile(package):
                if "." not in fullname:
                    _record(fullname, package)
                return _util.spec_from_file_location(
                    fullname, package,
                    submodule_search_locations=[
                        _os.path.join(tree, leaf), _os.path.join(build, leaf)
                    ],
                )
            module = _os.path.join(tree, leaf + ".py")
            if _os.path.isfile(module):
                if "." not in fullname:
                    _record(fullname, module)
                return _util.spec_from_file_location(fullname, module)
        deleted = False
        for build, tree in pairs:
            spec = _machinery.PathFinder.find_spec(fullname, [build])
            if spec is None:
                continue
            if spec.origin in _MIRRORED:  # the tree had it when built, and has it no more
                deleted = True
                break
            if "." not in fullname:
                _record(fullname, spec.origin)
            return spec
        if deleted or any(tree and _extension(tree, leaf) for _build, tree in pairs):
            # deleted from the tree, or only a stale in-place build in it: not importable
            raise ModuleNotFoundError(
                "No module named %r (ci-sessions imports the project as built: the build has "
                "no such compiled module and the tree no such source)" % fullname,
                name=fullname,
            )
        return None


if __name__ == "_ci_sessions_built" and not any(
    getattr(f, "__name__", "") == "BuiltFinder" for f in _sys.meta_path
):
    _sys.meta_path.insert(0, BuiltFinder)
'''
