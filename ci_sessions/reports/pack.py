"""The evidence pack: every report of a run in one zip with a MANIFEST.json of sha256 digests.

Auditors and release managers want proof of what was checked, on which commit, in which run,
that cannot be edited unnoticed: the manifest pins each file's digest, the commit and the run id.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any, cast

MANIFEST = "MANIFEST.json"


def build(root: Path) -> tuple[bytes, dict[str, Any]]:
    """The zip bytes and the manifest of ``.ci-sessions/reports/`` (plus history.db if present)."""
    from ci_sessions._fs import reports_dir, state_dir
    from ci_sessions._git import head_facts as git_facts

    reports = reports_dir(root)
    files = sorted(p for p in reports.rglob("*") if p.is_file() and not p.name.startswith("."))
    run_id, commit = "", ""
    results = reports / "results.json"
    if results.is_file():
        try:
            data = json.loads(results.read_text(encoding="utf-8"))
            run_id, commit = str(data.get("run_id", "")), str(data.get("commit", ""))
        except (OSError, ValueError, AttributeError):
            pass
    head, _ = git_facts(root)
    history = state_dir(root) / "history.db"
    entries: list[tuple[str, Path]] = [
        (f"reports/{p.relative_to(reports).as_posix()}", p) for p in files
    ]
    if history.is_file():
        entries.append(("history.db", history))
    digests: dict[str, str] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in entries:
            content = _snapshot(path) if name == "history.db" else path.read_bytes()
            digests[name] = hashlib.sha256(content).hexdigest()
            archive.writestr(name, content)
        manifest: dict[str, Any] = {
            "run_id": run_id,
            "commit": commit or head,
            "head": head,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": digests,
        }
        reproducible = _reproducible(reports / "reproducible.json")
        if reproducible:
            manifest["reproducible"] = reproducible
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return buffer.getvalue(), manifest


def _reproducible(path: Path) -> dict[str, Any]:
    """The double build's numbers (checks/reproducible.py): verdict, the commit built, each
    file's sha256 from both builds, the build tools, SOURCE_DATE_EPOCH; empty without one."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    found = cast("dict[str, Any]", data)
    artifacts = cast("list[dict[str, Any]]", found.get("artifacts", []))
    return {
        "verdict": found.get("verdict", ""),
        "commit": found.get("commit", ""),
        "source_date_epoch": found.get("source_date_epoch", 0),
        "tools": found.get("tools", {}),
        "artifacts": {
            str(a.get("name")): {"sha256": a.get("sha256"), "second_sha256": a.get("second_sha256")}
            for a in artifacts
        },
        "differences": len(cast("list[Any]", found.get("differences", []))),
    }


def _snapshot(path: Path) -> bytes:
    """A consistent copy of a live SQLite database (WAL pages included)."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "history.db"
        source = sqlite3.connect(path)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return copy.read_bytes()


def write(root: Path, out: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the pack (default ``.ci-sessions/evidence-<run id>.zip``) atomically."""
    from ci_sessions._fs import atomic_write_bytes, state_dir

    data, manifest = build(root)
    target = out or state_dir(root) / f"evidence-{manifest['run_id'] or 'latest'}.zip"
    atomic_write_bytes(target, data)
    return target, manifest


def verify(pack: Path) -> list[str]:
    """Problems found re-hashing a pack against its manifest ([] when intact)."""
    problems: list[str] = []
    with zipfile.ZipFile(pack) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        names = set(archive.namelist()) - {MANIFEST}
        for name, digest in manifest["files"].items():
            if name not in names:
                problems.append(f"{name}: missing")
            elif hashlib.sha256(archive.read(name)).hexdigest() != digest:
                problems.append(f"{name}: sha256 differs from the manifest")
        problems += [
            f"{name}: not in the manifest" for name in sorted(names - set(manifest["files"]))
        ]
    return problems
