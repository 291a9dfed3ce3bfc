"""``[tool.ci-sessions.release]`` and ``[tool.ci-sessions.publish]`` as settings objects.

The loader (:mod:`ci_sessions.config`) has merged the packaged defaults, the project's table and
the ``CI_SESSIONS_*`` variables and checked each key's type; here come the rules a schema cannot
say (an index of your own needs both URLs, the commit message needs ``{version}``) and the default
indexes: TestPyPI (staging) and PyPI (production), tokens from ``TEST_PYPI_TOKEN`` / ``PYPI_TOKEN``.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from ci_sessions._secrets import split_credentials
from ci_sessions.config import Config
from ci_sessions.errors import ConfigError

SOURCE = "pyproject.toml"
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
    #: changelog left at its default: an existing CHANGELOG/CHANGES/NEWS/HISTORY file is used
    changelog_default: bool = True


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

    @property
    def upload(self) -> str:
        """The upload URL without credentials (they go to twine through its environment)."""
        return split_credentials(self.upload_url)[0]

    def login(self, token: str) -> tuple[str, str]:
        """(user, password) for the index: the token, else the credentials in the upload URL."""
        if token:
            return self.username, token
        _, user, password = split_credentials(self.upload_url)
        return user or self.username, password

    def passwords(self) -> list[str]:
        """Every password the index's URLs carry (to be masked)."""
        return [
            split_credentials(url)[2]
            for url in (self.upload_url, self.simple_url, self.extra_index_url)
            if url
        ]


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


def _argv(value: object, key: str, config: Config) -> tuple[str, ...]:
    """A command as a list of strings, or a string split like a shell would (never run by one)."""
    if isinstance(value, str):
        return tuple(shlex.split(value))
    if isinstance(value, (list, tuple)):
        items = cast("Sequence[object]", value)
        if all(isinstance(item, str) for item in items):
            return tuple(cast("Sequence[str]", items))
    raise ConfigError(
        config.source_of(key), key, "must be a string or a list of strings",
        fix='e.g. smoke = ["{python}", "-m", "mypkg", "--version"]',
    )  # fmt: skip


def release_settings(config: Config) -> ReleaseSettings:
    section = config.section("release")
    changelog = section.values["changelog"]
    if changelog is False:
        changelog = ""
    if not isinstance(changelog, str):
        raise ConfigError(
            config.source_of("release.changelog"), "release.changelog",
            "must be a file name or false",
        )  # fmt: skip
    message = section.str("commit-message")
    if "{version}" not in message:
        raise ConfigError(
            config.source_of("release.commit-message"), "release.commit-message",
            "must contain {version}", fix='e.g. commit-message = "release: {version}"',
        )  # fmt: skip
    return ReleaseSettings(
        tag_prefix=section.str("tag-prefix"),
        changelog=changelog,
        version_source=section.str("version-source"),
        major_on_zero=section.bool("major-on-zero"),
        commit_message=message,
        builder=section.str("builder"),
        changelog_default=config.is_default("release.changelog"),
    )


def _index(stage: str, values: Mapping[str, object], config: Config) -> IndexSettings:
    """An index of the project's own: both URLs are required; no token-env means no login."""
    where = f"publish.indexes.{stage}"
    for key in ("upload-url", "simple-url"):
        if not values.get(key):
            raise ConfigError(
                config.source_of(f"{where}.{key}"), f"{where}.{key}",
                "is required for an index of your own",
                fix=f'add {key} = "https://..." under [tool.ci-sessions.{where}]',
            )  # fmt: skip
    return IndexSettings(
        stage,
        upload_url=str(values["upload-url"]),
        simple_url=str(values["simple-url"]),
        token_env=str(values.get("token-env", "")),
        username=str(values.get("username", "")) or "__token__",
        kind=str(values.get("kind", "")) or "auto",
        extra_index_url=str(values.get("extra-index-url", "")),
    )


def publish_settings(config: Config) -> PublishSettings:
    section = config.section("publish")
    configured = cast("Mapping[str, Mapping[str, object]]", section.values["indexes"])
    defaults = _default_indexes()
    indexes = {
        stage: _index(stage, configured[stage], config) if stage in configured else defaults[stage]
        for stage in STAGES
    }
    return PublishSettings(
        strategy=section.str("strategy"),
        indexes=indexes,
        smoke=_argv(section.values["smoke"], "publish.smoke", config),
        import_names=tuple(section.str_list("import-names")),
        retries=section.int("retries"),
        retry_delay=section.float("retry-delay"),
        dist_dir=section.str("dist-dir"),
    )
