"""[tool.ci-sessions.release] / [tool.ci-sessions.publish]: defaults and clear errors, through the
merged configuration (packaged defaults -> pyproject -> CI_SESSIONS_*)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.config import load_config
from ci_sessions.errors import ConfigError
from ci_sessions.release.settings import (
    PublishSettings,
    ReleaseSettings,
    publish_settings,
    release_settings,
)


def settings(
    tmp_path: Path, table: str = "", **env: str
) -> tuple[ReleaseSettings, PublishSettings]:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "demo"\nversion = "1.0"\n{table}')
    config = load_config(tmp_path, environ=env)
    return release_settings(config), publish_settings(config)


def test_defaults_publish_to_testpypi_then_pypi(tmp_path: Path) -> None:
    release, publish = settings(tmp_path)
    assert publish.strategy == "staged"
    assert publish.indexes["staging"].upload_url == "https://test.pypi.org/legacy/"
    assert publish.indexes["production"].token_env == "PYPI_TOKEN"  # noqa: S105 - a variable name
    assert (release.tag_prefix, release.changelog, release.builder) == ("v", "CHANGELOG.md", "auto")
    assert publish.smoke == ()


def test_own_indexes_smoke_as_string_and_list(tmp_path: Path) -> None:
    _, publish = settings(
        tmp_path,
        '[tool.ci-sessions.publish]\nsmoke = "demo --version"\nretries = 2\n'
        "[tool.ci-sessions.publish.indexes.staging]\n"
        'upload-url = "http://127.0.0.1:1/"\nsimple-url = "http://127.0.0.1:1/simple/"\n',
    )
    assert publish.smoke == ("demo", "--version")
    staging = publish.indexes["staging"]
    # an index of your own starts from nothing: no TestPyPI kind or extra index leaks in
    assert (staging.kind, staging.token_env, staging.username, staging.extra_index_url) == ("auto", "", "__token__", "")  # fmt: skip
    assert publish.indexes["production"].upload_url.startswith("https://upload.pypi.org")
    _, listed = settings(
        tmp_path, '[tool.ci-sessions.publish]\nsmoke = ["{python}", "-m", "demo"]\n'
    )
    assert listed.smoke == ("{python}", "-m", "demo")


def test_environment_overrides(tmp_path: Path) -> None:
    release, publish = settings(tmp_path, CI_SESSIONS_RELEASE_TAG_PREFIX="rel-", CI_SESSIONS_PUBLISH_RETRIES="9")  # fmt: skip
    assert (release.tag_prefix, publish.retries) == ("rel-", 9)


def test_changelog_false(tmp_path: Path) -> None:
    assert settings(tmp_path, "[tool.ci-sessions.release]\nchangelog = false\n")[0].changelog == ""


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[tool.ci-sessions.publish]\nstrategy = "stagged"\n', "did you mean `staged`"),
        ("[tool.ci-sessions.publish]\nsmoke = 3\n", "publish.smoke: must be a string or a list"),
        ("[tool.ci-sessions.publish]\nretries = 0\n", "publish.retries: 0 is too small"),
        (
            '[tool.ci-sessions.publish.indexes.staging]\nupload-url = "x"\n',
            "staging.simple-url: is required",
        ),
        ("[tool.ci-sessions.publish.indexes.qa]\n", "publish.indexes.qa: unknown key"),
        ('[tool.ci-sessions.publish.indexes.staging]\nkind = "pypy"\n', "did you mean `pypi`"),
        ('[tool.ci-sessions.release]\ncommit-message = "release"\n', "must contain {version}"),
        (
            '[tool.ci-sessions.release]\nmajor-on-zero = "yes"\n',
            "release.major-on-zero: wrong type",
        ),
        ('[tool.ci-sessions.release]\ntag-prefx = "v"\n', "did you mean `release.tag-prefix`"),
        ("[tool.ci-sessions.release]\nchangelog = 1\n", "changelog: must be a string or false"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, table)
    assert message in caught.value.render()
