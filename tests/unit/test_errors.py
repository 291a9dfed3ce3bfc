"""One error hierarchy: every exception ci-sessions raises on purpose is a ``CiSessionsError`` in
``errors.py``, with the exit code its command ends with; control flow is named and kept apart."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from ci_sessions import errors
from ci_sessions.errors import EXIT_GATE_FAILED, EXIT_INSTALL, EXIT_USAGE, CiSessionsError

ROOT = Path(__file__).resolve().parents[2] / "ci_sessions"
#: exceptions used as control flow, never shown as an error (each says why where it is defined)
CONTROL_FLOW = {"sessions/posargs.py:HelpRequested", "ci/reaper.py:_Stop"}


def _error_classes() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, BaseException)
    }


def _exception_classes_elsewhere() -> list[str]:
    """``path:Class`` for each class outside errors.py whose base is an exception."""
    known = set(_error_classes()) | {"Exception", "BaseException"}
    found: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "errors.py" and path.parent == ROOT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases]
            if any(base in known or base.endswith(("Error", "Exception")) for base in bases):
                found.append(f"{path.relative_to(ROOT).as_posix()}:{node.name}")
    return found


def test_every_exception_class_lives_in_errors_py() -> None:
    assert sorted(set(_exception_classes_elsewhere()) - CONTROL_FLOW) == []


def test_every_error_derives_from_the_base_and_ends_with_an_exit_code() -> None:
    for name, cls in _error_classes().items():
        assert issubclass(cls, CiSessionsError), name
        assert cls.exit_code in (1, 2, 3), name


def test_no_two_exception_classes_share_a_name() -> None:
    names = [entry.split(":")[1] for entry in _exception_classes_elsewhere()]
    names += list(_error_classes())
    assert sorted({n for n in names if names.count(n) > 1}) == []


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        # the workflow is wrong: GitHub would refuse it
        (errors.WorkflowError, EXIT_USAGE),
        (errors.ExpressionError, EXIT_USAGE),
        (errors.MatrixError, EXIT_USAGE),
        (errors.ShellError, EXIT_USAGE),
        (errors.UnsupportedRequest, EXIT_USAGE),
        (errors.TowncrierError, EXIT_USAGE),
        # the run failed where GitHub's, or the release, would
        (errors.EvaluationError, EXIT_GATE_FAILED),
        (errors.CommandFileError, EXIT_GATE_FAILED),
        (errors.UntrustedText, EXIT_GATE_FAILED),
        (errors.SarifError, EXIT_GATE_FAILED),
        (errors.PublishError, EXIT_GATE_FAILED),
        (errors.BuildError, EXIT_GATE_FAILED),
        # something to install
        (errors.MissingValidator, EXIT_INSTALL),
    ],
)
def test_each_error_has_the_exit_code_of_what_went_wrong(
    cls: type[CiSessionsError], code: int
) -> None:
    assert cls.exit_code == code


def test_a_message_stays_bare_for_the_job_log_and_renders_for_the_command() -> None:
    error = errors.EvaluationError("ci.yml:4 (jobs.a.if)", "fromJSON(x)", "not valid JSON")
    assert error.message == "ci.yml:4 (jobs.a.if): cannot evaluate `${{ fromJSON(x) }}`: not valid JSON"  # fmt: skip
    assert error.render() == f"ci-sessions: expression error: {error.message}"
    assert isinstance(errors.MissingValidator("no jsonschema"), errors.InstallError)
