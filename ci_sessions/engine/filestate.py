"""Per-file state of incremental checks: each file's last results, keyed by what decided them.

One JSON document per check and Python in ``.ci-sessions/cache/files/``: the run's context (the
digests of everything every file's result depends on: settings, environments, ci-sessions' code,
files the import graph cannot place) and, per file, the key of its import closure and what the
check kept of it. Written atomically; a document that does not parse is ignored, never trusted.
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

FORMAT_VERSION = 1


@dataclass
class UnitEntry:
    """One file: the key of its import closure and the check's payload for it."""

    key: str
    payload: Any


@dataclass
class FileState:
    """The last run of one incremental check on one Python, file by file."""

    context: dict[str, str] = field(default_factory=dict[str, str])
    units: dict[str, UnitEntry] = field(default_factory=dict[str, UnitEntry])
    #: why the stored units cannot be trusted (the tool checked other files than counted)
    problem: str = ""
    stored: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "stored": self.stored or time.time(),
            "problem": self.problem,
            "context": self.context,
            "units": {name: [entry.key, entry.payload] for name, entry in self.units.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileState:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError("another format")
        units: dict[str, UnitEntry] = {}
        for name, raw in cast("dict[str, Any]", data["units"]).items():
            key, payload = cast("list[Any]", raw)
            units[str(name)] = UnitEntry(str(key), payload)
        context = cast("dict[str, Any]", data["context"])
        return cls(
            context={str(k): str(v) for k, v in context.items()},
            units=units,
            problem=str(data.get("problem", "")),
            stored=float(data.get("stored", 0.0)),
        )


class FileStateStore:
    """Where the per-file states of one project live."""

    def __init__(self, root: Path) -> None:
        self.directory = state_dir(root) / "cache" / "files"

    def path(self, check: str, python: str) -> Path:
        return self.directory / f"{check}-{python}.json"

    def load(self, check: str, python: str) -> FileState | None:
        """The stored state, or None when there is none or it cannot be read."""
        path = self.path(check, python)
        try:
            return FileState.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def save(self, check: str, python: str, state: FileState) -> None:
        """Keep ``state``; a failure to write only costs the next run its head start."""
        state.stored = time.time()
        with contextlib.suppress(OSError):
            atomic_write_text(self.path(check, python), json.dumps(state.to_json()))

    def forget(self, check: str, python: str) -> None:
        with contextlib.suppress(OSError):
            self.path(check, python).unlink()
