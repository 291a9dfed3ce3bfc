"""``ci-sessions report``: the HTML dashboard, the weekly digest, the evidence pack, and one test
count and coverage figure combined over the cells of a CI run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ci_sessions._args import add_json, add_root, command_parser, root_of


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "report",
        "Write the HTML dashboard, the weekly digest or the evidence pack; verify a pack; "
        "combine the reports of a CI run's cells into one test count and coverage figure.",
    )
    add_root(parser)
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
    parser.add_argument("--out", type=Path, default=None, help="output file")
    parser.add_argument(
        "--days", type=float, default=90.0, help="dashboard window in days (0: all)"
    )
    add_json(
        parser,
        "print what was written (or the --verify problems, or the --combine tallies) as JSON",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    if args.verify is not None:
        return _verify(args.verify, as_json=args.json)
    if args.combine is not None:
        return _combine(args.combine, as_json=args.json)
    if args.pack:
        from ci_sessions.reports import pack

        out, manifest = pack.write(root, args.out)
        if args.json:
            _print_json({"written": _shown(out, root), "files": len(manifest["files"]),
                         "run_id": manifest["run_id"], "commit": manifest["commit"]})  # fmt: skip
            return 0
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
            if args.json:
                _print_json({"written": _shown(out, root)})
            else:
                print(f"dashboard: {_shown(out, root)}")
            return 0
        from ci_sessions.reports import digest

        out = digest.write(root, args.out or reports_dir(root) / "digest.md")
        if args.json:
            _print_json({"written": _shown(out, root), "markdown": out.read_text(encoding="utf-8")})
            return 0
        print(out.read_text(encoding="utf-8"), end="")
        print(f"\ndigest: {_shown(out, root)}")
        return 0
    except HistoryError as exc:
        print(f"ci-sessions report: {exc}", file=sys.stderr)
        return 2


def _combine(folders: list[Path], *, as_json: bool) -> int:
    from ci_sessions.reports import combine

    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        print(
            f"ci-sessions report --combine: no such folder: {', '.join(missing)}", file=sys.stderr
        )
        return 2
    combined = combine.combine(folders)
    if as_json:
        _print_json(combine.tallies(combined))
    else:
        print(combine.render(combined), end="")
    return 0


def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))


def _verify(path: Path, *, as_json: bool = False) -> int:
    import zipfile

    from ci_sessions.reports import pack

    try:
        problems = pack.verify(path)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        print(f"ci-sessions report: {path}: not an evidence pack ({exc})", file=sys.stderr)
        return 2
    if as_json:
        _print_json({"pack": str(path), "problems": list(problems)})
        return 1 if problems else 0
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
