"""Which monorepo packages a run covers: named ones, changed ones, and everything depending on them.

Used by ``nox -s <tier> -- --package NAME / --changed-only --base REF`` and by
``ci-sessions packages``; discovery itself lives in :mod:`ci_sessions.changes.monorepo`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path, PurePosixPath

from ci_sessions._args import add_base, add_json, add_root, command_parser, root_of
from ci_sessions.changes.detect import relevant_paths
from ci_sessions.changes.diff import changed_files
from ci_sessions.changes.monorepo import (
    Package,
    dependants,
    discover_packages,
    find_package,
    owner,
    packages_for_paths,
    with_dependants,
)
from ci_sessions.errors import UsageError


def select_packages(root: Path, names: list[str], *, changed_since: str | None) -> list[Package]:
    """Explicit ``names`` plus, with ``changed_since``, every package changed since that ref
    (committed or not) and all packages that depend on those, transitively."""
    packages = discover_packages(root)
    chosen = [find_package(packages, name).name for name in names]
    selected = with_dependants(packages, chosen) if chosen else []
    if changed_since is not None:
        changes = [
            change
            for change in changed_files(root, changed_since, working_tree=True)
            if change.status != "untracked" or _counts_untracked(packages, change.path)
        ]
        reached = packages_for_paths(packages, relevant_paths(root, changes))
        names_selected = {p.name for p in selected} | {p.name for p in reached}
        selected = [p for p in packages if p.name in names_selected]
    return selected


def packages_from_args(
    root: Path, names: list[str], *, changed_only: bool, since: str | None
) -> list[Package]:
    """The packages a tier session's ``--package NAME`` / ``--changed-only --base REF`` select.

    ``--changed-only`` needs ``--base`` (there is no safe default base); ``--base`` alone
    implies it. Nothing selected is a valid answer: the session then has nothing to run.
    """
    if changed_only and since is None:
        raise UsageError(
            "--changed-only needs --base REF",
            fix="name the base: --changed-only --base origin/main",
        )
    if not names and since is None:
        return discover_packages(root)
    return select_packages(root, names, changed_since=since)


def _counts_untracked(packages: list[Package], path: str) -> bool:
    """An untracked file counts inside a package, never as build metadata or a stray file."""
    parts = PurePosixPath(path).parts
    return owner(packages, path) is not None and not any(
        part in ("build", "dist") or part.endswith(".egg-info") or part == "__pycache__"
        for part in parts
    )


# -- command line -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("packages", "List the packages of a monorepo and their dependencies.")
    add_root(parser, help_text="repository root (default: the current directory)")
    add_json(parser)
    parser.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME",
        help="select a package (and its dependants)",
    )
    add_base(parser, help_text="select packages changed since REF, with their dependants")
    return parser


def main(argv: list[str]) -> int:
    """``ci-sessions packages [--json] [--package NAME] [--base REF] [--root DIR]``."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    root = root_of(args, parser)
    from ci_sessions.config import load_config

    load_config(root)  # the whole configuration is valid, whatever this command reads of it
    packages = discover_packages(root)
    if args.package or args.base:
        packages = select_packages(root, list(args.package), changed_since=args.base)
    reverse = dependants(discover_packages(root)) if packages else {}
    if args.json:
        payload = [
            {
                "name": p.name,
                "path": p.path,
                "dependencies": list(p.dependencies),
                "dependants": sorted(reverse.get(p.name, ())),
            }
            for p in packages
        ]
        print(json.dumps(payload, indent=2))
        return 0
    if not packages:
        print("no packages found" if not (args.package or args.base) else "no packages selected")
        return 0
    width = max(len(p.name) for p in packages)
    path_width = max(len(p.path) for p in packages)
    for package in packages:
        deps = ", ".join(package.dependencies) or "-"
        users = ", ".join(sorted(reverse.get(package.name, ()))) or "-"
        print(
            f"{package.name.ljust(width)}  {package.path.ljust(path_width)}  needs: {deps}  used by: {users}"
        )
    sys.stdout.flush()
    return 0
