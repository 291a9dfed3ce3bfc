"""An unexpected exception: one line for the person, a log with everything for the bug report.

Expected failures are :class:`~ci_sessions.errors.CiSessionsError` and print their own message.
Anything else is a bug in ci-sessions (or in what it runs on): the ``ci-sessions`` command and the
nox sessions print one line naming the exception and the path of a log holding the versions
(ci-sessions, Python, platform, nox), the command and the traceback, and end with exit status 3
(a session fails). Modelled on pre-commit's ``error_handler.py``.

The log goes to ``.ci-sessions/crash.log`` in the project (the nearest folder up from the
working directory with a pyproject.toml, setup.py, setup.cfg or noxfile.py), else to the user's
cache folder; it is written atomically and never through a link. The environment is not
written, and every value that may be a secret (variables named like tokens and passwords, the
variables ``--secret`` names, credentials inside URLs) is masked in the line and the log, by the
one masking function (:func:`ci_sessions._secrets.mask`).
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

from ci_sessions._fs import atomic_write_text
from ci_sessions._secrets import MIN_LENGTH, mask
from ci_sessions._version import __version__
from ci_sessions.errors import EXIT_UNEXPECTED

LOG_NAME = "crash.log"
#: what marks a folder as a project's root
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "noxfile.py")
#: variable names whose values are secrets (not PWD, the working directory)
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW(?:OR)?D|API_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH", re.IGNORECASE
)
#: options whose value is a secret, or names a variable holding one (``ci-sessions ci --secret``)
_SECRET_OPTIONS = ("--password", "--token")
_NAMING_OPTIONS = ("--secret",)
_MAX_LINE = 300


def secrets_of(
    argv: Sequence[str], environ: Mapping[str, str], named: Iterable[str] = ()
) -> set[str]:
    """The values that must never reach the line or the log: variables whose names say secret,
    the variables ``named`` (the project's ``token-env`` settings), and values given or named by
    a secret option."""
    named = set(named)
    found = {value for name, value in environ.items() if name in named or _SECRET_NAME.search(name)}
    for index, arg in enumerate(argv):
        option, equals, inline = arg.partition("=")
        if option not in _SECRET_OPTIONS + _NAMING_OPTIONS:
            continue
        value = inline if equals else (argv[index + 1] if index + 1 < len(argv) else "")
        if option in _SECRET_OPTIONS:
            found.add(value)
            continue
        name, is_pair, given = value.partition("=")  # --secret NAME or --secret NAME=VALUE
        found.add(given if is_pair else environ.get(name, ""))
    return {value for value in found if len(value) >= MIN_LENGTH}


def token_variables(root: Path | None, environ: Mapping[str, str]) -> set[str]:
    """The variables the project names as holding tokens (every ``token-env`` under
    ``[tool.ci-sessions]``, and ``CI_SESSIONS_..._TOKEN_ENV`` overrides), whatever they are called.

    Read from the file directly, never through the configuration loader: it may be what failed.
    """
    names = {value for key, value in environ.items() if key.endswith("_TOKEN_ENV") and value}
    if root is None:
        return names
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with (root / "pyproject.toml").open("rb") as handle:
            document: object = tomllib.load(handle)
    except (OSError, ValueError, RecursionError):
        return names
    pending: list[object] = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in cast("dict[str, object]", node).items():
                if key == "token-env" and isinstance(value, str) and value:
                    names.add(value)
                else:
                    pending.append(value)
        elif isinstance(node, list):
            pending.extend(cast("list[object]", node))
    return names


def project_root(start: Path) -> Path | None:
    """The nearest folder from ``start`` up that holds a project file, if any."""
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in _PROJECT_FILES):
            return folder
    return None


def cache_dir(environ: Mapping[str, str]) -> Path:
    """The user's cache folder for ci-sessions (XDG on Unix, LOCALAPPDATA on Windows)."""
    if os.name == "nt" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "ci-sessions" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ci-sessions"
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ci-sessions"


def _nox_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("nox")
    except metadata.PackageNotFoundError:
        return "not installed"


def log_text(exc: BaseException, argv: Sequence[str], secrets: Iterable[str]) -> str:
    """The log: when, the versions, the command, the error and its traceback, secrets masked."""
    formatted = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = "\n".join(
        [
            "# ci-sessions: unexpected error",
            "",
            "Please attach this file to a bug report (secrets in it are masked as ****).",
            "",
            "## versions",
            "",
            f"- when: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
            f"- ci-sessions: {__version__}",
            f"- Python: {platform.python_version()} ({platform.python_implementation()}) "
            f"{sys.executable}",
            f"- platform: {platform.platform()}",
            f"- nox: {_nox_version()}",
            "",
            "## command",
            "",
            "```",
            " ".join(argv),
            "```",
            "",
            "## error",
            "",
            "```",
            formatted.rstrip("\n"),
            "```",
            "",
        ]
    )
    return mask(text, secrets)


def _write(folder: Path, text: str) -> Path | None:
    """``folder/crash.log`` written atomically; None when the folder is a link or unwritable."""
    try:
        if folder.is_symlink():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / LOG_NAME
        if log.is_symlink():
            return None
        atomic_write_text(log, text)
    except OSError:
        return None
    return log


def _shown(path: Path, root: Path | None) -> str:
    """Relative to the working directory inside the project (``../.ci-sessions/crash.log`` from
    a subfolder), else absolute (the cache folder)."""
    with contextlib.suppress(ValueError, OSError):
        if root is not None and path.is_relative_to(root):
            return os.path.relpath(path)
    return str(path)


def report(
    exc: BaseException,
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    start: Path | None = None,
) -> str:
    """Write the log of ``exc`` and return the one line to show (masked)."""
    argv = list(sys.argv if argv is None else argv)
    environ = os.environ if environ is None else environ
    root = project_root((start or Path.cwd()).resolve())
    secrets = secrets_of(argv, environ, token_variables(root, environ))
    text = log_text(exc, argv, secrets)
    folders = [root / ".ci-sessions"] if root is not None else []
    folders.append(cache_dir(environ))
    log = next((path for folder in folders if (path := _write(folder, text))), None)
    first = (str(exc).strip().splitlines() or [""])[0]
    what = mask(f"{type(exc).__name__}: {first}" if first else type(exc).__name__, secrets)
    if len(what) > _MAX_LINE:  # cut after masking: never half a secret
        what = what[: _MAX_LINE - 3] + "..."
    where = (
        f"the log with versions and the traceback: {_shown(log, root)}"
        if log is not None
        else "no log could be written, the traceback follows"
    )
    if log is None:
        print(text, file=sys.stderr)
    return f"ci-sessions: unexpected error ({what}); a bug, please report it; {where}"


def guard(main: Callable[[], int], argv: Sequence[str]) -> int:
    """Run a command's ``main``: an unexpected exception is the one line, the log and exit 3
    (``python -m ci_sessions.release`` and ``python -m ci_sessions.ci``; ``cli.main`` for the
    ``ci-sessions`` command)."""
    try:
        return main()
    except Exception as exc:
        print(report(exc, argv), file=sys.stderr)
        return EXIT_UNEXPECTED
