"""The CLI's last resort: a bug is one line, a log and exit 3; an expected error is its message."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions import cli
from ci_sessions.errors import EXIT_UNEXPECTED, ConfigError


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_unexpected_exception_is_one_line_a_log_and_exit_3(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_sessions.history import ratchet

    def broken(argv: list[str]) -> int:
        raise KeyError("injected failure")

    monkeypatch.setattr(ratchet, "main", broken)
    assert cli.main(["ratchet", "--dry-run"]) == EXIT_UNEXPECTED == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines == [
        "ci-sessions: unexpected error (KeyError: 'injected failure'); a bug, please report it; "
        "the log with versions and the traceback: .ci-sessions/crash.log"
    ]
    log = (project / ".ci-sessions" / "crash.log").read_text(encoding="utf-8")
    assert "ci-sessions ratchet --dry-run" in log
    assert "in broken" in log and "KeyError: 'injected failure'" in log


def test_an_expected_error_prints_its_own_message_and_code_without_a_log(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_sessions.history import ratchet

    def refused(argv: list[str]) -> int:
        raise ConfigError("pyproject.toml", "tool.ci-sessions.x", "is not a key")

    monkeypatch.setattr(ratchet, "main", refused)
    assert cli.main(["ratchet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ci-sessions: configuration error in pyproject.toml: tool.ci-sessions.x")
    assert "unexpected" not in err
    assert not (project / ".ci-sessions" / "crash.log").exists()


def test_a_failure_while_loading_the_command_is_caught_too(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def cannot_load() -> cli.CommandModule:
        raise ImportError("a broken install")

    monkeypatch.setitem(cli.COMMANDS, "ratchet", cli.COMMANDS["ratchet"]._replace(load=cannot_load))
    assert cli.main(["ratchet"]) == 3
    assert "ImportError: a broken install" in capsys.readouterr().err


def test_interrupt_and_exit_are_not_crashes(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_sessions.history import ratchet

    def interrupted(argv: list[str]) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(ratchet, "main", interrupted)
    assert cli.main(["ratchet"]) == 130
    monkeypatch.undo()
    with pytest.raises(SystemExit) as exited:
        cli.main(["ratchet", "--no-such-option"])
    assert exited.value.code == 2
    assert not (project / ".ci-sessions" / "crash.log").exists()


def test_a_missing_tool_says_how_to_install_it_and_ends_with_exit_3(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_sessions.errors import InstallError
    from ci_sessions.history import ratchet

    def missing(argv: list[str]) -> int:
        raise InstallError("tomlkit is not installed", fix="pip install tomlkit")

    monkeypatch.setattr(ratchet, "main", missing)
    assert cli.main(["ratchet"]) == 3
    err = capsys.readouterr().err
    assert "tomlkit is not installed" in err and "pip install tomlkit" in err
    assert "unexpected" not in err  # not a bug: no crash log
    assert not (project / ".ci-sessions" / "crash.log").exists()
