"""``ci-sessions release``: the command line of the release package.

    ci-sessions release [--dry-run] [--bump major|minor|patch] [--pre rc]
    ci-sessions release publish --to staging|production|all [--dist DIR] [--skip-upload]
    ci-sessions release check-reproducible [--json] [--no-record]

Every step is recorded in the run history: ``ci-sessions history releases``.

Exit codes: 0 done (or nothing to do), 1 a build, upload, health check or double build failed,
2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from ci_sessions._secrets import mask
from ci_sessions.builds.builder import BuildSettings
from ci_sessions.builds.pyproject import load_pyproject
from ci_sessions.config import load_config
from ci_sessions.errors import EXIT_GATE_FAILED, EXIT_OK, EXIT_USAGE, CiSessionsError
from ci_sessions.release import records
from ci_sessions.release.settings import (
    publish_settings,
    release_settings,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ci-sessions release",
        description="Version from the commits, changelog, commit and tag (never pushed); "
        "publish in stages with health checks; check that the build is reproducible.",
    )
    parser.add_argument("--root", metavar="DIR", default=".", help="project root (default: the current directory)")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="print the version, changelog section and diff; change nothing")  # fmt: skip
    parser.add_argument("--bump", choices=("major", "minor", "patch"), help="release this level whatever the commits say")  # fmt: skip
    parser.add_argument("--pre", metavar="LABEL", help="a pre-release: a, b or rc (1.3.0rc1, then rc2)")  # fmt: skip
    actions = parser.add_subparsers(dest="action", metavar="{publish,check-reproducible}")
    # --root after the subcommand too; SUPPRESS keeps one given before it
    rooted = argparse.ArgumentParser(add_help=False)
    rooted.add_argument("--root", metavar="DIR", default=argparse.SUPPRESS, help="project root (default: the current directory)")  # fmt: skip
    publish = actions.add_parser("publish", parents=[rooted], help="upload, health-check, promote; roll back on failure", description="Upload, health-check and promote a release; roll back on failure.")  # fmt: skip
    publish.add_argument("--to", required=True, choices=("staging", "production", "all"), help="the index to publish to (all: staging, then production)")  # fmt: skip
    publish.add_argument("--dist", default="", help="publish these files instead of building")
    publish.add_argument(
        "--skip-upload",
        action="store_true",
        help="the files are on the index already (trusted publishing): health-check them only",
    )
    repro = actions.add_parser(
        "check-reproducible", parents=[rooted], help="build twice, compare the hashes",
        description="Build twice and compare the hashes of the distributions.",
    )  # fmt: skip
    repro.add_argument("--json", action="store_true", help="print JSON instead of text")
    repro.add_argument(
        "--no-record", action="store_true", help="leave the history alone (a check records its run)"
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    return _parser()


class _Masked(io.TextIOBase):
    """A stream that masks every secret the release has read (and URL credentials) on write."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask(records.SECRETS.mask(text)))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    out = _Masked(sys.stdout)
    try:
        return _dispatch(args, cast("TextIO", out))
    except CiSessionsError as exc:
        print(mask(records.SECRETS.mask(exc.render())), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ci-sessions release: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    root = Path(str(args.root)).resolve()
    pyproject = load_pyproject(root)
    config = load_config(root)
    settings = release_settings(config)
    action = str(args.action or "")
    if action == "publish":
        from ci_sessions.release.pipeline import Request, publish

        request = Request(to=str(args.to), dist=str(args.dist), skip_upload=bool(args.skip_upload))
        return publish(root, pyproject, settings, publish_settings(config), request, out)
    if action == "check-reproducible":
        return _reproducible(
            root, pyproject, BuildSettings.of(config), out,
            as_json=bool(args.json), keep=not bool(args.no_record),
        )  # fmt: skip
    from ci_sessions.release.flow import Options, release

    options = Options(dry_run=bool(args.dry_run), bump=args.bump, pre=args.pre)
    return release(root, pyproject, settings, options, out)


def _reproducible(
    root: Path,
    pyproject: dict[str, object],
    settings: BuildSettings,
    out: TextIO,
    *,
    as_json: bool,
    keep: bool,
) -> int:
    from ci_sessions.builds.double_build import ERROR, REPRODUCIBLE, check

    result = check(root, settings, pyproject)
    print(json.dumps(result.to_json(), indent=2) if as_json else result.render(), file=out)
    if keep:
        detail = "; ".join(d.render() for d in result.differences[:10]) or result.error[:500]
        records.record(
            root, "reproducible", "", "ok" if result.reproducible else "failed",
            hashes={a.name: a.first for a in result.artifacts},
            detail=f"{result.verdict}: {detail}" if detail else result.verdict,
        )  # fmt: skip
    if result.verdict == ERROR:
        return EXIT_USAGE if "configuration error" in result.error else EXIT_GATE_FAILED
    return EXIT_OK if result.verdict == REPRODUCIBLE else EXIT_GATE_FAILED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
