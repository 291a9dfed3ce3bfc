"""Per-file state of incremental checks: each file's last results, keyed by what decided them.

One JSON document per check and Python in ``.ci-sessions/cache/files/``: the run's context (the
digests of everything every file's result depends on: settings, environments, ci-sessions' code,
files the import graph cannot place, what ran outside any one file) and, per file, the key of
its import closure, what else its run was seen to reach (dependency tokens and their values) and
what the check kept of it. Written atomically; a document that cannot be read is discarded, and
the run that finds it says so and runs whole.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ci_sessions._fs import atomic_write_text, state_dir

FORMAT_VERSION = 2
#: context entries that are dependency tokens (``dep:file:src/a.py``): their value is computed
#: from the project state, not from the run's settings
DEP = "dep:"


@dataclass
class UnitEntry:
    """One file: the key of its import closure, the check's payload for it, the dependency
    tokens its run reached beyond the closure (token -> value), and a note on why it reruns
    more often than its closure says (it starts a process that may run project code)."""

    key: str
    payload: Any
    deps: dict[str, str] = field(default_factory=dict[str, str])
    note: str = ""


@dataclass
class FileState:
    """The last run of one incremental check on one Python, file by file."""

    context: dict[str, str] = field(default_factory=dict[str, str])
    units: dict[str, UnitEntry] = field(default_factory=dict[str, UnitEntry])
    #: why a ``dep:`` context entry counts for every file
    why: dict[str, str] = field(default_factory=dict[str, str])
    #: why the stored units cannot be trusted (the tool checked other files than counted)
    problem: str = ""
    stored: float = 0.0

    def read_files(self) -> set[str]:
        """Every file a run was seen to read or run (``file:`` tokens), in a unit or outside."""
        tokens = [token for entry in self.units.values() for token in entry.deps]
        tokens += [name.removeprefix(DEP) for name in self.context if name.startswith(DEP)]
        return {token.removeprefix("file:") for token in tokens if token.startswith("file:")}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "stored": self.stored or time.time(),
            "problem": self.problem,
            "context": self.context,
            "why": self.why,
            "units": {
                name: [entry.key, entry.payload, entry.deps, entry.note]
                for name, entry in self.units.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileState:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT_VERSION}")
        units: dict[str, UnitEntry] = {}
        for name, raw in cast("dict[str, Any]", data["units"]).items():
            key, payload, deps, note = cast("list[Any]", raw)
            units[str(name)] = UnitEntry(
                str(key),
                payload,
                {str(t): str(v) for t, v in cast("dict[str, Any]", deps).items()},
                str(note),
            )
        context = cast("dict[str, Any]", data["context"])
        why = cast("dict[str, Any]", data.get("why", {}))
        return cls(
            context={str(k): str(v) for k, v in context.items()},
            units=units,
            why={str(k): str(v) for k, v in why.items()},
            problem=str(data.get("problem", "")),
            stored=float(data.get("stored", 0.0)),
        )


class FileStateStore:
    """Where the per-file states of one project live."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.directory = state_dir(root) / "cache" / "files"

    def path(self, check: str, python: str) -> Path:
        return self.directory / f"{check}-{python}.json"

    def load(self, check: str, python: str) -> tuple[FileState | None, str]:
        """The stored state (None when there is none), or why the one found was discarded."""
        path = self.path(check, python)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, ""
        except (OSError, ValueError) as exc:
            return None, self._discard(path, exc)
        try:
            return FileState.from_json(json.loads(text)), ""
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return None, self._discard(path, exc)

    def _discard(self, path: Path, exc: Exception) -> str:
        with contextlib.suppress(OSError):
            path.unlink()
        shown = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else path
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return f"the per-file state {shown} could not be read ({detail}): discarded"

    def save(self, check: str, python: str, state: FileState) -> None:
        """Keep ``state``; a failure to write only costs the next run its head start."""
        state.stored = time.time()
        with contextlib.suppress(OSError):
            atomic_write_text(self.path(check, python), json.dumps(state.to_json()))

    def forget(self, check: str, python: str) -> None:
        with contextlib.suppress(OSError):
            self.path(check, python).unlink()
