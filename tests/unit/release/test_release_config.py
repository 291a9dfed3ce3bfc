"""[tool.ci-sessions.release] / [tool.ci-sessions.publish]: defaults and clear errors."""

from __future__ import annotations

import pytest

from ci_sessions.errors import ConfigError
from ci_sessions.release.config import publish_settings, release_settings


def tool(**tables: object) -> dict[str, object]:
    return {"tool": {"ci-sessions": tables}}


def test_defaults_publish_to_testpypi_then_pypi() -> None:
    settings = publish_settings({})
    assert settings.strategy == "staged"
    assert settings.indexes["staging"].upload_url == "https://test.pypi.org/legacy/"
    assert settings.indexes["production"].token_env == "PYPI_TOKEN"  # noqa: S105 - a variable name
    assert release_settings({}).tag_prefix == "v"


def test_own_indexes_smoke_as_string_and_list() -> None:
    index = {"upload-url": "http://127.0.0.1:1/", "simple-url": "http://127.0.0.1:1/simple/"}
    settings = publish_settings(
        tool(publish={"smoke": "demo --version", "indexes": {"staging": index}, "retries": 2})
    )
    assert settings.smoke == ("demo", "--version")
    staging = settings.indexes["staging"]
    assert (staging.kind, staging.token_env, staging.username) == ("auto", "", "__token__")
    assert settings.indexes["production"].upload_url.startswith("https://upload.pypi.org")
    assert (
        publish_settings(tool(publish={"smoke": ["{python}", "-m", "demo"]})).smoke[0] == "{python}"
    )


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"publish": {"strategy": "stagged"}}, "did you mean `staged`"),
        ({"publish": {"smoke": 3}}, "publish.smoke: must be a string or a list"),
        ({"publish": {"retries": 0}}, "publish.retries: must be a whole number"),
        (
            {"publish": {"indexes": {"staging": {"upload-url": "x"}}}},
            "staging.simple-url: is required",
        ),
        ({"publish": {"indexes": {"qa": {}}}}, "publish.indexes.qa: unknown key"),
        (
            {
                "publish": {
                    "indexes": {"staging": {"upload-url": "x", "simple-url": "y", "kind": "pypy"}}
                }
            },
            "did you mean `pypi`",
        ),
        ({"release": {"commit-message": "release"}}, "must contain {version}"),
        ({"release": {"major-on-zero": "yes"}}, "must be true or false"),
        ({"release": "v"}, "release: must be a table"),
    ],
)
def test_bad_values_name_the_key(tables: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        release_settings(tool(**tables))
        publish_settings(tool(**tables))
    assert message in caught.value.render()
