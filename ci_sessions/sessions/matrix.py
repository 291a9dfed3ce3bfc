"""``ci-sessions matrix``: the GitHub Actions test matrix, read from the noxfile's own sessions.

The workflow's ``strategy.matrix`` is ``fromJSON`` of this output, so the noxfile stays the single
source of truth: adding a Python to the project adds a CI cell without touching the workflow.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from ci_sessions._args import add_json, add_root, command_parser, root_of
from ci_sessions.errors import CiSessionsError, SessionListError

_VERSION_SUFFIX = re.compile(r"-(\d+\.\d+)$")


def parse_sessions(listing: str, tag: str | None = "tests") -> list[tuple[str, str]]:
    """(session, python) pairs of ``nox -l --json`` output, keeping sessions that carry ``tag``.

    A session belongs in the matrix only when it runs on exactly one Python: its ``python`` is a
    version string, or its name ends in ``-X.Y``. Aggregates such as ``tests`` (all Pythons) are left
    out, since each cell runs one Python.
    """
    try:
        data: Any = json.loads(listing)
    except json.JSONDecodeError as exc:
        raise SessionListError(f"`nox -l --json` did not print JSON: {exc}") from None
    if not isinstance(data, list):
        raise SessionListError("`nox -l --json` printed JSON that is not a list of sessions")
    pairs: list[tuple[str, str]] = []
    for raw in cast("list[Any]", data):
        if not isinstance(raw, dict):
            continue
        entry = cast("dict[str, Any]", raw)
        name = str(entry.get("session") or entry.get("name") or "")
        tags = [str(t) for t in cast("list[Any]", entry.get("tags") or [])]
        if not name or (tag and tag not in tags):
            continue
        python = entry.get("python")
        version: str | None = python if isinstance(python, str) and python else None
        if version is None:
            match = _VERSION_SUFFIX.search(name)
            version = match.group(1) if match else None
        if version is not None and (name, version) not in pairs:
            pairs.append((name, version))
    return pairs


def build_matrix(
    pairs: list[tuple[str, str]], oses: list[str], shards: int = 1
) -> dict[str, list[dict[str, str]]]:
    """The ``{"include": [...]}`` object: every session on every runner, and with ``shards`` > 1
    every part of the suite (``"shard": "2/4"``, run as ``nox -s SESSION -- --shard 2/4``)."""
    cells: list[dict[str, str]] = []
    for os_name in oses:
        for session, python in pairs:
            cell = {"session": session, "python": python, "os": os_name}
            if shards <= 1:
                cells.append(cell)
                continue
            cells += [{**cell, "shard": f"{k}/{shards}"} for k in range(1, shards + 1)]
    return {"include": cells}


def shard_count(root: Path) -> tuple[int, str]:
    """How many shards ``[tool.ci-sessions.tests] shards`` asks for, and why.

    ``auto``: enough that each takes at most ``shard-minutes`` by the durations the history
    recorded (one shard when there are none yet).
    """
    from ci_sessions.config import load_config
    from ci_sessions.history.durations import shards_needed, test_durations

    section = load_config(root).section("tests")
    value = section.values["shards"]
    if value != "auto":
        return max(1, int(value)), "tests.shards"
    minutes = section.float("shard-minutes")
    durations = test_durations(root)
    count = shards_needed(durations, minutes)
    total = sum(durations.values())
    return count, (
        f"shards = auto: {total / 60:.1f} min of recorded tests, at most {minutes:g} min each"
        if durations
        else "shards = auto: no recorded durations yet, one shard"
    )


def list_sessions(root: Path, noxfile: str = "noxfile.py", tag: str | None = None) -> str:
    """Run ``nox -l --json [-t TAG]`` in the project with the nox of this interpreter.

    nox lists only the sessions it would select, so a noxfile whose default is one tier session
    lists just that one: the tag selects the sessions the matrix is made of.
    """
    if not (root / noxfile).is_file():
        raise SessionListError(f"{noxfile} not found in {root}: run `ci-sessions init` first")
    argv = [
        sys.executable,
        "-m",
        "nox",
        "-l",
        "--json",
        "-f",
        noxfile,
        *(["-t", tag] if tag else []),
    ]
    try:
        completed = subprocess.run(  # noqa: S603 - argv list
            argv, cwd=root, capture_output=True, text=True, timeout=300, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SessionListError(f"could not run nox: {exc}") from None
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
        raise SessionListError(
            f"`nox -l --json` failed with exit code {completed.returncode}:\n{tail}"
        )
    return completed.stdout


def _one_or_more(text: str) -> int:
    """``--shards``: a whole number of at least 1 (0 shards would run no test at all)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: a suite is split into 1 shard or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "matrix", "Print the GitHub Actions matrix JSON of the noxfile's per-Python sessions."
    )
    add_root(parser, positional_alias=True)
    parser.add_argument(
        "--tag", default="tests", help="nox tag the sessions carry (default: tests)"
    )
    parser.add_argument(
        "--os",
        dest="oses",
        metavar="LABEL",
        action="append",
        default=[],
        help="runner label; repeat for several",
    )
    parser.add_argument(
        "--noxfile",
        default="noxfile.py",
        help="the noxfile, relative to the root (default: noxfile.py)",
    )
    parser.add_argument(
        "--shards",
        type=_one_or_more,
        default=None,
        help="override [tool.ci-sessions.tests] shards (1 or more)",
    )
    parser.add_argument("--indent", type=int, default=None, help="pretty-print the JSON")
    add_json(parser, "print JSON (the default: the matrix is always JSON)")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    try:
        pairs = parse_sessions(
            list_sessions(root, args.noxfile, args.tag or None), args.tag or None
        )
    except SessionListError as exc:
        print(f"ci-sessions matrix: {exc.message}", file=sys.stderr)
        return 2
    if not pairs:
        print(
            f"ci-sessions matrix: no per-Python session tagged {args.tag!r} in {args.noxfile}; "
            "a GitHub matrix cannot be empty (check the tag, or `nox -l`)",
            file=sys.stderr,
        )
        return 1
    oses: list[str] = args.oses or ["ubuntu-latest"]
    try:
        shards, why = shard_count(root) if args.shards is None else (args.shards, "--shards")
    except CiSessionsError as exc:
        print(f"ci-sessions matrix: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    if shards > 1:
        print(f"ci-sessions matrix: {shards} shards per cell ({why})", file=sys.stderr)
    print(json.dumps(build_matrix(pairs, oses, shards), indent=args.indent))
    return 0
