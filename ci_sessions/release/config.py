"""``[tool.ci-sessions.release]`` and ``[tool.ci-sessions.publish]``: read, checked, defaulted.

Every bad value is a ConfigError naming the key and what was expected. The defaults publish to
TestPyPI (staging) and PyPI (production) with API tokens from ``TEST_PYPI_TOKEN`` / ``PYPI_TOKEN``.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ci_sessions.errors import ConfigError, close_match

SOURCE = "pyproject.toml"
RELEASE_KEYS = (
    "tag-prefix", "changelog", "version-source", "major-on-zero", "commit-message", "builder",
)  # fmt: skip
PUBLISH_KEYS = (
    "strategy",
    "indexes",
    "smoke",
    "import-names",
    "retries",
    "retry-delay",
    "dist-dir",
)
INDEX_KEYS = ("upload-url", "simple-url", "token-env", "username", "kind", "extra-index-url")
STRATEGIES = ("staged", "direct")
KINDS = ("auto", "pypi", "pypiserver", "devpi", "other")
BUILDERS = ("auto", "uv", "build")
STAGES = ("staging", "production")


@dataclass(frozen=True)
class ReleaseSettings:
    tag_prefix: str = "v"
    #: the changelog file; empty: no changelog
    changelog: str = "CHANGELOG.md"
    #: auto | pyproject | tag | a path to the file holding ``__version__``
    version_source: str = "auto"
    major_on_zero: bool = False
    commit_message: str = "chore(release): {version}"
    #: auto (uv build when uv is available, else python -m build) | uv | build
    builder: str = "auto"


@dataclass(frozen=True)
class IndexSettings:
    """One package index: where twine uploads, where pip installs from, whose token."""

    stage: str
    upload_url: str
    simple_url: str
    token_env: str
    username: str = "__token__"
    #: what the index can do on rollback (auto: asked from the URL)
    kind: str = "auto"
    #: where pip finds the dependencies the index itself does not have (TestPyPI)
    extra_index_url: str = ""


def _default_indexes() -> dict[str, IndexSettings]:
    return {
        "staging": IndexSettings(
            "staging",
            upload_url="https://test.pypi.org/legacy/",
            simple_url="https://test.pypi.org/simple/",
            token_env="TEST_PYPI_TOKEN",  # noqa: S106 - the variable's name
            kind="pypi",
            extra_index_url="https://pypi.org/simple/",
        ),
        "production": IndexSettings(
            "production",
            upload_url="https://upload.pypi.org/legacy/",
            simple_url="https://pypi.org/simple/",
            token_env="PYPI_TOKEN",  # noqa: S106 - the variable's name
            kind="pypi",
        ),
    }


@dataclass(frozen=True)
class PublishSettings:
    strategy: str = "staged"
    indexes: Mapping[str, IndexSettings] = field(default_factory=_default_indexes)
    #: the smoke command, an argv run in the fresh environment (``{python}`` is its interpreter)
    smoke: tuple[str, ...] = ()
    #: top-level packages to import; empty: the ones the wheel contains
    import_names: tuple[str, ...] = ()
    #: installs tried while the index makes the release visible
    retries: int = 5
    retry_delay: float = 3.0
    #: take distributions from here instead of building them
    dist_dir: str = ""


def load_pyproject(root: Path) -> dict[str, object]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(SOURCE, "", f"not valid TOML: {exc}") from None


def table(data: Mapping[str, object], *keys: str) -> dict[str, object]:
    """The nested table at ``keys`` (empty when missing); a non-table is a ConfigError."""
    current: dict[str, object] = dict(data)
    for index, key in enumerate(keys):
        found = current.get(key, {})
        if not isinstance(found, dict):
            raise ConfigError(SOURCE, ".".join(keys[: index + 1]), "must be a table")
        current = cast("dict[str, object]", found)
    return current


def _unknown(data: Mapping[str, object], known: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in known:
            raise ConfigError(
                SOURCE, f"{where}.{key}", "unknown key",
                expected=", ".join(known), suggestion=close_match(key, known),
            )  # fmt: skip


def _str(data: Mapping[str, object], key: str, default: str, where: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(SOURCE, f"{where}.{key}", f"must be a string, not {value!r}")
    return value


def _choice(data: Mapping[str, object], key: str, default: str, where: str, options: tuple[str, ...]) -> str:  # fmt: skip
    value = _str(data, key, default, where)
    if value not in options:
        raise ConfigError(
            SOURCE, f"{where}.{key}", f"{value!r} is not one of {', '.join(options)}",
            suggestion=close_match(value, options),
        )  # fmt: skip
    return value


def _argv(value: object, key: str) -> tuple[str, ...]:
    """A command as a list of strings, or a string split like a shell would (never run by one)."""
    if isinstance(value, str):
        return tuple(shlex.split(value))
    if isinstance(value, list) and all(
        isinstance(item, str) for item in cast("list[object]", value)
    ):
        return tuple(cast("list[str]", value))
    raise ConfigError(SOURCE, key, "must be a string or a list of strings")


def release_settings(pyproject: Mapping[str, object]) -> ReleaseSettings:
    where = "tool.ci-sessions.release"
    data = table(pyproject, "tool", "ci-sessions", "release")
    _unknown(data, RELEASE_KEYS, where)
    changelog = data.get("changelog", "CHANGELOG.md")
    if changelog is False:
        changelog = ""
    if not isinstance(changelog, str):
        raise ConfigError(SOURCE, f"{where}.changelog", "must be a file name or false")
    major_on_zero = data.get("major-on-zero", False)
    if not isinstance(major_on_zero, bool):
        raise ConfigError(SOURCE, f"{where}.major-on-zero", "must be true or false")
    message = _str(data, "commit-message", "chore(release): {version}", where)
    if "{version}" not in message:
        raise ConfigError(
            SOURCE, f"{where}.commit-message", "must contain {version}",
            fix='e.g. commit-message = "release: {version}"',
        )  # fmt: skip
    return ReleaseSettings(
        tag_prefix=_str(data, "tag-prefix", "v", where),
        changelog=changelog,
        version_source=_str(data, "version-source", "auto", where),
        major_on_zero=major_on_zero,
        commit_message=message,
        builder=_choice(data, "builder", "auto", where, BUILDERS),
    )


def _index(stage: str, data: Mapping[str, object]) -> IndexSettings:
    """An index of the project's own: both URLs are required; no token-env means no login."""
    where = f"tool.ci-sessions.publish.indexes.{stage}"
    _unknown(data, INDEX_KEYS, where)
    values = {key: _str(data, key, "", where) for key in INDEX_KEYS}
    for key in ("upload-url", "simple-url"):
        if not values[key]:
            raise ConfigError(
                SOURCE, f"{where}.{key}", "is required for an index of your own",
                fix=f'add {key} = "https://..." under [{where}]',
            )  # fmt: skip
    kind = values["kind"] or "auto"
    if kind not in KINDS:
        raise ConfigError(
            SOURCE, f"{where}.kind", f"{kind!r} is not one of {', '.join(KINDS)}",
            suggestion=close_match(kind, KINDS),
        )  # fmt: skip
    return IndexSettings(
        stage,
        upload_url=values["upload-url"],
        simple_url=values["simple-url"],
        token_env=values["token-env"],
        username=values["username"] or "__token__",
        kind=kind,
        extra_index_url=values["extra-index-url"],
    )


def publish_settings(pyproject: Mapping[str, object]) -> PublishSettings:
    where = "tool.ci-sessions.publish"
    data = table(pyproject, "tool", "ci-sessions", "publish")
    _unknown(data, PUBLISH_KEYS, where)
    defaults = _default_indexes()
    configured = table(data, "indexes")
    _unknown(configured, STAGES, f"{where}.indexes")
    indexes = {
        stage: _index(stage, table(configured, stage)) if stage in configured else defaults[stage]
        for stage in STAGES
    }
    retries = data.get("retries", 5)
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 1:
        raise ConfigError(SOURCE, f"{where}.retries", "must be a whole number >= 1")
    delay = data.get("retry-delay", 3.0)
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
        raise ConfigError(SOURCE, f"{where}.retry-delay", "must be a number of seconds >= 0")
    names = data.get("import-names", [])
    return PublishSettings(
        strategy=_choice(data, "strategy", "staged", where, STRATEGIES),
        indexes=indexes,
        smoke=_argv(data["smoke"], f"{where}.smoke") if "smoke" in data else (),
        import_names=_argv(names, f"{where}.import-names") if names else (),
        retries=retries,
        retry_delay=float(delay),
        dist_dir=_str(data, "dist-dir", "", where),
    )
