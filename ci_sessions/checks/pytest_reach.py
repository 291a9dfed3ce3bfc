"""Reading what the pytest plugin recorded each test file reaching (``ci_sessions_pytest_reach``).

The plugin writes absolute paths, one document per pytest process (the xdist workers beside
it); this turns them into one :class:`Observed` with project-relative paths. A project package
installed as built (a compiled project's tests import it from site-packages) is mapped back to
its sources: ``.../site-packages/demo/x.py`` is ``src/demo/x.py``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TypedDict

from ci_sessions.checks import tooljson
from ci_sessions.checks.base import Observed, Reached

SITE = "/site-packages/"
UNIT, IMPORT, SHARED, MARKER = "unit:", "import:", "shared", "marker:"


class ReachBucket(TypedDict):
    """What one bucket reached, as the plugin wrote it (absolute paths)."""

    code: dict[str, list[int]]  # a file -> the first lines of the code that ran in it
    read: list[str]
    constants: list[str]  # files read only for their literal constants (hypothesis)
    listed: list[str]
    imports: list[str]
    caused: list[str]
    spawned: list[str]
    via: str
    lazy: bool
    computes: bool


class ReachDocument(TypedDict):
    """One process's record (``format`` 1)."""

    how: str  # "sys.monitoring", or why nothing was tracked
    files: dict[str, int]  # a test file -> how many tests pytest collected from it
    marked: dict[str, list[str]]  # a marker -> the files with tests that carry it
    buckets: dict[str, ReachBucket]
    unraisable: list[str]  # where an exception in a finalizer failed a test (or the session end)


def reach_documents(output: Path) -> list[ReachDocument]:
    """Every document the plugin wrote for one run (the main process's and each worker's).

    A file that cannot be read or is of another format is not one; a format-1 document with a
    member of another type is a ``ValueError`` naming the file: read wrongly, it could select
    too few tests.
    """
    documents: list[ReachDocument] = []
    if not output.parent.is_dir():
        return documents
    for path in sorted(output.parent.glob(f"{output.name}*")):
        try:
            data = tooljson.load(path)
        except (OSError, ValueError):
            continue
        if tooljson.is_object(data) and data.get("format") == 1:
            documents.append(read_document(data, str(path)))
    return documents


def read_document(data: Mapping[str, object], where: str) -> ReachDocument:
    """A record checked member by member: a missing member is empty, one of another type is a
    ``ValueError`` naming it."""
    buckets: dict[str, ReachBucket] = {}
    for key, raw in _object(data, "buckets", where).items():
        buckets[key] = _bucket(tooljson.as_object(raw, f"{where}: buckets: {key}"), key, where)
    files: dict[str, int] = {}
    for file, count in _object(data, "files", where).items():
        if not isinstance(count, int) or isinstance(count, bool):
            raise ValueError(f"{where}: files: {file}: expected a count")
        files[file] = count
    return ReachDocument(
        how=_text(data, "how", where),
        files=files,
        marked={
            marker: _strings(_object(data, "marked", where), marker, f"{where}: marked")
            for marker in _object(data, "marked", where)
        },
        buckets=buckets,
        unraisable=_strings(data, "unraisable", where),
    )


def _bucket(raw: Mapping[str, object], key: str, where: str) -> ReachBucket:
    at = f"{where}: buckets: {key}"
    code: dict[str, list[int]] = {}
    for path, lines in _object(raw, "code", at).items():
        items = tooljson.as_list(lines, f"{at}: code: {path}")
        numbers = [n for n in items if isinstance(n, int) and not isinstance(n, bool)]
        if len(numbers) != len(items):
            raise ValueError(f"{at}: code: {path}: expected line numbers")
        code[path] = numbers
    return ReachBucket(
        code=code,
        read=_strings(raw, "read", at),
        constants=_strings(raw, "constants", at),
        listed=_strings(raw, "listed", at),
        imports=_strings(raw, "imports", at),
        caused=_strings(raw, "caused", at),
        spawned=_strings(raw, "spawned", at),
        via=_text(raw, "via", at),
        lazy=_flag(raw, "lazy", at),
        computes=_flag(raw, "computes", at),
    )


def _object(data: Mapping[str, object], key: str, where: str) -> tooljson.JsonObject:
    value = data.get(key)
    return {} if value is None else tooljson.as_object(value, f"{where}: {key}")


def _strings(data: Mapping[str, object], key: str, where: str) -> list[str]:
    value = data.get(key)
    items = [] if value is None else tooljson.as_list(value, f"{where}: {key}")
    found = [item for item in items if isinstance(item, str)]
    if len(found) != len(items):
        raise ValueError(f"{where}: {key}: expected a list of strings")
    return found


def _text(data: Mapping[str, object], key: str, where: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where}: {key}: expected a string, got {type(value).__name__}")
    return value


def _flag(data: Mapping[str, object], key: str, where: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key}: expected true or false, got {type(value).__name__}")
    return value


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


class _Merged:
    """One bucket's members over every document of a run."""

    __slots__ = ("caused", "code", "constants", "imports", "listed", "read", "spawned")

    def __init__(self) -> None:
        self.code: dict[str, set[int]] = {}
        self.read: set[str] = set()
        self.constants: set[str] = set()
        self.listed: set[str] = set()
        self.imports: set[str] = set()
        self.caused: set[str] = set()
        self.spawned: list[str] = []

    def add(self, raw: ReachBucket) -> None:
        for path, lines in raw["code"].items():
            self.code.setdefault(path, set()).update(lines)
        self.read.update(raw["read"])
        self.constants.update(raw["constants"])
        self.listed.update(raw["listed"])
        self.imports.update(raw["imports"])
        self.caused.update(raw["caused"])
        self.spawned.extend(raw["spawned"])


def observed_from(
    documents: Sequence[ReachDocument], root: Path, packages: Sequence[str]
) -> Observed:
    """One :class:`Observed` from the documents of one run."""
    paths = _Paths(root, packages)
    merged: dict[str, _Merged] = {}
    origin: dict[str, tuple[str, bool]] = {}
    computes: set[str] = set()
    for document in documents:
        for key, raw in document["buckets"].items():
            if raw["via"] and key not in origin:
                origin[key] = (raw["via"], raw["lazy"])
            if raw["computes"]:
                computes.add(key)
            merged.setdefault(key, _Merged()).add(raw)
    units: dict[str, Reached] = {}
    imports: dict[str, Reached] = {}
    marked: dict[str, Reached] = {}
    shared = Reached()
    for key, fields in merged.items():
        reached = Reached(
            code=_code(paths, fields.code),
            read=paths.many(fields.read),
            constants=paths.many(fields.constants),
            listed=frozenset(_listed(paths, fields.listed)),
            imports=frozenset(fields.imports),
            spawned=tuple(fields.spawned),
            caused=paths.many(c.removeprefix(IMPORT) for c in fields.caused),
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
        for marker, files in document["marked"].items():
            users.setdefault(marker, set()).update(paths.many(files))
    return Observed(
        units=units,
        imports=imports,
        shared=shared,
        marked={m: (r, frozenset(users.get(m, ()))) for m, r in marked.items()},
        unraisable=tuple(dict.fromkeys(w for d in documents for w in d["unraisable"])),
    )


def collected_counts(documents: Sequence[ReachDocument], root: Path) -> dict[str, int]:
    """How many tests pytest collected from each file it collected (project-relative)."""
    paths = _Paths(root, ())
    counts: dict[str, int] = {}
    for document in documents:
        for raw, count in document["files"].items():
            path = paths(raw)
            if path is not None:
                counts[path] = max(counts.get(path, 0), count)
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
        constants=a.constants | b.constants,
        listed=a.listed | b.listed,
        imports=a.imports | b.imports,
        spawned=a.spawned + b.spawned,
        caused=a.caused | b.caused,
        via=a.via or b.via,
        lazy=a.lazy or b.lazy,
        computes=a.computes or b.computes,
    )
