"""The committed results files of benchmarks/ (``<name>-results.json``): how they are written.

Every figure the docs quote is held by one of these files, so a script that writes one keeps
three rules: the file is replaced atomically (a run that crashes half-way leaves the committed
file as it was), a run of some parts replaces those parts and keeps the others (each part carries
the facts of its own run), and every part records the machine and its load, because on a shared
2-core machine the load decides wall times as much as the code does.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages, rounded (empty where the OS has none)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []


def run_facts(started: float, load_start: list[float]) -> dict[str, Any]:
    """The facts of one run of a part: when it ended, the commit measured, the machine, its
    load at the start and the end, the run's own niceness (``nice -n 19`` yields the CPU to
    other work: wall times are then upper bounds) and how long the part took."""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "commit": commit or "unknown",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "niceness": os.nice(0) if hasattr(os, "nice") else 0,
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def merge_parts(out: Path, parts: dict[str, Any]) -> dict[str, Any]:
    """The document at ``out`` with ``parts`` replacing the parts of the same name; every other
    part is kept as it was measured."""
    earlier: dict[str, Any] = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return {**earlier, **parts}


def write_atomic(out: Path, document: dict[str, Any]) -> None:
    """Write ``document`` as JSON to ``out`` through a temporary file in the same folder and
    ``os.replace``: readers see the old file or the new one, never half of one, and a document
    that cannot be serialised leaves the old file untouched."""
    text = json.dumps(document, indent=2, default=str) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
