"""``ci-sessions migrate``: map tox, Makefile, pixi, setup.cfg and workflow commands to ci-sessions.

Every command found is reported with its file and line: which session now runs it, or that it
could not be mapped (and stays where it is). What can be expressed as configuration (test deps,
pytest arguments, Python versions) is proposed as a ``[tool.ci-sessions]`` table.
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ci_sessions._args import add_json, add_root, command_parser, root_of

#: commands that look like a check's but do what no check does: (pattern, why); these first
NOT_EQUIVALENT: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), why)
    for pattern, why in (
        (
            r"(-b\s*|--builder[= ]\s*)linkcheck\b",
            "Sphinx's linkcheck fetches every external link (network): the docs check builds "
            "the html and checks the internal references; keep it where it is",
        ),
        (r"\bcodecov\b", "uploads coverage to codecov.io: keep it in CI"),
    )
)
#: (pattern on a command line, ci-sessions check that does the same job); first match wins.
COMMAND_MAP: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), check)
    for pattern, check in (
        (r"--benchmark|pytest-benchmark", "bench"),
        (r"\bcoverage\s+(report|xml|html|combine|erase)|--cov-fail-under", "coverage"),
        (r"\bpytest\b|\bpy\.test\b|-m\s+unittest\b", "tests"),
        (r"\bruff\s+format\b|\bblack\b", "format"),
        (r"\bruff\b|\bflake8\b|\bpylint\b|\bisort\b|\bpyflakes\b|\bpycodestyle\b", "lint"),
        (r"\bmypy\b|\bpyright\b|\bbasedpyright\b|\bpytype\b|\bty\s+check\b", "typecheck"),
        (r"\bbandit\b", "sast"),
        (r"\bpip-audit\b|\bsafety\b", "audit"),
        (r"\bdetect-secrets\b", "secrets"),
        (r"\bpre-commit\s+(run|install)\b", "precommit"),
        (r"\bcyclonedx", "sbom"),
        (r"-m\s+build\b|\buv\s+build\b|\btwine\b", "build"),
        (r"\bmkdocs\b|\bsphinx-build\b|-m\s+sphinx\b", "docs"),
        (r"\btowncrier\b", "release"),
    )
)
#: what a mapped command that is not the check's main command becomes there
NOTES = {
    ("coverage", "erase"): "the coverage check starts from fresh data itself",
    ("precommit", "install"): "the precommit check installs the hooks itself",
}
#: sessions register() defines besides the checks
OTHER_SESSIONS = ("release",)
_TOX_PY = re.compile(r"^py(\d)(\d+)$")


@dataclass(frozen=True)
class Item:
    """One command found in a file, and what it became."""

    source: str  # file
    line: int
    where: str  # e.g. "[testenv:lint]" or "target test"
    command: str
    check: str | None  # the ci-sessions check it maps to, None when it cannot be mapped
    note: str = ""

    @property
    def mapped(self) -> bool:
        return self.check is not None and not self.note.startswith("no ci-sessions check")

    def render(self) -> str:
        loc = f"{self.source}:{self.line}"
        if self.mapped:
            return f"{loc}: {self.where}: `{self.command}` -> nox -s {self.check}" + (
                f" ({self.note})" if self.note else ""
            )
        reason = self.note or "no ci-sessions equivalent; keep it where it is"
        return f"{loc}: {self.where}: `{self.command}` NOT MAPPED: {reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "line": self.line,
            "where": self.where,
            "command": self.command,
            "check": self.check,
            "mapped": self.mapped,
            "note": self.note,
        }


@dataclass
class Migration:
    """Everything migrate found, and the configuration it proposes."""

    items: list[Item] = field(default_factory=list[Item])
    python: list[str] = field(default_factory=list[str])
    tests: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    docs: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    #: ``tests.workers`` (pytest-xdist's ``-n``), when the test env passes one
    workers: str = ""
    sources: list[str] = field(default_factory=list[str])
    #: the project root, for what a note depends on ([tool.towncrier])
    root: Path | None = None

    def add(self, source: str, line: int, where: str, command: str, *, env: str = "") -> None:
        """Record a command; ``env`` is the tox env, target or task name it runs under."""
        command = " ".join(command.split())
        if not command:
            return
        why = next((why for pattern, why in NOT_EQUIVALENT if pattern.search(command)), None)
        if why is not None:
            self.items.append(Item(source, line, where, command, None, why))
            return
        check = classify_command(command, env)
        note = ""
        if check is not None:
            from ci_sessions.checks.registry import CHECKS

            if check == "release":
                note = self._release_note()
            elif check not in CHECKS:
                note = f"no ci-sessions check {check!r} in this version"
            else:
                note = next(
                    (n for (c, word), n in NOTES.items() if c == check and word in command), ""
                )
        self.items.append(Item(source, line, where, command, check, note))

    def _release_note(self) -> str:
        from ci_sessions.config.project import load_project

        root = self.root
        if root is not None and (
            (root / "towncrier.toml").is_file() or "towncrier" in load_project(root).tool
        ):
            return "the release changelog runs towncrier build ([tool.towncrier] is configured)"
        return "the release changelog runs towncrier once [tool.towncrier] or towncrier.toml exists"

    def config(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        if self.python:
            table["python"] = sorted(set(self.python), key=_version_key)
        tests: dict[str, Any] = {k: _unique(v) for k, v in self.tests.items() if v}
        if self.workers:
            tests["workers"] = int(self.workers) if self.workers.isdigit() else self.workers
        if tests:
            table["tests"] = tests
        docs = {k: _unique(v) for k, v in self.docs.items() if v}
        if docs:
            table["docs"] = docs
        return table

    def config_toml(self) -> str:
        table = self.config()
        lines = ["[tool.ci-sessions]"]
        for key, value in table.items():
            if not isinstance(value, dict):
                lines.append(f"{key} = {json.dumps(value)}")
        for key, value in table.items():
            if isinstance(value, dict):
                lines += ["", f"[tool.ci-sessions.{key}]"]
                lines += [
                    f"{k} = {json.dumps(v)}" for k, v in cast("dict[str, Any]", value).items()
                ]
        return "\n".join(lines) + "\n"


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


#: a test run under an environment (target, task) so named measures speed
_BENCH_ENV = re.compile(r"bench|perf", re.I)


def classify_command(command: str, env: str = "") -> str | None:
    """The ci-sessions check a command line does the job of, if any.

    The tox env (Makefile target, pixi task) it runs under counts too: pytest under
    ``[testenv:benchmark]`` measures benchmarks, so it maps to ``bench``, not ``tests``.
    """
    for pattern, check in COMMAND_MAP:
        if pattern.search(command):
            if check == "tests" and _BENCH_ENV.search(env):
                return "bench"
            return check
    return None


def expand_braces(text: str) -> list[str]:
    """tox's ``py{310,311}-django{4,5}`` expansion."""
    match = re.search(r"\{([^{}]*)\}", text)
    if not match:
        return [text]
    head, tail = text[: match.start()], text[match.end() :]
    return [
        e
        for option in match.group(1).split(",")
        for e in expand_braces(head + option.strip() + tail)
    ]


def tox_pythons(envlist: str) -> list[str]:
    versions: list[str] = []
    # split on commas and blanks outside braces: py{310,311}, lint
    for raw in re.split(r"[,\s]+(?![^{]*\})", envlist):
        for env in expand_braces(raw.strip()) if raw.strip() else []:
            for factor in env.split("-"):
                match = _TOX_PY.match(factor)
                if match:
                    versions.append(f"{match.group(1)}.{match.group(2)}")
    return _unique(versions)


# -- readers ------------------------------------------------------------------------------------


def _line_of(lines: list[str], needle: str, start: int = 0) -> int:
    for index in range(start, len(lines)):
        if needle in lines[index]:
            return index + 1
    return 0


def expand_tox(command: str) -> str:
    """A tox command as it runs with no posargs: ``{posargs:DEFAULT}`` is DEFAULT,
    ``{toxinidir}/x`` is ``x`` (paths are relative to the project root). Other substitutions
    (``{envtmpdir}``, ``{env:X}``) stay, so the words holding them are known for what they are."""
    out: list[str] = []
    index = 0
    while index < len(command):
        char = command[index]
        if char != "{":
            out.append(char)
            index += 1
            continue
        depth, end = 0, index
        for end in range(index, len(command)):
            depth += {"{": 1, "}": -1}.get(command[end], 0)
            if depth == 0:
                break
        inner = command[index + 1 : end]
        if inner == "posargs":
            pass
        elif inner.startswith("posargs:"):
            out.append(expand_tox(inner.removeprefix("posargs:")))
        elif inner == "toxinidir":
            out.append(".")
        else:
            out.append(command[index : end + 1])
        index = end + 1
    expanded = "".join(out)
    return re.sub(r'(^|[\s="\'])\./', r"\1", expanded)


def _pytest_settings(
    command: str, migration: Migration, source: str = "", line: int = 0, where: str = ""
) -> None:
    try:
        words = shlex.split(expand_tox(command))
    except ValueError:
        return
    if "pytest" not in " ".join(words):
        return
    start = next((i for i, w in enumerate(words) if w.endswith("pytest") or w == "py.test"), None)
    if start is None:
        return
    cov: list[str] = []
    for word in words[start + 1 :]:
        if word.startswith("--cov"):
            cov.append(word)
        elif "{" in word:
            continue
        elif word.startswith("-"):
            migration.tests.setdefault("args", []).append(word)
        else:
            migration.tests.setdefault("paths", []).append(word)
    if cov:
        migration.items.append(
            Item(
                source, line, where, " ".join(cov), "coverage",
                "nox -s coverage measures the test run; coverage.py reads its source and "
                "settings from [coverage:*] / [tool.coverage.*] itself",
            )
        )  # fmt: skip


_XDIST = re.compile(r"(?:^|\s)(?:-n\s*|--numprocesses[= ]\s*)(auto|logical|\d+)\b")


def _tox_setenv(raw: str, migration: Migration) -> None:
    """``PYTEST_ADDOPTS=-n auto`` in the test env: pytest-xdist workers (``tests.workers``)."""
    for line in raw.splitlines():
        name, _, value = line.strip().partition("=")
        if name.strip() == "PYTEST_ADDOPTS" and (match := _XDIST.search(value)):
            migration.workers = "auto" if match.group(1) == "logical" else match.group(1)


def _tox_deps(raw: str, migration: Migration) -> None:
    for line in raw.splitlines():
        dep = line.split("#", 1)[0].strip()
        if not dep or "{" in dep or dep in (".", "-e .", "-e.") or re.match(r"^[\w.-]+\s*:", dep):
            continue
        if dep.startswith("-r"):
            migration.tests.setdefault("requirements", []).append(dep[2:].strip())
        elif not dep.startswith("-"):
            migration.tests.setdefault("deps", []).append(dep)


@dataclass(frozen=True)
class IniValue:
    """One line of a key's value in an ini file, with its line number (continuations included)."""

    section: str
    key: str
    text: str
    line: int


_INI_SECTION = re.compile(r"^\[([^\]]+)\]\s*(?:[#;].*)?$")
_INI_KEY = re.compile(r"^([^\s=:#;\[][^=:]*?)\s*[=:]\s?(.*)$")


def ini_values(text: str) -> list[IniValue]:
    """Every value line of an ini file with the line it is on, as configparser reads them.

    configparser forgets line numbers, and searching for a command's text finds the first line
    that contains it (often a ``deps`` line), so tox commands are read here line by line.
    """
    values: list[IniValue] = []
    section = ""
    key = ""
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[0] in " \t":
            if key:
                values.append(IniValue(section, key, stripped, number))
            continue
        header = _INI_SECTION.match(stripped)
        if header:
            section, key = header.group(1).strip(), ""
            continue
        match = _INI_KEY.match(raw)
        if match:
            key = match.group(1).strip().lower()
            first = match.group(2).strip()
            if first:
                values.append(IniValue(section, key, first, number))
    return values


def _commands(values: list[IniValue], section: str) -> list[tuple[int, str]]:
    """The commands of a section: one per line; a trailing backslash joins the next line."""
    commands: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for value in values:
        if value.section != section or value.key != "commands":
            continue
        if value.text.startswith("#"):
            continue
        start = pending[0] if pending is not None else value.line
        text = f"{pending[1]} {value.text}" if pending is not None else value.text
        if text.endswith("\\"):
            pending = (start, text[:-1].rstrip())
            continue
        pending = None
        commands.append((start, text))
    if pending is not None:
        commands.append(pending)
    return commands


def read_tox_ini(
    root: Path, migration: Migration, path: Path | None = None, text: str | None = None
) -> None:
    source = "pyproject.toml [tool.tox] legacy_tox_ini" if text is not None else "tox.ini"
    if text is None:
        path = path or root / "tox.ini"
        if not path.is_file():
            return
        text = path.read_text(encoding="utf-8", errors="replace")
    migration.sources.append(source)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        migration.items.append(Item(source, 0, "file", "", None, f"cannot parse: {exc}"))
        return
    values = ini_values(text)
    for section in parser.sections():
        if section == "tox" or section.startswith("tox:"):
            if parser.has_option(section, "envlist"):
                migration.python += tox_pythons(parser.get(section, "envlist"))
            continue
        if not section.startswith("testenv"):
            continue
        is_base = section == "testenv"
        if parser.has_option(section, "deps") and is_base:
            _tox_deps(parser.get(section, "deps"), migration)
        if parser.has_option(section, "setenv") and is_base:
            _tox_setenv(parser.get(section, "setenv"), migration)
        env = section.partition(":")[2]
        for line, command in _commands(values, section):
            migration.add(source, line, f"[{section}]", command, env=env)
            if is_base:
                _pytest_settings(command, migration, source, line, f"[{section}]")
    if path is not None:
        from ci_sessions.checks.docs_requirements import tox_docs_env

        docs = tox_docs_env(root) if path == root / "tox.ini" else None
        if docs:
            migration.docs.setdefault("requirements", []).extend(docs.files)
            migration.docs.setdefault("deps", []).extend(docs.deps)


def _toml_word(word: Any) -> str:
    """One word of a native tox TOML command; a substitution table reads like tox's ini form."""
    if isinstance(word, dict):
        table = cast("dict[str, Any]", word)
        name = str(table.get("replace", ""))
        default = table.get("default")
        if isinstance(default, list):
            shown = " ".join(str(d) for d in cast("list[Any]", default))
            return f"{{{name}:{shown}}}" if shown else f"{{{name}}}"
        return f"{{{name}}}"
    text = str(word)
    return shlex.quote(text) if not text or any(c.isspace() for c in text) else text


def _toml_command_lines(lines: list[str], env: str) -> list[int]:
    """The line of each entry of ``commands`` in ``[tool.tox.env.<env>]`` (or env_run_base)."""
    header = "tool.tox.env_run_base" if env == "env_run_base" else f"tool.tox.env.{env}"
    found: list[int] = []
    inside = False
    depth = 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.split("#", 1)[0].strip()
        table = re.fullmatch(r"\[([^\[\]]+)\]", stripped)
        if table and depth == 0:
            inside = table.group(1).replace('"', "").replace(" ", "") == header
            continue
        if not inside:
            continue
        if depth == 0 and re.match(r"commands\s*=", stripped):
            stripped = stripped.partition("=")[2].strip()
            if not stripped.startswith("["):
                continue
            stripped = stripped[1:]
            depth = 1
        if depth == 0:
            continue
        for char in stripped:
            if char == "[":
                if depth == 1:
                    found.append(number)
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    break
    return found


def read_tox_toml(root: Path, migration: Migration) -> None:
    """``[tool.tox]`` in pyproject.toml: legacy_tox_ini text, or the native env tables."""
    from ci_sessions.config import load_toml

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return
    tool = load_toml(pyproject).get("tool", {})
    tox = cast("dict[str, Any]", tool).get("tox") if isinstance(tool, dict) else None
    if not isinstance(tox, dict):
        return
    tox_table = cast("dict[str, Any]", tox)
    legacy = tox_table.get("legacy_tox_ini")
    if isinstance(legacy, str):
        read_tox_ini(root, migration, text=legacy)
        return
    source = "pyproject.toml [tool.tox]"
    migration.sources.append(source)
    lines = pyproject.read_text(encoding="utf-8").splitlines()
    env_list: Any = tox_table.get("env_list") or tox_table.get("envlist") or []
    if isinstance(env_list, list):
        migration.python += tox_pythons(" ".join(str(e) for e in cast("list[Any]", env_list)))
    envs: dict[str, Any] = {"env_run_base": tox_table.get("env_run_base", {})}
    envs.update(cast("dict[str, Any]", tox_table.get("env", {}) or {}))
    for name, env in envs.items():
        if not isinstance(env, dict):
            continue
        commands = cast("list[Any]", cast("dict[str, Any]", env).get("commands", []) or [])
        numbers = _toml_command_lines(lines, name)
        for index, command in enumerate(commands):
            words = cast("list[Any]", command) if isinstance(command, list) else [command]
            text = " ".join(_toml_word(w) for w in words)
            line = numbers[index] if index < len(numbers) else 0
            migration.add(source, line, f"env {name}", text, env=name)
            if name == "env_run_base":
                _pytest_settings(text, migration, source, line, f"env {name}")


def read_makefile(root: Path, migration: Migration) -> None:
    for name in ("Makefile", "makefile", "GNUmakefile"):
        path = root / name
        if path.is_file():
            break
    else:
        return
    migration.sources.append(name)
    target = ""
    for number, raw in enumerate(
        path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
    ):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", raw)
        if match and not raw.startswith("\t"):
            target = match.group(1)
            continue
        if raw.startswith("\t") and target and not target.startswith("."):
            command = raw.strip().lstrip("@-").strip()
            if command.startswith(("$(MAKE)", "make ")):
                continue  # calls another target, which is reported itself
            migration.add(name, number, f"target {target}", command, env=target)


def read_pixi(root: Path, migration: Migration) -> None:
    from ci_sessions.config import load_toml

    path = root / "pixi.toml"
    if not path.is_file():
        return
    migration.sources.append("pixi.toml")
    data = load_toml(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    tables: list[tuple[str, Any]] = [("tasks", data.get("tasks", {}))]
    features = data.get("feature", {})
    if isinstance(features, dict):
        for feature, table in cast("dict[str, Any]", features).items():
            if isinstance(table, dict):
                tables.append(
                    (f"feature.{feature}.tasks", cast("dict[str, Any]", table).get("tasks", {}))
                )
    for where, tasks in tables:
        if not isinstance(tasks, dict):
            continue
        for task, spec in cast("dict[str, Any]", tasks).items():
            command = (
                spec
                if isinstance(spec, str)
                else cast("dict[str, Any]", spec).get("cmd", "")
                if isinstance(spec, dict)
                else ""
            )
            if isinstance(command, list):
                command = " ".join(str(c) for c in cast("list[Any]", command))
            line = _line_of(lines, f"{task} =") or _line_of(lines, task)
            migration.add("pixi.toml", line, f"[{where}] {task}", str(command), env=task)


#: setup.cfg sections -> (check, what happens to them)
SETUP_CFG_SECTIONS = {
    "flake8": ("lint", "ruff replaces flake8: port the select/ignore lists to [tool.ruff.lint]"),
    "pycodestyle": ("lint", "ruff's E/W rules cover pycodestyle"),
    "isort": ("lint", "ruff's I rules cover isort: port settings to [tool.ruff.lint.isort]"),
    "mypy": ("typecheck", "pyright runs instead; the [mypy] section is not read"),
    "tool:pytest": ("tests", "kept: pytest keeps reading it"),
    "coverage:run": ("coverage", "kept: coverage keeps reading it"),
    "coverage:report": ("coverage", "kept: coverage keeps reading it"),
}


def read_setup_cfg(root: Path, migration: Migration) -> None:
    path = root / "setup.cfg"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    migration.sources.append("setup.cfg")
    for section in parser.sections():
        if section in SETUP_CFG_SECTIONS:
            check, note = SETUP_CFG_SECTIONS[section]
            item = Item(
                "setup.cfg",
                _line_of(lines, f"[{section}]"),
                f"[{section}]",
                f"[{section}]",
                check,
                note,
            )
            migration.items.append(item)
        elif section.startswith("mypy-"):
            continue
        elif section == "options.extras_require":
            for extra in ("test", "tests", "testing"):
                if parser.has_option(section, extra):
                    migration.tests.setdefault("extras", []).append(extra)


def read_workflows(root: Path, migration: Migration) -> None:
    """The checks a workflow's steps run, read as GitHub reads the file (``_github_yaml``: a
    file GitHub refuses, such as a job given twice, is reported, not half-read)."""
    from ci_sessions._github_yaml import parse
    from ci_sessions.errors import YamlError

    for path in sorted((root / ".github" / "workflows").glob("*.y*ml")):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            data = parse(text)
        except YamlError as exc:
            migration.items.append(
                Item(rel, exc.line, "file", "", None, f"cannot parse: {exc.message}")
            )
            continue
        if not isinstance(data, dict):
            continue
        migration.sources.append(rel)
        lines = text.splitlines()
        jobs = cast("dict[str, Any]", data).get("jobs", {})
        for job_id, job in cast("dict[str, Any]", jobs if isinstance(jobs, dict) else {}).items():
            if not isinstance(job, dict):
                continue
            matrix = cast("dict[str, Any]", cast("dict[str, Any]", job).get("strategy") or {}).get(
                "matrix"
            )
            if isinstance(matrix, dict):
                for key in ("python-version", "python"):
                    values = cast("dict[str, Any]", matrix).get(key)
                    if isinstance(values, list):
                        migration.python += [
                            str(v)
                            for v in cast("list[Any]", values)
                            if re.fullmatch(r"3\.\d+", str(v))
                        ]
            for step in cast("list[Any]", cast("dict[str, Any]", job).get("steps") or []):
                if not isinstance(step, dict):
                    continue
                run = str(cast("dict[str, Any]", step).get("run", "") or "")
                for command in run.splitlines():
                    command = command.strip()
                    if not command or command.startswith("#") or classify_command(command) is None:
                        continue  # setup lines (pip install, cd, echo) are not checks
                    line = _line_of(lines, command)
                    migration.add(rel, line, f"job {job_id}", command)


def plan_migration(root: Path) -> Migration:
    migration = Migration(root=root)
    read_tox_ini(root, migration)
    read_tox_toml(root, migration)
    read_makefile(root, migration)
    read_pixi(root, migration)
    read_setup_cfg(root, migration)
    read_workflows(root, migration)
    migration.python = _unique(migration.python)
    return migration


def render_report(migration: Migration) -> str:
    if not migration.sources:
        return "nothing to migrate: no tox.ini, [tool.tox], Makefile, pixi.toml, setup.cfg or workflow found"
    lines = [f"read: {', '.join(migration.sources)}", ""]
    lines += [item.render() for item in migration.items]
    mapped = sum(1 for i in migration.items if i.mapped)
    lines += ["", f"{mapped} mapped, {len(migration.items) - mapped} not mapped", ""]
    if migration.config():
        lines += ["proposed configuration (pyproject.toml):", "", migration.config_toml()]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "migrate",
        "Map tox / Makefile / pixi / setup.cfg / workflow commands to ci-sessions sessions.",
    )
    add_root(parser, positional_alias=True)
    add_json(parser, "print the mapping as JSON")
    parser.add_argument(
        "--write",
        action="store_true",
        help="add the proposed [tool.ci-sessions] to pyproject.toml (if absent)",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    migration = plan_migration(root)
    if args.json:
        payload = {
            "sources": migration.sources,
            "items": [i.to_json() for i in migration.items],
            "config": migration.config(),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(render_report(migration))
    if args.write and migration.config():
        from ci_sessions._fs import atomic_write_text
        from ci_sessions.scaffold.render import merge_pyproject

        path = root / "pyproject.toml"
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        merged, added = merge_pyproject(old, migration.config_toml())
        if added:
            atomic_write_text(path, merged)
            print("wrote [tool.ci-sessions] to pyproject.toml", file=sys.stderr)
        else:
            print("pyproject.toml already has [tool.ci-sessions]; left unchanged", file=sys.stderr)
    return 0
