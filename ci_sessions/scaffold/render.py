"""Render the templates with a project's answers, and merge tables into pyproject.toml.

The templates are jinja2 files under ``templates/project`` (a ``.jinja`` suffix is rendered and
dropped, any other file is copied as it is); the answers file is written from the checked
answers. Rendering returns text, never touches the project: :mod:`ci_sessions.scaffold.init`
decides what reaches it. The pyproject merge appends only the tables the project lacks, as text,
so every byte the project already had (comments, order, formatting) stays where it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ci_sessions._fs import config_file, data_dir
from ci_sessions.errors import ConfigError, InstallError
from ci_sessions.scaffold.answers import ANSWERS_FILE, answers_text, checked

#: The rendered file that is merged into pyproject.toml instead of being written.
PYPROJECT_SNIPPET = ".ci-sessions-pyproject.toml"
TEMPLATE_SUFFIX = ".jinja"
#: files rendered only when an answer is true
ONLY_IF: dict[str, str] = {".github/workflows/release.yml": "release"}
#: never part of a render: editor backups, bytecode, VCS and OS droppings
_IGNORED = re.compile(r"(^|/)(~[^/]*|__pycache__|\.git|\.DS_Store)(/|$)|\.py[co]$")
_HEADER = re.compile(r"^\[\s*tool\s*\.\s*\"?([A-Za-z0-9_.-]+?)\"?\s*(?:\.[^\]]*)?\]\s*$")


def template_dir() -> Path:
    """The project template: what ``init`` writes into a project, as jinja2 files."""
    return data_dir("templates") / "project"


def action_pins() -> dict[str, str]:
    """``owner/action@sha # version`` per action, from configs/action-pins.yaml (one place)."""
    import yaml

    data = cast(
        "dict[str, dict[str, str]]",
        yaml.safe_load(config_file("action-pins.yaml").read_text(encoding="utf-8")),
    )
    return {name: f"{name}@{pin['sha']} # {pin['version']}" for name, pin in data.items()}


def render(answers: Mapping[str, Any], *, answers_file: str = ANSWERS_FILE) -> dict[str, str]:
    """Every file of the template rendered with ``answers``: relative posix path -> text.

    The answers are checked first (:func:`ci_sessions.scaffold.answers.checked`); the answers
    file is written under ``answers_file`` (the name the project already uses).
    """
    try:
        from jinja2 import FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError as exc:  # pragma: no cover - jinja2 is a dependency; a broken install
        raise InstallError(
            f"init needs jinja2, which cannot be imported ({exc})",
            fix="reinstall ci-sessions (jinja2 is one of its dependencies): "
            "pip install --force-reinstall ci-sessions",
        ) from None

    values = checked(answers, answers_file)
    base = template_dir()
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(base),
        keep_trailing_newline=True,
        undefined=StrictUndefined,  # a missing answer is a bug, never an empty string
        autoescape=False,
    )
    context = {**values, "action_pins": action_pins()}  # not an answer: always current
    files: dict[str, str] = {}
    for path in sorted(base.rglob("*")):
        name = path.relative_to(base).as_posix()
        if not path.is_file() or _IGNORED.search(name):
            continue
        rel = name.removesuffix(TEMPLATE_SUFFIX)
        condition = ONLY_IF.get(rel)
        if condition is not None and not values[condition]:
            continue
        if name.endswith(TEMPLATE_SUFFIX):
            files[rel] = environment.get_template(name).render(context)
        else:
            files[rel] = path.read_text(encoding="utf-8")
    files[answers_file] = answers_text(values)
    return files


def snippet_blocks(snippet: str) -> list[tuple[str, str]]:
    """(tool key, text) per ``[tool.KEY...]`` block of the rendered snippet, in order.

    Consecutive blocks of the same tool (``[tool.coverage.run]`` + ``[tool.coverage.report]``) are
    one entry, since a project either has that tool's config or not.
    """
    blocks: list[tuple[str, list[str]]] = []
    for line in snippet.splitlines():
        match = _HEADER.match(line.strip())
        if match:
            key = match.group(1).split(".")[0]
            if blocks and blocks[-1][0] == key:
                blocks[-1][1].append(line)
            else:
                blocks.append((key, [line]))
        elif blocks:
            blocks[-1][1].append(line)
    return [(key, "\n".join(lines).strip() + "\n") for key, lines in blocks]


def merge_pyproject(existing: str | None, snippet: str) -> tuple[str, list[str]]:
    """The new pyproject.toml text and the tool keys added (none: the text is unchanged)."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import InlineTable

    text = existing or ""
    try:
        document = tomlkit.parse(text)
    except (TOMLKitError, RecursionError) as exc:
        raise ConfigError(
            "pyproject.toml",
            "",
            f"invalid TOML: {exc}",
            fix="correct the TOML syntax, then rerun init",
        ) from None
    if isinstance(cast("dict[str, object]", document).get("tool"), InlineTable):
        raise ConfigError(
            "pyproject.toml",
            "tool",
            "is an inline table (tool = {...}), which TOML does not let init add tables to",
            fix="write it as [tool.<name>] tables, one per tool, then rerun init",
        )
    tool: object = document.unwrap().get("tool", {})
    present = (
        {str(k) for k in cast("dict[str, Any]", tool)} if isinstance(tool, dict) else set[str]()
    )
    added: list[str] = []
    chunks: list[str] = []
    for key, block in snippet_blocks(snippet):
        if key in present or key in added:
            continue
        added.append(key)
        chunks.append(block)
    if not chunks:
        return text, []
    if text and not text.endswith("\n"):
        text += "\n"
    separator = "\n" if text else ""
    merged = text + separator + "\n".join(chunks)
    try:
        tomlkit.parse(merged)  # must still be valid TOML
    except TOMLKitError as exc:
        raise ConfigError(
            "pyproject.toml",
            "",
            f"adding {', '.join(f'[tool.{k}]' for k in added)} would make it invalid TOML: {exc}",
            fix="add the tables by hand (see docs/init.md), then rerun init",
        ) from None
    return merged, added
