"""``ci-sessions init``: add ci-sessions to an existing project without breaking anything.

It detects the project, renders the copier template with what it found, and never overwrites:
a file that exists and differs gets the new version written beside it (``<file>.ci-sessions-new``),
``[tool.ci-sessions]`` is appended to pyproject.toml with every existing byte kept, and a re-run
changes nothing. It then records the current findings in the baseline so the essential tier
passes on adoption day and fails on anything new.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ci_sessions._args import add_root, command_parser, root_of
from ci_sessions.scaffold.detect import Facts, detect
from ci_sessions.scaffold.render import ANSWERS_FILE, PYPROJECT_SNIPPET, merge_pyproject, render

NEW_SUFFIX = ".ci-sessions-new"
TIERS = ("essential", "extended", "full")
_PINS = frozenset(
    {"ci_sessions_requirement", "ci_sessions_install", "nox_requirement", "nox_install"}
)


@dataclass(frozen=True)
class Action:
    """What init does to one file."""

    path: str  # the project file this is about
    kind: str  # create | unchanged | beside | beside-unchanged | overwrite | merge
    target: str  # the file written (path, or path + NEW_SUFFIX)
    text: str
    old: str | None = None
    note: str = ""

    @property
    def writes(self) -> bool:
        return self.kind in ("create", "beside", "overwrite", "merge")

    def describe(self) -> str:
        verbs = {
            "create": f"created   {self.path}",
            "unchanged": f"unchanged {self.path}",
            "beside": f"exists    {self.path}: wrote {self.target} beside it (compare and merge by hand)",
            "beside-unchanged": f"exists    {self.path}: {self.target} is already up to date",
            "overwrite": f"replaced  {self.path} (--force)",
            "merge": f"merged    {self.note} into {self.path}",
        }
        return verbs[self.kind]


def load_answers(root: Path) -> dict[str, Any]:
    """The answers of a previous init, so a re-run keeps the choices made then."""
    path = root / ANSWERS_FILE
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): v for k, v in cast("dict[Any, Any]", data).items() if not str(k).startswith("_")
    }


def _import_names(facts: Facts) -> list[str]:
    names = [p.rsplit("/", 1)[-1].removesuffix(".py") for p in facts.packages]
    return [n for n in names if n.isidentifier()]


def answers_for(
    facts: Facts, previous: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """Template answers: detected facts, then a previous init's answers, then command-line flags."""
    from ci_sessions._version import __version__

    major_minor = ".".join(__version__.split(".")[:2])
    answers: dict[str, Any] = {
        "project_name": facts.name,
        "python_versions": list(facts.python_versions),
        "default_python": facts.default_python,
        "os_list": ["ubuntu-latest"],
        "tier": "essential",
        "monorepo": facts.monorepo,
        "ci_sessions_requirement": f"ci-sessions>={major_minor}",
        "ci_sessions_install": "." if facts.is_ci_sessions else f"ci-sessions=={__version__}",
        "nox_requirement": "nox>=2025.2",
        "nox_install": "nox[uv]==2026.10.20",
        "precommit_language": "system" if facts.is_ci_sessions else "python",
        "default_branch": facts.default_branch,
        "release": False,
        "coverage_threshold": 80,
        "test_paths": list(facts.test_dirs) or ["tests"],
        "source_packages": _import_names(facts),
        "package_dirs": [p for p in facts.packages if not p.endswith(".py")],
        # found only from requires-python + the interpreters on this machine: write the list down,
        # or a CI runner with other interpreters would compute another matrix
        "python_pin": []
        if facts.python_origin in ("classifiers", "[tool.ci-sessions] python")
        else list(facts.python_versions),
    }
    # choices persist; the pins always come from the installed ci-sessions, so update bumps them
    answers.update({k: v for k, v in previous.items() if k in answers and k not in _PINS})
    answers.update(overrides)
    extended = answers["tier"] != "essential"
    # a table an earlier init added is ours: keep saying so, though the project now "has" it
    answers["add_pytest_config"] = bool(previous.get("add_pytest_config")) or (
        extended and not facts.has_pytest_config
    )
    answers["add_coverage_config"] = bool(previous.get("add_coverage_config")) or (
        extended and not facts.has_coverage_config
    )
    answers["add_ruff_config"] = bool(previous.get("add_ruff_config")) or (
        extended and not facts.has_ruff_config
    )
    answers["add_pyright_config"] = bool(previous.get("add_pyright_config")) or (
        extended and not facts.has_pyright_config
    )
    return answers


def plan(root: Path, rendered: dict[str, str], *, force: bool) -> list[Action]:
    """Decide per file: create, leave, write beside, replace (--force) or merge."""
    actions: list[Action] = []
    for rel, text in sorted(rendered.items()):
        if rel == PYPROJECT_SNIPPET:
            actions.append(_plan_pyproject(root, text))
            continue
        path = root / rel
        if not path.exists():
            actions.append(Action(rel, "create", rel, text))
            continue
        old = path.read_text(encoding="utf-8", errors="replace")
        if old == text:
            actions.append(Action(rel, "unchanged", rel, text, old))
        elif force:
            actions.append(Action(rel, "overwrite", rel, text, old))
        else:
            beside = rel + NEW_SUFFIX
            beside_path = root / beside
            current = (
                beside_path.read_text(encoding="utf-8", errors="replace")
                if beside_path.exists()
                else None
            )
            kind = "beside-unchanged" if current == text else "beside"
            actions.append(Action(rel, kind, beside, text, current))
    return actions


def _plan_pyproject(root: Path, snippet: str) -> Action:
    path = root / "pyproject.toml"
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    merged, added = merge_pyproject(old, snippet)
    if not added:
        return Action("pyproject.toml", "unchanged", "pyproject.toml", merged, old)
    tables = ", ".join(f"[tool.{k}]" for k in added)
    kind = "merge" if old is not None else "create"
    return Action("pyproject.toml", kind, "pyproject.toml", merged, old, note=tables)


def diff(action: Action) -> str:
    """A unified diff of what the action would write."""
    before = (action.old or "").splitlines(keepends=True)
    after = action.text.splitlines(keepends=True)
    source = f"a/{action.target}" if action.old is not None else "/dev/null"
    return "".join(difflib.unified_diff(before, after, source, f"b/{action.target}"))


def write(root: Path, actions: list[Action]) -> None:
    from ci_sessions._fs import atomic_write_text

    for action in actions:
        if action.writes:
            atomic_write_text(root / action.target, action.text)


def show_or_write(
    root: Path, actions: list[Action], *, dry_run: bool, describe: Callable[[Action], str]
) -> bool:
    """Print the diffs (dry run) or write the files and say what happened; True when written."""
    if dry_run:
        for action in actions:
            if action.writes:
                print(diff(action), end="")
        print(f"(dry run: {sum(a.writes for a in actions)} file(s) would be written)")
        return False
    write(root, actions)
    for action in actions:
        print(describe(action))
    return True


def _baseline(root: Path, actions: list[Action]) -> tuple[int, str]:
    """Record the adoption-day baseline when our noxfile is in place and none exists yet."""
    from ci_sessions.baseline import baseline_path
    from ci_sessions.baseline.record import record
    from ci_sessions.config import load_config
    from ci_sessions.errors import BaselineError

    noxfile = next((a for a in actions if a.path == "noxfile.py"), None)
    if noxfile is None or noxfile.kind not in ("create", "unchanged", "overwrite"):
        return (
            0,
            "baseline   skipped: noxfile.py is the project's own (add ci_sessions.register() to it)",
        )
    config = load_config(root)
    path = baseline_path(root, config)
    if path.is_file():
        merged = next(
            (a for a in actions if a.path == "pyproject.toml" and a.kind == "merge"), None
        )
        if merged is not None and ("ruff" in merged.note or "pyright" in merged.note):
            return 0, (
                f"baseline   {config.top.str('baseline')} exists, but {merged.note} is new: accept "
                "what it finds with `ci-sessions baseline --update --allow-growth`"
            )
        return (
            0,
            f"baseline   {config.top.str('baseline')} exists (refresh: ci-sessions baseline --update)",
        )
    try:
        code, message = record(root, config, allow_growth=True)
    except BaselineError as exc:
        return 1, f"baseline   NOT recorded: {exc}"
    return code, f"baseline   {message}"


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "init",
        "Add ci-sessions to a project: noxfile, pre-commit, GitHub workflow, config, baseline.",
    )
    add_root(parser, positional_alias=True)
    parser.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    parser.add_argument(
        "--force", action="store_true", help="replace existing files instead of writing beside them"
    )
    parser.add_argument("--tier", choices=TIERS, help="highest tier CI runs (default: essential)")
    parser.add_argument(
        "--os",
        dest="oses",
        metavar="LABEL",
        action="append",
        help="test-matrix runner; repeat for several",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="do not record the findings baseline"
    )
    parser.add_argument(
        "--release",
        action="store_true",
        help="also write .github/workflows/release.yml (trusted publishing, docs/releasing.md)",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    if not root.is_dir():
        print(f"ci-sessions init: {root} is not a directory", file=sys.stderr)
        return 2
    facts = detect(root)
    overrides: dict[str, Any] = {}
    if args.tier:
        overrides["tier"] = args.tier
    if args.oses:
        overrides["os_list"] = args.oses
    if args.release:
        overrides["release"] = True
    answers = answers_for(facts, load_answers(root), overrides)
    actions = plan(root, render(answers), force=args.force)
    for line in facts.describe():
        print(line)
    print()
    if not show_or_write(root, actions, dry_run=args.dry_run, describe=Action.describe):
        return 0
    code = 0
    if not args.no_baseline:
        code, message = _baseline(root, actions)
        print(message)
    beside = [a.target for a in actions if a.kind in ("beside", "beside-unchanged")]
    print("\nnext: nox -s essential" + ("; pre-commit install" if not beside else ""))
    if beside:
        print("      review: " + ", ".join(beside))
    return code
