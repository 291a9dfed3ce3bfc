"""Where a project keeps its version, detected from its build configuration.

Three kinds: ``pyproject`` (a static ``[project] version``), ``file`` (``__version__ = "..."`` in
a module: hatch ``[tool.hatch.version] path``, setuptools ``attr:``, flit's module, pdm
``source = "file"``; or a plain VERSION file), and ``tag`` (hatch-vcs, setuptools-scm, pdm scm, ...: the tag alone is the version). The double
build reads it (a ``tag`` project's copies are told their version); a release writes the new
version there (:func:`ci_sessions.release.edits.version_edit`).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from packaging.utils import canonicalize_name
from packaging.version import Version

from ci_sessions.builds.paths import read_text, repository_file
from ci_sessions.builds.pyproject import table
from ci_sessions.builds.tags import parse_version
from ci_sessions.config.requirements import parse_requirement, requirement_name
from ci_sessions.errors import ConfigError

#: build requirements whose backend takes the version from git tags
VCS_PLUGINS = (
    "hatch-vcs", "setuptools-scm", "versioningit", "uv-dynamic-versioning",
    "poetry-dynamic-versioning", "dunamai", "pbr", "flit-scm", "vcs-versioning",
)  # fmt: skip


def assignment(attribute: str) -> re.Pattern[str]:
    """``NAME = "1.2.3"`` for NAME in ``attribute`` (``|``-separated, hatch's default is
    ``__version__|VERSION``), with an optional ``: str`` annotation and a ``v`` before the number."""
    names = "|".join(re.escape(name) for name in attribute.split("|"))
    return re.compile(
        rf"""^(?P<lhs>[ \t]*(?:{names})[ \t]*(?::[ \t]*str[ \t]*)?=[ \t]*)"""
        r"""(?P<quote>['"])v?(?P<version>[^'"\n]+)(?P=quote)""",
        re.MULTILINE,
    )


VERSION_FIX = (
    'say where the version lives: [tool.ci-sessions.release] version-source = "pyproject", '
    '"tag" or the path of the file holding __version__'
)


@dataclass(frozen=True)
class VersionSource:
    """Where the version is written: the kind, the file (relative), what it declares now."""

    kind: str  # pyproject | file | tag
    path: str
    current: Version | None
    #: how it was found, for the dry-run output
    how: str
    #: for kind "file": the attribute assigned (``__version__``), or "" for a plain version file
    attribute: str = "__version__"
    #: for kind "pyproject": the table holding ``version`` ([project] or [tool.poetry])
    keys: tuple[str, ...] = ("project",)


def declared(root: Path, path: str, attribute: str = "__version__") -> Version | None:
    """The version a module (or a plain VERSION file when ``attribute`` is empty) declares."""
    text = read_text(root, path, what="version file")
    if text is None:
        return None
    if not attribute:
        return parse_version(text.strip())
    match = assignment(attribute).search(text)
    return parse_version(match.group("version")) if match else None


def detect(root: Path, pyproject: Mapping[str, object], setting: str = "auto") -> VersionSource:
    """The version source ``setting`` names, or the one the build configuration implies."""
    project = table(pyproject, "project")
    static = project.get("version")
    if setting == "tag":
        return VersionSource("tag", "", None, "version-source = tag")
    if setting == "pyproject":
        if not isinstance(static, str):
            raise ConfigError(
                "pyproject.toml", "project.version", "version-source is pyproject but there is "
                "no static [project] version", fix=VERSION_FIX,
            )  # fmt: skip
        return _static(static, "version-source = pyproject")
    if setting != "auto":
        path = repository_file(
            root, setting, source="pyproject.toml [tool.ci-sessions.release]", key="version-source"
        )
        return _file(root, path, "__version__", f"version-source = {setting}")
    dynamic = project.get("dynamic", [])
    if isinstance(static, str) and not (isinstance(dynamic, list) and "version" in dynamic):
        return _static(static, "static [project] version")
    if project and isinstance(dynamic, list) and "version" in dynamic:
        return _dynamic(root, pyproject)
    poetry = table(pyproject, "tool", "poetry")
    if isinstance(poetry.get("version"), str):
        source = _static(str(poetry["version"]), "[tool.poetry] version")
        return VersionSource("pyproject", source.path, source.current, source.how, keys=("tool", "poetry"))  # fmt: skip
    if (root / "setup.cfg").is_file():
        found = _setup_cfg(root)
        if found is not None:
            return found
    if (root / "setup.py").is_file() or project:
        raise ConfigError(
            "pyproject.toml", "project.version", "cannot tell where this project keeps its version",
            fix=VERSION_FIX,
        )  # fmt: skip
    return VersionSource("tag", "", None, "no version in the build configuration: the tag")


def _static(text: str, how: str) -> VersionSource:
    version = parse_version(text)
    if version is None:
        raise ConfigError("pyproject.toml", "project.version", f"{text!r} is not a PEP 440 release version")  # fmt: skip
    return VersionSource("pyproject", "pyproject.toml", version, how)


def _file(root: Path, path: str, attribute: str, how: str) -> VersionSource:
    path = repository_file(root, path, source="pyproject.toml", key=f"version file ({how})")
    target = root / path
    if not target.is_file():
        raise ConfigError("pyproject.toml", "version", f"{path} (the version file) does not exist", fix=VERSION_FIX)  # fmt: skip
    version = declared(root, path, attribute)
    if version is None:
        name = attribute.split("|")[0]
        what = "version" if not name else f'`{name} = "X.Y.Z"` line'
        raise ConfigError(path, name, f"has no {what}", fix=VERSION_FIX)
    return VersionSource("file", path, version, how, attribute=attribute)


def _requires(pyproject: Mapping[str, object]) -> list[str]:
    """The names (PEP 503) of the build requirements."""
    return [n for item in _raw_requires(pyproject) if (n := requirement_name(item)) is not None]


def _vcs_configured(root: Path, pyproject: Mapping[str, object], backend: str) -> str:
    """The plugin that gives the build its version from git, when one is configured to; a
    plugin only listed in ``build-system.requires`` does nothing (setuptools-scm needs
    ``[tool.setuptools_scm]``, or its ``[simple]`` extra with no other version configured)."""
    requires = _requires(pyproject)
    tool = table(pyproject, "tool")
    setuptools_version = table(pyproject, "tool", "setuptools", "dynamic").get("version")
    if "setuptools_scm" in tool or "setuptools-scm" in tool:
        return "setuptools-scm ([tool.setuptools_scm])"
    if any(_simple_extra(item) for item in _raw_requires(pyproject)) and not setuptools_version:
        return "setuptools-scm[simple]"
    setup_py = root / "setup.py"
    if setup_py.is_file() and "use_scm_version" in setup_py.read_text("utf-8", "replace"):
        return "setuptools-scm (use_scm_version in setup.py)"
    if "versioningit" in tool:
        return "versioningit ([tool.versioningit])"
    if "uv-dynamic-versioning" in tool:
        return "uv-dynamic-versioning"
    dynamic_versioning = table(pyproject, "tool", "poetry-dynamic-versioning")
    if dynamic_versioning.get("enable") is True:
        return "poetry-dynamic-versioning"
    if (
        backend.startswith("flit_scm")
        or backend.startswith("pbr")
        or ("pbr" in requires and (root / "setup.cfg").is_file())
    ):
        return backend.split(":")[0] or "pbr"
    return ""


def _raw_requires(pyproject: Mapping[str, object]) -> list[str]:
    requires = table(pyproject, "build-system").get("requires", [])
    items = cast("list[object]", requires) if isinstance(requires, list) else []
    return [item for item in items if isinstance(item, str)]


def _simple_extra(requirement: str) -> bool:
    parsed = parse_requirement(requirement)
    return (
        parsed is not None
        and canonicalize_name(parsed.name) == "setuptools-scm"
        and "simple" in parsed.extras
    )


def _dynamic(root: Path, pyproject: Mapping[str, object]) -> VersionSource:
    backend = str(table(pyproject, "build-system").get("build-backend", ""))
    hatch = table(pyproject, "tool", "hatch", "version")
    if backend.startswith("hatchling") and hatch:
        if hatch.get("source") in ("vcs", "uv-dynamic-versioning"):
            plugin = "hatch-vcs" if hatch.get("source") == "vcs" else "uv-dynamic-versioning"
            return VersionSource(
                "tag", "", None, f"{plugin} ([tool.hatch.version] source = {hatch.get('source')})"
            )
        path = hatch.get("path")
        if isinstance(path, str):
            return _file(root, path, "__version__|VERSION", "[tool.hatch.version] path")
    pdm = table(pyproject, "tool", "pdm", "version")
    if pdm:
        if pdm.get("source") == "scm":
            return VersionSource("tag", "", None, '[tool.pdm.version] source = "scm"')
        path = pdm.get("path")
        if pdm.get("source") == "file" and isinstance(path, str):
            return _file(root, path, "__version__", '[tool.pdm.version] source = "file"')
    plugin = _vcs_configured(root, pyproject, backend)
    if plugin:
        return VersionSource("tag", "", None, f"{plugin}: the version comes from the tag")
    setuptools = table(pyproject, "tool", "setuptools", "dynamic").get("version")
    if isinstance(setuptools, dict):
        spec = cast("dict[str, object]", setuptools)
        if isinstance(spec.get("attr"), str):
            package_dir = table(pyproject, "tool", "setuptools").get("package-dir", {})
            mapping = cast("dict[str, str]", package_dir) if isinstance(package_dir, dict) else {}
            return _attr(root, str(spec["attr"]), mapping, "setuptools attr:")
        files = spec.get("file")
        if isinstance(files, list) and files:
            files = cast("list[object]", files)[0]
        if isinstance(files, str):
            return _file(root, files, "", "setuptools file:")
    if backend.startswith("flit_core"):
        module = table(pyproject, "tool", "flit", "module").get("name")
        name = (
            module if isinstance(module, str) else str(table(pyproject, "project").get("name", ""))
        )
        return _flit(root, name.replace("-", "_"))
    listed = next((name for name in _requires(pyproject) if name in VCS_PLUGINS), "")
    if listed:  # nothing else gives the version: the plugin listed is what the build relies on
        return VersionSource("tag", "", None, f"{listed}: the version comes from the tag")
    raise ConfigError(
        "pyproject.toml", "project.dynamic",
        f"version is dynamic but the build backend {backend or '(none)'} is not one ci-sessions "
        "knows how to write to", fix=VERSION_FIX,
    )  # fmt: skip


def _attr(root: Path, spec: str, package_dir: Mapping[str, str], how: str) -> VersionSource:
    """``pkg.mod.__version__`` -> the module file defining it (package-dir, src/ or flat)."""
    module, _, attribute = spec.rpartition(".")
    if not module:
        raise ConfigError(
            "pyproject.toml", "version attr", f"{spec!r} names no module", fix=VERSION_FIX
        )
    parts = module.split(".")
    bases = [package_dir.get(parts[0]), package_dir.get(""), "src", "."]
    for base in dict.fromkeys(b for b in bases if b is not None):
        for candidate in (Path(base, *parts, "__init__.py"), Path(base, *parts[:-1], parts[-1] + ".py")):  # fmt: skip
            if (root / candidate).is_file():
                return _file(
                    root, candidate.as_posix().removeprefix("./"), attribute, f"{how} {spec}"
                )
    raise ConfigError("pyproject.toml", "version attr", f"cannot find the module of {spec!r}", fix=VERSION_FIX)  # fmt: skip


def _flit(root: Path, module: str) -> VersionSource:
    for base in (".", "src"):
        for candidate in (Path(base, module, "__init__.py"), Path(base, module + ".py")):
            if (root / candidate).is_file():
                path = candidate.as_posix().removeprefix("./")
                return _file(root, path, "__version__", "flit: module docstring + __version__")
    raise ConfigError("pyproject.toml", "tool.flit.module", f"cannot find the module {module!r}", fix=VERSION_FIX)  # fmt: skip


def _setup_cfg(root: Path) -> VersionSource | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(root / "setup.cfg", encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError("setup.cfg", "", f"cannot be read: {exc}") from None
    value = parser.get("metadata", "version", fallback="").strip()
    if value.startswith("attr:"):
        package_dir: dict[str, str] = {}
        raw = parser.get("options", "package_dir", fallback="")
        for line in raw.splitlines():
            key, sep, target = line.partition("=")
            if sep:
                package_dir[key.strip()] = target.strip()
        return _attr(root, value.removeprefix("attr:").strip(), package_dir, "setup.cfg attr:")
    if value.startswith("file:"):
        return _file(root, value.removeprefix("file:").strip(), "", "setup.cfg file:")
    if value:
        raise ConfigError(
            "setup.cfg", "metadata.version", "a static version in setup.cfg is not written by "
            "ci-sessions", fix=VERSION_FIX,
        )  # fmt: skip
    return None
