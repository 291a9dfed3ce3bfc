"""``ci-sessions init``: add ci-sessions to an existing project without breaking anything.

It detects the project, renders the templates with what it found, and never overwrites:
a file that exists and differs gets the new version written beside it (``<file>.ci-sessions-new``),
``[tool.ci-sessions]`` is appended to pyproject.toml with every existing byte kept, and a re-run
changes nothing. It then records the current findings in the baseline so the essential tier
passes on adoption day and fails on anything new.
"""

from __future__ import annotations

import argparse
import ast
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ci_sessions._args import add_root, command_parser, root_of
from ci_sessions.errors import ConfigError
from ci_sessions.scaffold.answers import answers_file
from ci_sessions.scaffold.facts import Facts, detect
from ci_sessions.scaffold.render import PYPROJECT_SNIPPET, merge_pyproject, render

NEW_SUFFIX = ".ci-sessions-new"
TIERS = ("essential", "extended", "full")
_PINS = frozenset(
    {"ci_sessions_requirement", "ci_sessions_install", "nox_requirement", "nox_install"}
)


@dataclass(frozen=True)
class Action:
    """What init does to one file."""

    path: str  # the project file this is about
    kind: str  # create | unchanged | beside | beside-unchanged | overwrite | merge | skip
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
            "skip": f"skipped   {self.path}: {self.note}",
        }
        return verbs[self.kind]


def load_answers(root: Path) -> dict[str, Any]:
    """The answers of a previous init, so a re-run keeps the choices made then."""
    path = root / answers_file(root)
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
    """Decide per file: create, leave, write beside, replace (--force) or merge.

    Nothing is written through a symbolic link: a link (even a dangling one) counts as an
    existing file, so the new version goes beside it, and a folder on the way that is a link
    out of the project is not entered; ``--force`` replaces the link itself, never its target.
    """
    actions: list[Action] = []
    for rel, text in sorted(rendered.items()):
        if rel == PYPROJECT_SNIPPET:
            actions.append(_plan_pyproject(root, text, force=force))
            continue
        outside = _link_out_of_project(root, rel)
        if outside is not None and not force:
            actions.append(Action(rel, "skip", rel, text, note=outside))
            continue
        path = root / rel
        if path.is_symlink():
            if force:
                actions.append(Action(rel, "overwrite", rel, text, "", note="link"))
            else:
                actions.append(_beside(root, rel, text))
            continue
        if path.is_dir():
            raise ConfigError(
                rel,
                "",
                "is a directory, where init writes a file",
                fix=f"move {rel} away (or rename it), then rerun init",
            )
        if not path.exists():
            actions.append(Action(rel, "create", rel, text))
            continue
        old = path.read_text(encoding="utf-8", errors="replace")
        if old == text:
            actions.append(Action(rel, "unchanged", rel, text, old))
        elif force:
            actions.append(Action(rel, "overwrite", rel, text, old))
        else:
            actions.append(_beside(root, rel, text))
    actions.append(_plan_gitignore(root))
    return actions


def _beside(root: Path, rel: str, text: str) -> Action:
    beside = rel + NEW_SUFFIX
    beside_path = root / beside
    if beside_path.is_symlink() or beside_path.is_dir():
        raise ConfigError(
            beside,
            "",
            f"is a link or a directory, where init writes its version of {rel}",
            fix=f"remove {beside}, then rerun init",
        )
    current = (
        beside_path.read_text(encoding="utf-8", errors="replace") if beside_path.exists() else None
    )
    kind = "beside-unchanged" if current == text else "beside"
    return Action(rel, kind, beside, text, current)


def _link_out_of_project(root: Path, rel: str) -> str | None:
    """Why ``rel`` is not written: a folder on the way is a link leading out of the project.

    A folder on the way that exists as a file is an error: init cannot create the file inside.
    """
    current = root
    for part in Path(rel).parts[:-1]:
        current = current / part
        shown = current.relative_to(root).as_posix()
        if current.is_symlink():
            target = current.resolve()
            if not target.is_relative_to(root.resolve()):
                return f"{shown} is a link out of the project ({target}); --force writes through it"
        if (current.exists() or current.is_symlink()) and not current.is_dir():
            raise ConfigError(
                shown,
                "",
                f"is a file, but init writes {rel} inside it",
                fix=f"move {shown} away (or rename it), then rerun init",
            )
    return None


#: what ci-sessions writes into a project and a build backend must never pack: hatchling and
#: pdm-backend take an sdist's files from the root .gitignore, not from .ci-sessions/.gitignore
IGNORED = (".ci-sessions/", ".nox/")
_IGNORE_HEADER = "# written by ci-sessions and nox: machine output, never committed or packaged"


def _plan_gitignore(root: Path) -> Action:
    rel = ".gitignore"
    path = root / rel
    if path.is_symlink() or path.is_dir():
        wanted = " and ".join(IGNORED)
        return Action(rel, "skip", rel, "", note=f"it is a link or a directory: add {wanted}")
    old = path.read_text(encoding="utf-8", errors="replace") if path.exists() else None
    present = {_ignore_name(line) for line in (old or "").splitlines()}
    missing = [entry for entry in IGNORED if _ignore_name(entry) not in present]
    if not missing:
        return Action(rel, "unchanged", rel, old or "", old)
    text = old or ""
    if text and not text.endswith("\n"):
        text += "\n"
    text += ("\n" if text else "") + "\n".join([_IGNORE_HEADER, *missing]) + "\n"
    kind = "merge" if old is not None else "create"
    return Action(rel, kind, rel, text, old, note=", ".join(missing))


def _ignore_name(line: str) -> str:
    """``/.nox/``, ``.nox``, ``.nox/*`` all ignore the folder .nox."""
    entry = line.strip()
    for suffix in ("/**", "/*", "/"):
        entry = entry.removesuffix(suffix)
    return entry.removeprefix("/")


def _plan_pyproject(root: Path, snippet: str, *, force: bool) -> Action:
    rel = "pyproject.toml"
    path = root / rel
    old = _read_pyproject(path) if path.exists() or path.is_symlink() else None
    merged, added = merge_pyproject(old, snippet)
    if not added:
        return Action(rel, "unchanged", rel, merged, old)
    tables = ", ".join(f"[tool.{k}]" for k in added)
    if path.is_symlink() and not force:
        beside = _beside(root, rel, merged)
        return Action(rel, beside.kind, beside.target, merged, beside.old, note=tables)
    kind = "merge" if old is not None else "create"
    return Action(rel, kind, rel, merged, old, note=tables)


def _read_pyproject(path: Path) -> str | None:
    """The text of pyproject.toml; a file that is not TOML is a ConfigError naming it."""
    from ci_sessions.config import load_toml

    if not path.exists():  # a dangling link: nothing to merge into, the new file goes beside
        return None
    load_toml(path)  # not UTF-8, NUL bytes, nested too deep, unreadable: named here
    return path.read_text(encoding="utf-8")


def diff(action: Action) -> str:
    """A unified diff of what the action would write."""
    before = (action.old or "").splitlines(keepends=True)
    after = action.text.splitlines(keepends=True)
    source = f"a/{action.target}" if action.old is not None else "/dev/null"
    return "".join(difflib.unified_diff(before, after, source, f"b/{action.target}"))


def write(root: Path, actions: list[Action]) -> None:
    """Write the actions' files; a new script (``#!`` line) is made executable (``./noxfile.py``)."""
    import os
    import stat

    from ci_sessions._fs import atomic_write_text

    for action in actions:
        if not action.writes:
            continue
        target = root / action.target
        atomic_write_text(target, action.text)
        if action.kind == "create" and action.text.startswith("#!"):
            mode = stat.S_IMODE(target.stat().st_mode)
            os.chmod(target, mode | (mode & 0o444) >> 2)  # x wherever r is set


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


def render_tidied(root: Path, answers: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The template rendered, its Python files passed through the project's ruff; and a line
    saying so."""
    from ci_sessions.config import load_config
    from ci_sessions.config.project import load_project
    from ci_sessions.scaffold.tidy import ruff_command, tidy

    rendered = render(answers, answers_file=answers_file(root))
    command = ruff_command(root, load_config(root), load_project(root))
    done = tidy(root, rendered, command[0] if command else None)
    if done.note or command is None:
        return done.files, f"ruff      {done.note}"
    return (
        done.files,
        f"ruff      noxfile.py checked and formatted with {command[1]} and your settings",
    )


def _written(actions: list[Action]) -> frozenset[str]:
    """The files init wrote whole (not merged into): their findings are never baselined."""
    merged_into = ("pyproject.toml", ".gitignore")
    return frozenset(
        a.target
        for a in actions
        if a.kind in ("create", "overwrite", "unchanged") and a.path not in merged_into
    )


def registers_ci_sessions(source: str) -> bool:
    """Whether a noxfile calls ``ci_sessions.register()`` (or a ``register`` imported from it):
    only then does it have the sessions (``essential``, ...) that init's next steps run."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    callables: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            callables.update(
                f"{alias.asname or alias.name}.register"
                for alias in node.names
                if alias.name == "ci_sessions"
            )
        elif isinstance(node, ast.ImportFrom) and node.module == "ci_sessions" and not node.level:
            callables.update(
                alias.asname or "register" for alias in node.names if alias.name == "register"
            )
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in callables:
            return True
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and f"{func.value.id}.{func.attr}" in callables
        ):
            return True
    return False


def noxfile_registers(root: Path, actions: list[Action]) -> bool:
    """Whether ``noxfile.py`` has the ci-sessions sessions once init is done: the one init wrote,
    or the project's own when it calls ``ci_sessions.register()``."""
    noxfile = next((a for a in actions if a.path == "noxfile.py"), None)
    if noxfile is not None and noxfile.kind in ("create", "unchanged", "overwrite"):
        return True
    try:
        text = (root / "noxfile.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return registers_ci_sessions(text)


#: what the project's own noxfile needs before ``nox -s essential`` exists (docs/quick-start.md)
ADD_REGISTER = (
    "add `import ci_sessions` to noxfile.py's imports and `ci_sessions.register()` below them"
)


def next_steps(*, registers: bool, baseline: bool, beside: list[str]) -> list[str]:
    """The commands init ends with, each of which works when followed in order."""
    if registers:
        lines = ["next: nox -s essential" + ("; pre-commit install" if not beside else "")]
    else:
        then = ["ci-sessions baseline --update --allow-growth"] if baseline else []
        lines = [f"next: {ADD_REGISTER}", "      then: " + "; ".join([*then, "nox -s essential"])]
    if beside:
        lines.append("      review: " + ", ".join(beside))
    return lines


def _baseline(
    root: Path, actions: list[Action], written: frozenset[str] = frozenset()
) -> tuple[int, str]:
    """Record the adoption-day baseline when the noxfile has our sessions and none exists yet."""
    from ci_sessions.baseline import baseline_path
    from ci_sessions.baseline.record import record
    from ci_sessions.config import load_config
    from ci_sessions.errors import BaselineError

    if not noxfile_registers(root, actions):
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
        code, message = record(root, config, allow_growth=True, never_accept=written)
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
    facts = detect(root)
    overrides: dict[str, Any] = {}
    if args.tier:
        overrides["tier"] = args.tier
    if args.oses:
        overrides["os_list"] = args.oses
    if args.release:
        overrides["release"] = True
    answers = answers_for(facts, load_answers(root), overrides)
    rendered, tidied = render_tidied(root, answers)
    actions = plan(root, rendered, force=args.force)
    for line in facts.describe():
        print(line)
    print(tidied)
    print()
    if not show_or_write(root, actions, dry_run=args.dry_run, describe=Action.describe):
        return 0
    code = 0
    if not args.no_baseline:
        code, message = _baseline(root, actions, written=_written(actions))
        print(message)
    beside = [a.target for a in actions if a.kind in ("beside", "beside-unchanged")]
    steps = next_steps(
        registers=noxfile_registers(root, actions), baseline=not args.no_baseline, beside=beside
    )
    print("\n" + "\n".join(steps))
    return code
