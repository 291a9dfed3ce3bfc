"""What a release did, one record per step: release, publish, health, rollback, reproducible.

Kept in an append-only JSON-lines file, ``.ci-sessions/release-log.jsonl``; each record is one
``os.write`` of one line on an O_APPEND descriptor, so a crash never tears an earlier record.
A record never holds a credential: the index is named by its stage and URL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ci_sessions._fs import state_dir

LOG_NAME = "release-log.jsonl"
KINDS = ("release", "publish", "health", "rollback", "reproducible")
OUTCOMES = ("ok", "failed", "skipped")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ReleaseRecord:
    kind: str
    version: str
    outcome: str
    #: the stage (staging, production) a publish, health check or rollback was about
    index: str = ""
    url: str = ""
    #: distribution file name -> sha256
    hashes: dict[str, str] = field(default_factory=lambda: {})
    detail: str = ""
    time: str = field(default_factory=now)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "version": self.version,
            "outcome": self.outcome,
            "index": self.index,
            "url": self.url,
            "hashes": dict(self.hashes),
            "detail": self.detail,
            "time": self.time,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ReleaseRecord:
        hashes = data.get("hashes", {})
        return cls(
            kind=str(data.get("kind", "")),
            version=str(data.get("version", "")),
            outcome=str(data.get("outcome", "")),
            index=str(data.get("index", "")),
            url=str(data.get("url", "")),
            hashes={str(k): str(v) for k, v in cast("dict[object, object]", hashes).items()}
            if isinstance(hashes, dict)
            else {},
            detail=str(data.get("detail", "")),
            time=str(data.get("time", "")),
        )


def log_path(root: Path) -> Path:
    return state_dir(root) / LOG_NAME


def append(root: Path, record: ReleaseRecord) -> None:
    line = (json.dumps(record.to_json(), sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(log_path(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read(root: Path) -> list[ReleaseRecord]:
    """Every record, oldest first; a line that is not a JSON object is skipped."""
    path = root / ".ci-sessions" / LOG_NAME
    if not path.is_file():
        return []
    records: list[ReleaseRecord] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data: object = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            records.append(ReleaseRecord.from_json(cast("dict[str, object]", data)))
    return records
