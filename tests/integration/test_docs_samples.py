"""The console samples of README.md and docs/ run, so a page that lies fails the suite.

Every ```console block is run with Sybil on the fixture project its page names
(``<!-- docs-project: NAME -->``, see doc_projects.py), or carries a reason not to be
(``<!-- skip: next "reason" -->``). Each ``$ command`` runs for real; its exit status must be 0
(or the ``exit N`` its comment states) and the lines printed under it must appear in its output,
in order. Times, dates, ids and absolute paths are compared as placeholders, so the lines that
matter (verdicts, counts, names, wording) are compared exactly.

A second test parses every ``ci-sessions`` and ``nox -s ... --`` command in any console or bash
block of the docs with the real parsers, skipped samples included: a flag that does not exist
fails here.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import unittest
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from doc_projects import PROGRAMS, PROJECTS
from fixture_projects import nox_env
from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")], key=lambda p: p.relative_to(ROOT)
)
CONSOLE_PAGES = [p for p in PAGES if "```console" in p.read_text(encoding="utf-8")]


@dataclass
class Command:
    argv: list[str]
    code: int
    expected: list[str] = field(default_factory=list[str])
    line: int = 0


def commands(block: str, first_line: int = 0) -> list[Command]:
    """``$ command  # comment`` lines and the output lines under each."""
    found: list[Command] = []
    for number, raw in enumerate(block.splitlines(), start=first_line):
        if raw.startswith("$ "):
            text, _, comment = raw[2:].partition(" #")
            stated = re.search(r"\bexits? (\d+)\b", comment)
            found.append(
                Command(shlex.split(text), int(stated.group(1)) if stated else 0, line=number)
            )
        elif found and raw.strip() and raw.strip() != "...":
            found[-1].expected.append(raw)
    return found


_PATTERNS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?"), "<date>"),
    (re.compile(r"(?<=[\s(])/[^\s,)]+"), "<path>"),
    (re.compile(r"\b[0-9a-f]{12,}\b"), "<id>"),
    (re.compile(r"\b\d+(?:\.\d+)? ?s\b"), "<time>"),
    (re.compile(r"\s+"), " "),
]


def normalise(line: str) -> str:
    text = line.strip()
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def _is_rule(line: str) -> bool:
    return bool(line.strip()) and set(line.strip()) <= set("-─━═ ")


def run_console(example: Example) -> None:
    namespace: dict[str, Any] = example.namespace
    where = f"{example.path}:{example.line}"
    project = namespace.get("project")
    assert project, (
        f"{where}: a console sample needs <!-- docs-project: NAME --> on its page "
        f'(one of {", ".join(PROJECTS)}) or <!-- skip: next "why" --> before it'
    )
    roots: dict[str, Path] = namespace.setdefault("roots", {})
    if project not in roots:
        root = namespace["workdir"] / project
        root.mkdir(parents=True)
        PROJECTS[project](root)
        roots[project] = root
    root = roots[project]
    for command in commands(str(example.parsed), example.line + 1):
        program = PROGRAMS.get(command.argv[0])
        assert program, f"{where}: {command.argv[0]!r} is not run here; skip the sample instead"
        done = subprocess.run(
            [*program, *command.argv[1:]],
            cwd=root, env=nox_env({"COLUMNS": "100"}), capture_output=True, text=True,
            check=False, timeout=600,
        )  # fmt: skip
        output = done.stdout + done.stderr
        shown = f"{where}: $ {shlex.join(command.argv)}\n{output}"
        assert done.returncode == command.code, f"exit {done.returncode}, the page says {command.code}\n{shown}"  # fmt: skip
        actual = [normalise(line) for line in output.splitlines() if not _is_rule(line)]
        position = 0
        for expected in command.expected:
            if _is_rule(expected):
                continue
            wanted = normalise(expected)
            try:
                position = actual.index(wanted, position) + 1
            except ValueError:
                raise AssertionError(f"the page shows {expected.strip()!r}, not printed\n{shown}") from None  # fmt: skip


def set_project(example: Example) -> None:
    example.namespace["project"] = example.region.parsed


class ProjectParser:
    """``<!-- docs-project: NAME -->``: the fixture project of the samples after it."""

    def __init__(self) -> None:
        self.lexer = DirectiveInHTMLCommentLexer(directive="docs-project", arguments=r"[\w-]+")

    def __call__(self, document: Any) -> Any:
        for region in self.lexer(document):
            region.parsed = region.lexemes["arguments"].strip()
            region.evaluator = set_project
            yield region


SYBIL = Sybil(parsers=[ProjectParser(), CodeBlockParser("console", run_console), SkipParser()])


@pytest.mark.integration
@pytest.mark.parametrize(
    "page", CONSOLE_PAGES, ids=[str(p.relative_to(ROOT)) for p in CONSOLE_PAGES]
)
def test_console_samples_hold(page: Path, tmp_path: Path) -> None:
    document = SYBIL.parse(page)
    document.namespace["workdir"] = tmp_path
    ran = skipped = 0
    for example in document:
        try:
            example.evaluate()
        except (unittest.SkipTest, pytest.skip.Exception):
            skipped += 1  # a sample skipped with its reason; the page's others still run
            continue
        ran += example.parsed is not None and isinstance(example.parsed, str)
    if not ran:
        pytest.skip(f"every sample of {page.name} is skipped, each with its reason")


# -- every command sample parses ----------------------------------------------------------------

_FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.M | re.S)


def command_lines() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for fence in _FENCE.finditer(text):
            language, body = fence.group(1), fence.group(2)
            if language not in ("console", "bash", "shell", "sh"):
                continue
            line_no = text[: fence.start()].count("\n") + 2
            for offset, raw in enumerate(body.splitlines()):
                line = raw[2:] if language == "console" and raw.startswith("$ ") else raw
                if language == "console" and not raw.startswith("$ "):
                    continue
                line = re.sub(r"^(?:uvx|python3? -m uv run|uv run)\b.*?\s(?=(ci-sessions|nox)\s)", "", line)  # fmt: skip
                if line.startswith(("ci-sessions ", "nox ")) and "$(" not in line:
                    where = f"{page.relative_to(ROOT)}:{line_no + offset}"
                    found.append((where, line.split(" && ")[0].split(" | ")[0]))
    return found


def _tests_session(name: str) -> bool:
    return name == "tests" or re.fullmatch(r"tests-\d+\.\d+", name) is not None


@pytest.mark.parametrize(("where", "line"), command_lines())
def test_every_command_sample_parses(where: str, line: str) -> None:
    from ci_sessions import cli
    from ci_sessions.sessions import posargs

    argv = shlex.split(line, comments=True)
    if argv[0] == "ci-sessions":
        try:
            cli.build_parser().parse_args(argv[1:])
        except SystemExit as exc:
            assert exc.code == 0, f"{where}: {line!r} does not parse"
        return
    if "--" not in argv or "-s" not in argv:
        return  # nox's own options: nox checks them
    session = argv[argv.index("-s") + 1]
    rest = argv[argv.index("--") + 1 :]
    runs_tests = _tests_session(session)
    built = posargs.parser(session, runs_tests=runs_tests, tier=not runs_tests)
    try:
        known, unknown = built.parse_known_args(rest)
    except Exception as exc:  # argparse.ArgumentError with exit_on_error=False
        raise AssertionError(f"{where}: {line!r}: {exc}") from None
    del known
    if not runs_tests and session in ("essential", "extended", "full", "quick"):
        assert not unknown, f"{where}: {line!r}: the tier does not take {unknown}"
