"""An unexpected exception: one line, a log with versions, command and traceback, secrets masked."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

from ci_sessions import _crash
from ci_sessions._version import __version__

TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"  # noqa: S105  # pragma: allowlist secret


def _boom(message: str = "boom") -> RuntimeError:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return exc


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    return tmp_path


def test_the_log_goes_to_the_project_and_holds_everything(project: Path) -> None:
    line = _crash.report(_boom("boom\nsecond line"), ["ci-sessions", "init"], environ={})
    log = project / ".ci-sessions" / "crash.log"
    assert "\n" not in line
    assert line.startswith("ci-sessions: unexpected error (RuntimeError: boom)")
    assert line.endswith(os.path.relpath(log))  # relative to where the command ran
    text = log.read_text(encoding="utf-8")
    for expected in (
        f"- ci-sessions: {__version__}",
        f"- Python: {platform.python_version()}",
        f"- platform: {platform.platform()}",
        "- nox: ",
        "ci-sessions init",
        "Traceback (most recent call last):",
        "RuntimeError: boom\nsecond line",
        "in _boom",
    ):
        assert expected in text


def test_outside_a_project_the_log_goes_to_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    line = _crash.report(_boom(), ["ci-sessions"], environ={"XDG_CACHE_HOME": str(cache)})
    assert (cache / "ci-sessions" / "crash.log").is_file()
    assert not (tmp_path / ".ci-sessions").exists()  # no state folder where there is no project
    assert line.endswith(str(cache / "ci-sessions" / "crash.log"))


def test_never_through_a_link(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (project / ".ci-sessions").symlink_to(elsewhere, target_is_directory=True)
    cache = tmp_path_factory.mktemp("cache")
    _crash.report(_boom(), ["ci-sessions"], environ={"XDG_CACHE_HOME": str(cache)})
    assert list(elsewhere.iterdir()) == []  # the link's target is not written
    assert (cache / "ci-sessions" / "crash.log").is_file()


def test_a_linked_log_file_is_not_written_through(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = tmp_path_factory.mktemp("t") / "victim"
    target.write_text("keep", encoding="utf-8")
    (project / ".ci-sessions").mkdir()
    (project / ".ci-sessions" / "crash.log").symlink_to(target)
    cache = tmp_path_factory.mktemp("cache")
    _crash.report(_boom(), ["ci-sessions"], environ={"XDG_CACHE_HOME": str(cache)})
    assert target.read_text(encoding="utf-8") == "keep"
    assert (cache / "ci-sessions" / "crash.log").is_file()


def test_secrets_never_reach_the_line_or_the_log(project: Path) -> None:
    environ = {
        "GITHUB_TOKEN": TOKEN,
        "MY_DEPLOY_KEY_SECRET": "s3cr3t-value",
        "PYPI_PASSWORD": "hunter2-pw",
        "NAMED_BY_FLAG": "flag-named-value",
        "PWD": "/home/someone",  # the working directory, not a password
    }
    argv = [
        "ci-sessions", "ci", "--secret", "NAMED_BY_FLAG", "--secret=OTHER=inline-value",
        "--token", "cli-token-value", "--index", "https://user:url-password@example.org/simple",
    ]  # fmt: skip
    message = f"failed with {TOKEN} and flag-named-value and https://user:url-password@host/"
    line = _crash.report(_boom(message), argv, environ=environ)
    text = (project / ".ci-sessions" / "crash.log").read_text(encoding="utf-8")
    for secret in (
        TOKEN, "s3cr3t-value", "hunter2-pw", "flag-named-value", "inline-value",
        "cli-token-value", "url-password",
    ):  # fmt: skip
        assert secret not in text, secret
        assert secret not in line, secret
    assert "****" in line
    assert "/home/someone" not in _crash.secrets_of(argv, environ)
    assert "https://user:****@example.org/simple" in text


def test_a_long_message_is_cut_after_masking(project: Path) -> None:
    message = "x" * 290 + TOKEN
    line = _crash.report(_boom(message), ["ci-sessions"], environ={"GITHUB_TOKEN": TOKEN})
    assert TOKEN[:8] not in line  # never half a secret
    assert "...)" in line


def test_the_environment_is_not_written(project: Path) -> None:
    _crash.report(_boom(), ["ci-sessions"], environ={"SOME_SETTING": "visible-only-in-env"})
    text = (project / ".ci-sessions" / "crash.log").read_text(encoding="utf-8")
    assert "visible-only-in-env" not in text


def test_when_no_log_can_be_written_the_traceback_goes_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    line = _crash.report(_boom(), ["ci-sessions"], environ={"XDG_CACHE_HOME": str(blocked)})
    assert "no log could be written" in line
    assert "Traceback (most recent call last):" in capsys.readouterr().err


def test_a_token_variable_the_project_names_is_masked_whatever_its_name(project: Path) -> None:
    """``token-env = "UPLOAD_KEY"`` names no secret by its spelling: the crash log still masks
    its value, and the value of a variable an override names."""
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n'
        "[tool.ci-sessions.publish.indexes.production]\n"
        'token-env = "UPLOAD_KEY"\n',
        encoding="utf-8",
    )
    environ = {
        "UPLOAD_KEY": "pypi-upload-value",
        "CI_SESSIONS_PUBLISH_INDEXES_STAGING_TOKEN_ENV": "STAGE_UPLOAD",
        "STAGE_UPLOAD": "staging-upload-value",
    }
    message = "failed with pypi-upload-value and staging-upload-value"
    line = _crash.report(_boom(message), ["ci-sessions", "release"], environ=environ)
    text = (project / ".ci-sessions" / "crash.log").read_text(encoding="utf-8")
    for secret in ("pypi-upload-value", "staging-upload-value"):
        assert secret not in text, secret
        assert secret not in line, secret
    assert "****" in line
