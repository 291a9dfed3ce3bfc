"""Reading what the pytest plugin recorded each test file reaching (``ci_sessions_pytest_reach``).

The plugin writes absolute paths, one document per pytest process (the xdist workers beside
it); this turns them into one :class:`Observed` with project-relative paths. A project package
installed as built (a compiled project's tests import it from site-packages) is mapped back to
its sources: ``.../site-packages/demo/x.py`` is ``src/demo/x.py``.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, cast

from ci_sessions.checks.base import Observed, Reached

SITE = "/site-packages/"
UNIT, IMPORT, SHARED, MARKER = "unit:", "import:", "shared", "marker:"


def reach_documents(output: Path) -> list[dict[str, Any]]:
    """Every document the plugin wrote for one run (the main process's and each worker's)."""
    documents: list[dict[str, Any]] = []
    if not output.parent.is_dir():
        return documents
    for path in sorted(output.parent.glob(f"{output.name}*")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and cast("dict[str, Any]", data).get("format") == 1:
            documents.append(cast("dict[str, Any]", data))
    return documents


class _Paths:
    """Absolute paths the plugin saw -> project-relative POSIX paths (or None: not ours)."""

    def __init__(self, root: Path, packages: Sequence[str]) -> None:
        self.roots = [f"{os.path.abspath(root)}/", f"{os.path.realpath(root)}/"]
        self.packages: dict[str, str] = {}
        for entry in packages:
            path = PurePosixPath(entry)
            self.packages[path.stem if path.suffix == ".py" else path.name] = path.parent.as_posix()
        self.known: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str | None:
        if raw in self.known:
            return self.known[raw]
        path = raw.replace(os.sep, "/")
        found: str | None = None
        site = path.find(SITE)
        if site >= 0:
            inner = path[site + len(SITE) :]
            top = inner.split("/", 1)[0].removesuffix(".py")
            folder = self.packages.get(top)
            if folder is not None:
                found = inner if folder == "." else f"{folder}/{inner}"
        else:
            for root in self.roots:
                if path.startswith(root):
                    found = path[len(root) :]
                    break
                if f"{path}/" == root:
                    found = "."
                    break
        if found is not None and found != ".":
            found = posixpath.normpath(found)
            if found.startswith(("../", "/")) or found == "..":
                found = None  # never a path outside the project
        self.known[raw] = found
        return found

    def many(self, raws: Iterable[str]) -> frozenset[str]:
        return frozenset(p for raw in raws if (p := self(str(raw))) is not None)


def observed_from(
    documents: Sequence[Mapping[str, Any]], root: Path, packages: Sequence[str]
) -> Observed:
    """One :class:`Observed` from the documents of one run."""
    paths = _Paths(root, packages)
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, tuple[str, bool]] = {}
    computes: set[str] = set()
    for document in documents:
        for key, raw in cast("dict[str, Any]", document.get("buckets", {})).items():
            if raw.get("via") and str(key) not in origin:
                origin[str(key)] = (str(raw["via"]), bool(raw.get("lazy")))
            if raw.get("computes"):
                computes.add(str(key))
            bucket = merged.setdefault(str(key), {})
            code: dict[str, set[int]] = bucket.setdefault("code", {})
            for raw_path, lines in cast("dict[str, Any]", raw.get("code", {})).items():
                code.setdefault(str(raw_path), set()).update(int(n) for n in lines)
            for field in ("read", "listed", "imports", "caused"):
                target = cast("set[str]", bucket.setdefault(field, set()))
                target.update(str(v) for v in cast("list[Any]", raw.get(field, [])))
            spawned = cast("list[str]", bucket.setdefault("spawned", []))
            spawned.extend(str(v) for v in cast("list[Any]", raw.get("spawned", [])))
    units: dict[str, Reached] = {}
    imports: dict[str, Reached] = {}
    marked: dict[str, Reached] = {}
    shared = Reached()
    for key, fields in merged.items():
        reached = Reached(
            code=_code(paths, cast("dict[str, set[int]]", fields["code"])),
            read=paths.many(fields["read"]),
            listed=frozenset(_listed(paths, cast("set[str]", fields["listed"]))),
            imports=frozenset(cast("set[str]", fields["imports"])),
            spawned=tuple(cast("list[str]", fields["spawned"])),
            caused=paths.many(c.removeprefix(IMPORT) for c in cast("set[str]", fields["caused"])),
            via=(paths(origin[key][0]) or "") if key in origin else "",
            lazy=origin[key][1] if key in origin else False,
            computes=key in computes,
        )
        if key == SHARED:
            shared = reached
            continue
        if key.startswith(MARKER):
            marked[key.removeprefix(MARKER)] = reached
            continue
        kind, _, raw = key.partition(":")
        path = paths(raw)
        if path is None:
            shared = _union(shared, reached)  # a test file outside the project: counts for all
        elif kind == "unit":
            units[path] = _union(units[path], reached) if path in units else reached
        else:
            imports[path] = _union(imports[path], reached) if path in imports else reached
    users: dict[str, set[str]] = {}
    for document in documents:
        for marker, files in cast("dict[str, Any]", document.get("marked", {})).items():
            users.setdefault(str(marker), set()).update(paths.many(files))
    return Observed(
        units=units,
        imports=imports,
        shared=shared,
        marked={m: (r, frozenset(users.get(m, ()))) for m, r in marked.items()},
    )


def collected_counts(documents: Sequence[Mapping[str, Any]], root: Path) -> dict[str, int]:
    """How many tests pytest collected from each file it collected (project-relative)."""
    paths = _Paths(root, ())
    counts: dict[str, int] = {}
    for document in documents:
        for raw, count in cast("dict[str, Any]", document.get("files", {})).items():
            path = paths(str(raw))
            if path is not None:
                counts[path] = max(counts.get(path, 0), int(count))
    return counts


def _code(paths: _Paths, raw: Mapping[str, set[int]]) -> dict[str, frozenset[int]]:
    code: dict[str, frozenset[int]] = {}
    for path, lines in raw.items():
        found = paths(path)
        if found is not None:
            code[found] = code.get(found, frozenset()) | frozenset(lines)
    return code


def _listed(paths: _Paths, raws: Iterable[str]) -> list[str]:
    found: list[str] = []
    for raw in raws:
        suffix = "/*.dist-info" if raw.replace(os.sep, "/").endswith("/*.dist-info") else ""
        path = paths(raw.replace(os.sep, "/").removesuffix("/*.dist-info"))
        if path is not None:
            found.append(f"{path}{suffix}")
    return found


def _union(a: Reached, b: Reached) -> Reached:
    code = dict(a.code)
    for path, lines in b.code.items():
        code[path] = code.get(path, frozenset()) | lines
    return Reached(
        code=code,
        read=a.read | b.read,
        listed=a.listed | b.listed,
        imports=a.imports | b.imports,
        spawned=a.spawned + b.spawned,
        caused=a.caused | b.caused,
        via=a.via or b.via,
        lazy=a.lazy or b.lazy,
        computes=a.computes or b.computes,
    )
