"""Every error ci-sessions raises on purpose, one hierarchy caught once by the CLI and the sessions.

Each class carries the exit code its command ends with and renders a message that names what went
wrong and how to fix it; nothing here prints a traceback. Modelled on pip-audit's per-family error
bases: code raises the most specific class, the CLI and the sessions catch :class:`CiSessionsError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: exit codes shared by every command and session
EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
#: ci-sessions could not do its work: a tool or dependency it needs is missing (InstallError,
#: which says how to install it), or a bug: one line and the path of a crash log
#: (``ci_sessions._crash``); pre-commit ends both kinds the same way
EXIT_INSTALL = 3
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


def close_match(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to a misspelt name, if any is close enough (for "did you mean")."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else None


class CiSessionsError(Exception):
    """Base of every expected failure: a message for a person, and the exit code to end with."""

    exit_code: int = EXIT_USAGE
    #: what the first line calls the problem ("configuration error", "git error", ...)
    kind: str = "error"

    def __init__(self, message: str, *, fix: str = "") -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"ci-sessions: {self.kind}: {self.message}"]
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        return "\n".join(lines)


class ConfigError(CiSessionsError):
    """A configuration problem: names the file (or variable), the key, what was expected."""

    kind = "configuration error"

    def __init__(
        self,
        source: str,
        key: str,
        problem: str,
        *,
        expected: str = "",
        suggestion: str | None = None,
        fix: str = "",
    ) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        self.expected = expected
        self.suggestion = suggestion
        super().__init__(problem, fix=fix)

    def render(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        lines = [f"ci-sessions: {self.kind} in {where}: {self.problem}"]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.suggestion:
            lines.append(f"  did you mean `{self.suggestion}`?")
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        return "\n".join(lines)


class UsageError(CiSessionsError):
    """A bad command line or session argument."""

    kind = "usage error"


class GitError(CiSessionsError):
    """git is missing, the directory is not a repository, or a ref cannot be resolved."""

    kind = "git error"


class InstallError(CiSessionsError):
    """A tool or optional dependency ci-sessions needs is not installed; says how to install it."""

    exit_code = EXIT_INSTALL
    kind = "install error"


class EnvError(CiSessionsError):
    """An environment could not be made (interpreter missing, an install failed)."""

    kind = "environment error"

    def __init__(self, message: str, *, fix: str = "", missing_interpreter: bool = False) -> None:
        #: True when the only problem is that the interpreter is not installed here (a laptop may
        #: SKIP such a cell; CI may not); every other environment failure is an ERROR row.
        self.missing_interpreter = missing_interpreter
        super().__init__(message, fix=fix)

    def render(self) -> str:
        return self.message + (f"\n  fix: {self.fix}" if self.fix else "")


class UnsafePathError(CiSessionsError):
    """A path from input that would lead out of the folder it must stay in, or through a link:
    refused before anything is written or deleted there."""

    kind = "unsafe path"


class HistoryError(CiSessionsError):
    """The run history cannot be read or written."""

    kind = "history error"


class HistoryImportError(UsageError):
    """A file given to ``history import`` by name is neither a ci-sessions run nor a JUnit
    report, or is not there."""


class BaselineError(CiSessionsError):
    """The findings baseline cannot be recorded or read."""

    kind = "baseline error"
    exit_code = EXIT_GATE_FAILED


class WrongPython(EnvError):
    """A requirement does not install on this Python (its Requires-Python excludes it)."""


class GraphUnavailable(CiSessionsError):
    """The import graph cannot be built; the caller runs the whole suite and says why."""

    kind = "import graph unavailable"


class SessionListError(CiSessionsError):
    """nox could not list the noxfile's sessions, or its output was not what we expect
    (``ci-sessions matrix``)."""

    kind = "session list error"


class BuildError(CiSessionsError):
    """The project did not build; the message holds the end of the build log."""

    kind = "build error"
    exit_code = EXIT_GATE_FAILED


class TowncrierError(CiSessionsError):
    """towncrier could not draft or write the changelog (``ci-sessions release``)."""

    kind = "towncrier error"


class PublishError(CiSessionsError):
    """An index refused an upload, or could not be reached (``ci-sessions release publish``)."""

    kind = "publish error"
    exit_code = EXIT_GATE_FAILED


# -- ``ci-sessions ci``: what a workflow asks that GitHub would refuse or fail on ---------------
# Raised and caught inside ci/: the message (file, line, key, why) becomes a job's error or a
# failed step's line, so catch sites show ``.message``; one that escapes is exit 2 (the workflow
# is wrong) or exit 1 (the run failed where GitHub's would), rendered like every other error.


class WorkflowError(CiSessionsError):
    """Something in a workflow ``ci-sessions ci`` cannot run as GitHub would."""

    kind = "workflow error"


class ExpressionError(WorkflowError):
    """A ``${{ }}`` expression that cannot be parsed or evaluated; the message says why."""

    kind = "expression error"


class EvaluationError(WorkflowError):
    """An expression failed at run time (bad JSON from an output, a format() without argument):
    the job fails, as it would on GitHub."""

    kind = "expression error"
    exit_code = EXIT_GATE_FAILED

    def __init__(self, where: object, text: str, problem: str) -> None:
        #: the place in the workflow (``file:line (key)`` as text)
        self.where = where
        super().__init__(f"{where}: cannot evaluate `${{{{ {text} }}}}`: {problem}")


class MatrixError(WorkflowError):
    """A ``strategy.matrix`` GitHub would refuse (not a mapping, an empty vector, no cell)."""

    kind = "matrix error"


class ShellError(WorkflowError):
    """A ``shell:`` this runner cannot start (unknown, or its program is missing)."""

    kind = "shell error"


class UnsupportedRequest(WorkflowError):
    """A setup-python ``python-version`` this runner cannot map to a local CPython (PyPy,
    free-threaded)."""

    kind = "unsupported python-version"


class CommandFileError(WorkflowError):
    """A step wrote a GITHUB_OUTPUT / GITHUB_ENV file the runner would reject: the step fails."""

    kind = "command file error"
    exit_code = EXIT_GATE_FAILED


class UntrustedText(WorkflowError):
    """An untrusted value (a branch name, a commit message) that no variable can carry safely
    into this ``run:`` script: the step fails rather than paste it as shell text."""

    kind = "untrusted text"
    exit_code = EXIT_GATE_FAILED


class SarifError(WorkflowError):
    """A SARIF file that is missing, not JSON, or not valid SARIF 2.1.0: the upload step fails."""

    kind = "SARIF error"
    exit_code = EXIT_GATE_FAILED


class MissingValidator(InstallError):
    """jsonschema (the ``sarif`` extra) is not installed, so a SARIF file cannot be checked."""


class YamlError(CiSessionsError):
    """A YAML file that is not valid YAML: the problem, and its line (0 when unknown)."""

    kind = "YAML error"

    def __init__(self, problem: str, *, line: int = 0) -> None:
        self.line = line
        super().__init__(problem)
