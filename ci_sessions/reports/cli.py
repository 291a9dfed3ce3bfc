"""``ci-sessions report``: the HTML dashboard, the weekly digest, the evidence pack, and one test
count and coverage figure combined over the cells of a CI run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ci-sessions report", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(), help="project root (default: .)")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument(
        "--html", action="store_true", help="self-contained HTML dashboard of the history"
    )
    kind.add_argument("--digest", action="store_true", help="Markdown digest of the last 7 days")
    kind.add_argument(
        "--pack", action="store_true", help="zip of the reports with a sha256 MANIFEST.json"
    )
    kind.add_argument(
        "--verify", type=Path, metavar="PACK", help="re-hash an evidence pack against its manifest"
    )
    kind.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="one test count and coverage figure over the CI cells' reports in DIR (Markdown)",
    )
    parser.add_argument("--json", action="store_true", help="--combine: print JSON instead")
    parser.add_argument("--out", type=Path, default=None, help="output file")
    parser.add_argument(
        "--days", type=float, default=90.0, help="dashboard window in days (0: all)"
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    root: Path = args.root.resolve()
    if args.verify is not None:
        return _verify(args.verify)
    if args.combine is not None:
        return _combine(args.combine, as_json=args.json)
    if args.pack:
        from ci_sessions.reports import pack

        out, manifest = pack.write(root, args.out)
        print(
            f"evidence pack: {_shown(out, root)} ({len(manifest['files'])} files, run {manifest['run_id'] or '-'}, commit {manifest['commit'][:12] or '-'})"
        )
        return 0
    from ci_sessions._fs import reports_dir
    from ci_sessions.errors import HistoryError

    try:
        if args.html:
            from ci_sessions.history import stats as hs
            from ci_sessions.reports import dashboard

            out = dashboard.write(
                root,
                args.out or reports_dir(root) / "dashboard.html",
                since=hs.since_days(args.days),
            )
            print(f"dashboard: {_shown(out, root)}")
            return 0
        from ci_sessions.reports import digest

        out = digest.write(root, args.out or reports_dir(root) / "digest.md")
        print(out.read_text(encoding="utf-8"), end="")
        print(f"\ndigest: {_shown(out, root)}")
        return 0
    except HistoryError as exc:
        print(f"ci-sessions report: {exc}", file=sys.stderr)
        return 2


def _combine(folders: list[Path], *, as_json: bool) -> int:
    import json

    from ci_sessions.reports import combine

    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        print(
            f"ci-sessions report --combine: no such folder: {', '.join(missing)}", file=sys.stderr
        )
        return 2
    combined = combine.combine(folders)
    if as_json:
        print(json.dumps(combine.tallies(combined), indent=2))
    else:
        print(combine.render(combined), end="")
    return 0


def _verify(path: Path) -> int:
    import zipfile

    from ci_sessions.reports import pack

    try:
        problems = pack.verify(path)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        print(f"ci-sessions report: {path}: not an evidence pack ({exc})", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"{path}: {problem}")
    if not problems:
        print(f"{path}: every file matches MANIFEST.json")
    return 1 if problems else 0


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
