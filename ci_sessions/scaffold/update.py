"""``ci-sessions update``: bring template changes into a project with a 3-way merge.

The three versions of a file: the project's (``ours``), what the template renders now
(``theirs``), and the base: the file as committed together with the last change of the answers
file, i.e. what an earlier init/update wrote. A project adopted while ci-sessions rendered with
copier keeps its ``.copier-answers.ci-sessions.yml``: it is read, merged from and rewritten under
that name. A file the project never edited is replaced; edits on
both sides are merged with ``git merge-file``; a conflict is written beside the file with markers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from ci_sessions._args import add_root, command_parser, root_of
from ci_sessions._git import git_status, try_git
from ci_sessions.scaffold.answers import answers_file
from ci_sessions.scaffold.facts import detect
from ci_sessions.scaffold.init import (
    NEW_SUFFIX,
    TIERS,
    Action,
    answers_for,
    load_answers,
    plan,
    render_tidied,
    show_or_write,
)
from ci_sessions.scaffold.render import PYPROJECT_SNIPPET


def base_commit(root: Path) -> str | None:
    """The last commit that changed the answers file: its tree holds the previous render."""
    name = answers_file(root)
    sha = (try_git(root, "log", "-n1", "--format=%H", "--", name, timeout=30) or "").strip()
    return sha or None


def base_text(root: Path, commit: str | None, rel: str) -> str | None:
    if commit is None:
        return None
    return try_git(root, "show", f"{commit}:{rel}", timeout=30)


def merge3(root: Path, ours: str, base: str, theirs: str) -> tuple[str, bool]:
    """``git merge-file`` of the three texts: (merged text, clean)."""
    with tempfile.TemporaryDirectory(prefix="ci-sessions-merge-") as tmp:
        paths: list[str] = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        code, merged, stderr = git_status(
            root, "merge-file", "-p", "-L", "project", "-L", "base", "-L", "template", *paths
        )
    if code < 0 or code > 127:
        raise RuntimeError(f"git merge-file failed: {stderr.strip()}")
    return merged, code == 0


def plan_update(root: Path, rendered: dict[str, str]) -> list[Action]:
    """Per file: create, keep, replace an unedited file, merge edits, or write a conflict beside."""
    commit = base_commit(root)
    answers = answers_file(root)
    actions: list[Action] = []
    for action in plan(root, rendered, force=False):
        if (
            action.kind not in ("beside", "beside-unchanged")
            or action.path in (PYPROJECT_SNIPPET, "pyproject.toml")
            or (root / action.path).is_symlink()  # never read or merged through a link
        ):
            actions.append(action)
            continue
        rel = action.path
        ours = (root / rel).read_text(encoding="utf-8", errors="replace")
        theirs = rendered[rel]
        if rel == answers:
            actions.append(Action(rel, "overwrite", rel, theirs, ours, note="answers"))
            continue
        base = base_text(root, commit, rel)
        if base is None:
            actions.append(action)  # no committed base: cannot merge, write beside as init does
        elif ours == base:
            actions.append(Action(rel, "overwrite", rel, theirs, ours, note="unedited"))
        else:
            merged, clean = merge3(root, ours, base, theirs)
            if clean:
                actions.append(Action(rel, "overwrite", rel, merged, ours, note="merged"))
            else:
                beside = rel + NEW_SUFFIX
                actions.append(Action(rel, "beside", beside, merged, None, note="conflict"))
    return actions


def describe(action: Action) -> str:
    if action.kind == "overwrite":
        how = {
            "answers": "recorded the answers",
            "unedited": "updated (the project had not edited it)",
            "merged": "merged the template's changes with the project's edits",
        }.get(action.note, "updated")
        return f"updated   {action.path}: {how}"
    if action.note == "conflict":
        return f"CONFLICT  {action.path}: merge with conflict markers written to {action.target}"
    return action.describe()


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "update",
        "Re-render the ci-sessions templates with the recorded answers and merge the changes in.",
    )
    add_root(parser, positional_alias=True)
    parser.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    parser.add_argument("--tier", choices=TIERS, help="change the tier CI runs")
    parser.add_argument(
        "--os",
        dest="oses",
        metavar="LABEL",
        action="append",
        help="test-matrix runners (replace the recorded ones)",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    previous = load_answers(root)
    name = answers_file(root)
    if not previous:
        print(
            f"ci-sessions update: no {name} in {root}: run `ci-sessions init` first",
            file=sys.stderr,
        )
        return 2
    if base_commit(root) is None:
        print(
            f"ci-sessions update: {name} is not committed, so there is no base to merge from; "
            "edited files get the new version beside them",
            file=sys.stderr,
        )
    overrides: dict[str, Any] = {}
    if args.tier:
        overrides["tier"] = args.tier
    if args.oses:
        overrides["os_list"] = args.oses
    rendered, _tidied = render_tidied(root, answers_for(detect(root), previous, overrides))
    actions = plan_update(root, rendered)
    if not show_or_write(root, actions, dry_run=args.dry_run, describe=describe):
        return 0
    return 1 if any(a.note == "conflict" for a in actions) else 0
