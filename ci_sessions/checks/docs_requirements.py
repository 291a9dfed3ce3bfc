"""Where a project says what its documentation needs, when ``[tool.ci-sessions.docs]`` does not.

Projects name their docs requirements in many places and under many names: Read the Docs'
configuration (what the published site is built with), the ``docs`` environment of tox.ini (what
the maintainers run), or a requirements file beside the docs (``docs/requirements-docs.txt``,
``requirements/docs.txt``). The first of these that names anything is used, in that order: it is
what the project itself builds its docs with.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions.checks import tooljson

#: Read the Docs' configuration files, as its builder looks for them
READTHEDOCS = (".readthedocs.yaml", ".readthedocs.yml", "readthedocs.yaml", "readthedocs.yml")
#: tox environments that build documentation
TOX_DOCS_ENVS = ("testenv:docs", "testenv:doc", "testenv:documentation", "testenv:sphinx")
#: requirement files beside the docs, most specific first
FILE_PATTERNS = (
    "docs/requirements*.txt", "doc/requirements*.txt", "docs/*requirements*.txt",
    "doc/*requirements*.txt", "requirements-docs.txt", "requirements_docs.txt",
    "docs-requirements.txt", "requirements/docs*.txt", "requirements/doc.txt",
)  # fmt: skip
_SUBSTITUTION = re.compile(r"^\{\[([^\]]+)\]([\w-]+)\}$")


@dataclass
class DocsDeps:
    """What the docs need, and where that was read."""

    files: list[str] = field(default_factory=list[str])
    deps: list[str] = field(default_factory=list[str])
    extras: list[str] = field(default_factory=list[str])
    origin: str = ""

    def __bool__(self) -> bool:
        return bool(self.files or self.deps or self.extras)


def discover(root: Path) -> DocsDeps:
    """The docs requirements the project names: Read the Docs, else tox's docs env, else a file."""
    for source in (_readthedocs, tox_docs_env, _files):
        found = source(root)
        if found:
            return found
    return DocsDeps()


def _readthedocs(root: Path) -> DocsDeps:
    import yaml

    for name in READTHEDOCS:
        path = root / name
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            return DocsDeps()
        python = data.get("python") if tooljson.is_mapping(data) else None
        install = python.get("install") if tooljson.is_mapping(python) else None
        found = DocsDeps(origin=name)
        for step in install if tooljson.is_list(install) else []:
            if not tooljson.is_mapping(step):
                continue
            requirements = step.get("requirements")
            if isinstance(requirements, str) and (root / requirements).is_file():
                found.files.append(requirements.removeprefix("./"))
            extras = step.get("extra_requirements")
            if tooljson.is_list(extras) and str(step.get("path", "")).strip("/") in ("", "."):
                found.extras += [str(e) for e in extras]
        return found
    return DocsDeps()


def tox_docs_env(root: Path) -> DocsDeps:
    """The requirements of tox.ini's docs environment (``-r`` files that exist, specifiers)."""
    path = root / "tox.ini"
    if not path.is_file():
        return DocsDeps()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return DocsDeps()
    section = next((s for s in TOX_DOCS_ENVS if parser.has_option(s, "deps")), None)
    if section is None:
        return DocsDeps()
    found = DocsDeps(origin=f"tox.ini [{section}] deps")
    for line in _deps_lines(parser, section, depth=0):
        if line.startswith("-r"):
            name = line[2:].strip().replace("{toxinidir}/", "")
            if "{" not in name and (root / name).is_file():
                found.files.append(name)
        elif not line.startswith("-") and "{" not in line:
            found.deps.append(line)
    return found


def _deps_lines(parser: configparser.ConfigParser, section: str, depth: int) -> list[str]:
    """A tox ``deps`` value line by line, with ``{[section]deps}`` references resolved."""
    lines: list[str] = []
    for raw in parser.get(section, "deps").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or re.match(r"^[\w.,-]+\s*:\s", line):
            continue  # a factor-conditional line applies to other envs only
        reference = _SUBSTITUTION.match(line)
        if reference:
            other, key = reference.groups()
            if key == "deps" and parser.has_option(other, "deps") and depth < 5:
                lines += _deps_lines(parser, other, depth + 1)
            continue
        lines.append(line)
    return lines


def _files(root: Path) -> DocsDeps:
    for pattern in FILE_PATTERNS:
        matches = sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())
        if matches:
            return DocsDeps(files=matches, origin=", ".join(matches))
    return DocsDeps()
