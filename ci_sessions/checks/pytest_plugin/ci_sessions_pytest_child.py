"""What a Python process started by a test reaches, so that the test need not rerun on every edit.

A test that starts ``python`` (``sys.executable``, ``python -m``, a console script) runs project
code the test process never sees. The tracker (``ci_sessions_pytest_reach``) follows such a
process when it can:

- a one-line ``.pth`` file in the test environment's ``site-packages`` (``install_pth``) runs this
  file in every Python process of that environment whose environment holds ``CHILD_VARIABLE``;
- the tracker sets the variable, with a token of its own, just before a Python process starts
  (the ``subprocess.Popen`` audit event), in ``os.environ`` or in the ``env`` the test passed;
- the process records what it runs and reads to ``<folder>/<token>.<pid>``, one line per fact,
  written as it happens: a process killed at the end of a test has recorded all it ran;
- the tracker merges each record into the bucket of the code that started the process.

A process that wrote no record (another interpreter, ``python -S``, an ``env`` without the
variable, a Python without ``sys.monitoring``) is not followed: its test reruns on any change,
as before. This file imports nothing outside the standard library: it runs before anything else
in the process, and the process may be anything.

It also holds what both sides need: which paths are the project's, who reads a file, and what a
started process may run.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import sysconfig
from _thread import get_ident
from collections.abc import Callable
from typing import Any

#: the variable that asks a Python process to record what it runs (JSON: ``root``, ``packages``,
#: ``folder``, ``token``). Not ``CI_SESSIONS_*``: those are configuration settings.
CHILD_VARIABLE = "_CI_SESSIONS_PYTEST_CHILD"
#: sorts before the ``.pth`` files of packages, so it runs before any of them
PTH_NAME = "00-ci-sessions-pytest-child.pth"
HEADER = "h"
#: folders of a project whose files are never the project's own (environments, caches)
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".nox", ".tox", ".venv", "venv", ".ci-sessions", "__pycache__",
     "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".eggs"}
)  # fmt: skip
SITE = f"{os.sep}site-packages{os.sep}"
#: audit events that start a process
SPAWNS = frozenset(
    {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
     "os.forkpty", "os.startfile", "pty.spawn"}
)  # fmt: skip
WATCHED = SPAWNS | {"open", "os.listdir", "os.scandir", "import"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
PYTHON_PROCESS = "a Python process"


def project_paths(root: str, packages: frozenset[str]) -> Callable[[object], str]:
    """A function from a path (as code names it) to the absolute path of a project file (or of
    a project package's installed copy), or an empty string for anything else."""
    roots = tuple(
        {os.path.join(os.path.abspath(root), ""), os.path.join(os.path.realpath(root), "")}
    )
    keep: dict[str, str] = {}

    def project_path(raw: object) -> str:
        if not isinstance(raw, str):
            try:
                raw = os.fsdecode(os.fspath(raw))  # type: ignore[arg-type]
            except TypeError:
                return ""
        known = keep.get(raw)
        if known is not None:
            return known
        found = ""
        if raw and not raw.startswith("<"):
            path = os.path.normpath(raw if os.path.isabs(raw) else os.path.abspath(raw))
            site = path.find(SITE)
            if site >= 0:
                top = path[site + len(SITE) :].split(os.sep, 1)[0]
                if top.removesuffix(".py") in packages:
                    found = path
            else:
                for base in roots:
                    if path.startswith(base) or path + os.sep == base:
                        parts = path[len(base) :].split(os.sep)
                        if not SKIP_DIRS.intersection(parts[:-1] if parts else ()):
                            found = path
                        break
        if len(keep) < 200_000:
            keep[raw] = found
        return found

    return project_path


STDLIB = os.path.join(sysconfig.get_paths()["stdlib"], "")
_PYTEST_CODE = f"{os.sep}_pytest{os.sep}"
_METADATA = os.path.join(STDLIB, "importlib", "metadata", "")


def lister(frame: Any) -> str:
    """Who lists a folder or reads a file: ``imports`` (the import system: its folder cache,
    the source it compiles; imports and code are tracked as such), ``pytest`` (its collection,
    where each file is a test file of its own, and its reports), ``distributions``
    (``importlib.metadata`` looking for ``*.dist-info``), or ``code``."""
    while frame is not None:
        code = frame.f_code.co_filename
        if code.startswith("<frozen importlib"):
            return "imports"
        if _METADATA in code:
            return "distributions"
        if not code.startswith(STDLIB) or SITE in code:
            return "pytest" if _PYTEST_CODE in code else "code"
        frame = frame.f_back
    return "code"


#: programs that run other programs (or Python itself) given as arguments
LAUNCHERS = frozenset(
    {"sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh", "env", "cmd", "cmd.exe",
     "powershell", "pwsh", "xargs", "nice", "nohup", "timeout", "time", "sudo", "doas", "exec",
     "uv", "uvx", "pipx", "pip", "nox", "tox", "pre-commit", "make", "coverage", "pytest",
     "py.test", "hatch", "pdm", "poetry", "conda", "mamba", "strace", "valgrind", "gdb"}
)  # fmt: skip
#: version-control commands that read every file of the work tree (the others read .git only)
VCS_CONTENT = frozenset(
    {"add", "commit", "diff", "status", "stash", "grep", "blame", "annotate", "archive",
     "hash-object", "show", "log", "ls-files", "cat", "update-index", "describe"}
)  # fmt: skip


def words_of(argv: object) -> list[str]:
    if isinstance(argv, (str, bytes, os.PathLike)):
        return [os.fsdecode(os.fspath(argv))]  # type: ignore[arg-type]
    try:
        return [os.fsdecode(os.fspath(word)) for word in argv]  # type: ignore[union-attr]
    except TypeError:
        return [str(argv)]


def runs_code(program: str, words: list[str]) -> str:
    """Why a process may run project code (or read every project file), or an empty string."""
    name = os.path.basename(program).lower().removesuffix(".exe")
    if name.startswith(("python", "pypy")) or program == sys.executable:
        return PYTHON_PROCESS
    if name in LAUNCHERS:
        return "a process that runs others"
    if name in ("git", "hg") and any(word in VCS_CONTENT for word in words[1:]):
        return "a version-control command that reads the work tree"
    if name.endswith((".py", ".sh", ".bat", ".cmd", ".ps1")):
        return "a script"
    located = program if os.sep in program else _which(program)
    line = _shebang(located) if located else ""
    if line:
        return "a Python script" if _python_shebang(line) else "a script"
    return ""


def _which(program: str) -> str:
    import shutil

    return shutil.which(program) or ""


def _shebang(path: str) -> str:
    """The first line of a file that starts with ``#!`` (an interpreter runs it), or ""."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return ""
    if not head.startswith(b"#!"):
        return ""
    return head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip() or "#!"


def _python_shebang(line: str) -> bool:
    """A console script: its ``#!`` line names a Python of its own and nothing else."""
    words = line.split()
    return len(words) == 1 and os.path.basename(words[0]).startswith("python")


def claim_tool(monitoring: Any) -> int | None:
    """A ``sys.monitoring`` tool id of our own (ids no tool claims by convention: debugger 0,
    coverage 1, ...); None without ``sys.monitoring`` or when both are taken (a tracked test
    process that is itself a followed process holds one of each)."""
    if monitoring is None:
        return None
    for tool in (4, 3):
        try:
            monitoring.use_tool_id(tool, "ci-sessions")
        except ValueError:
            continue
        return tool
    return None


def read_path(args: tuple[Any, ...]) -> object:
    """The path an ``open`` audit event reads (None: a descriptor, or opened only to write)."""
    path, mode, flags = args[0], args[1], args[2]
    if isinstance(path, int):
        return None
    if mode is None:
        if isinstance(flags, int) and flags & WRITE_FLAGS:
            return None
    elif "r" not in mode and "+" not in mode:
        return None
    return path


class Started:
    """What a started process means for what a test reaches."""

    __slots__ = ("followable", "reads", "untracked")

    def __init__(self, untracked: str = "", followable: bool = False) -> None:
        #: why it may run project code that is not followed (empty: it runs none)
        self.untracked = untracked
        #: a Python process the child tracker can follow (when its environment lets it)
        self.followable = followable
        #: project files its arguments name (a process that runs no project code reads them)
        self.reads: list[str] = []


def process_started(
    event: str, args: tuple[Any, ...], project_path: Callable[[object], str]
) -> Started:
    """What the audit event ``event`` of a started process means (see ``Started``)."""
    if event in ("os.fork", "os.forkpty"):
        return Started(f"a copy of the test process ({event})")
    if event in ("os.system", "os.startfile", "pty.spawn"):
        return Started(f"a shell command ({event}: {str(args[0])[:120]})")
    if event == "subprocess.Popen":
        executable, argv, cwd = args[0], args[1], args[2]
    elif event == "os.spawn":
        executable, argv, cwd = args[1], args[2], None
    else:  # os.exec, os.posix_spawn
        executable, argv, cwd = args[0], args[1], None
    words = words_of(argv)
    program = words_of([executable])[0] if executable is not None else (words or [""])[0]
    why = runs_code(program, words)
    if why:
        shown = " ".join([os.path.basename(program), *words[1:]])
        followable = event == "subprocess.Popen" and why in (PYTHON_PROCESS, "a Python script")
        return Started(f"{why} ({shown[:120]})", followable)
    started = Started()
    base = words_of([cwd])[0] if cwd is not None else os.getcwd()
    for word in words[1:]:
        candidate = os.path.join(base, word)
        if word.startswith("-") or not os.path.exists(candidate):
            continue
        found = project_path(candidate)
        if found:
            started.reads.append(found)
    return started


class Launches:
    """``process_started`` for a stream of audit events: ``subprocess.Popen`` may start its
    process through ``os.posix_spawn`` (Python 3.13 does when it can), which raises an event of
    its own for the same process: that echo means nothing more."""

    def __init__(self, project_path: Callable[[object], str]) -> None:
        self.project_path = project_path
        self.popen: tuple[int, list[str]] | None = None

    def started(self, event: str, args: tuple[Any, ...]) -> Started:
        if event == "os.posix_spawn" and self.popen == (get_ident(), words_of(args[1])):
            self.popen = None
            return Started()
        if event == "subprocess.Popen":
            self.popen = (get_ident(), words_of(args[1]))
        return process_started(event, args, self.project_path)


class Children:
    """Tokens for the Python processes this process starts, and their records."""

    def __init__(self, root: str, packages: frozenset[str], folder: str) -> None:
        self.settings = {"root": root, "packages": sorted(packages), "folder": folder}
        self.folder = folder
        #: this process's tokens start with its pid and a random number: a pid comes back
        #: once its process is gone, and a token must name one process's children only
        self.prefix = f"{os.getpid()}{int.from_bytes(os.urandom(5), 'big'):013d}"
        self.count = 0

    def offer(self) -> None:
        """Put the variable, without a token, in ``os.environ``: a test that starts a process
        with a copy of it (``env={**os.environ, "X": "1"}``, werkzeug's dev server) then hands
        the process the variable, and ``follow`` gives that copy a token. A process that gets
        no token records nothing."""
        os.environ[CHILD_VARIABLE] = json.dumps({**self.settings, "token": ""})

    def follow(self, args: tuple[Any, ...]) -> str:
        """Give the process a ``subprocess.Popen`` event starts a token to record under (in
        the environment it gets), or return "" when its environment cannot carry one."""
        env = args[3] if len(args) > 3 else None
        self.count += 1
        token = f"{self.prefix}-{self.count}"
        value = json.dumps({**self.settings, "token": token})
        if env is None:
            os.environ[CHILD_VARIABLE] = value  # inherited: Popen reads os.environ after this
        elif isinstance(env, dict) and CHILD_VARIABLE in env:
            env[CHILD_VARIABLE] = value  # a copy of os.environ: its token was an older one
        else:
            return ""
        return token

    def records(self, token: str) -> list[list[str]] | None:
        """The lines the processes that got ``token`` recorded (its own children and their
        descendants that inherited it), or None when none of them recorded from its start."""
        prefix = f"{token}."
        try:
            names = [n for n in os.listdir(self.folder) if n.startswith(prefix)]
        except OSError:
            return None
        found: list[list[str]] = []
        for name in sorted(names):
            try:
                with open(
                    os.path.join(self.folder, name), encoding="utf-8", errors="replace"
                ) as handle:
                    lines = handle.read().split("\n")[:-1]  # a last line cut short never ran
            except OSError:
                return None
            if HEADER not in lines:
                return None  # it started and did not get as far as tracking: not followed
            found.append(lines)
        return found or None

    def clear(self) -> None:
        """Remove the records (files named as records are: nothing else) and their folder."""
        with contextlib.suppress(OSError):
            for name in os.listdir(self.folder):
                if is_record(name):
                    os.unlink(os.path.join(self.folder, name))
            os.rmdir(self.folder)


def is_record(name: str) -> bool:
    """A record's name: ``<prefix of the starter>-<count>.<pid>`` (a token, then the recording
    process)."""
    token, dot, pid = name.rpartition(".")
    starter, dash, count = token.partition("-")
    return bool(dot and dash) and pid.isdigit() and starter.isdigit() and count.isdigit()


class ChildTracker:
    """Records what this process runs, reads and starts, line by line, to a file."""

    def __init__(self, settings: dict[str, Any], fd: int) -> None:
        root = str(settings["root"])
        packages = frozenset(str(p) for p in settings.get("packages", []))
        self.project_path = project_paths(root, packages)
        self.launches = Launches(self.project_path)
        self.children = Children(root, packages, str(settings["folder"]))
        self.fd = fd
        self.seen: set[str] = set()

    def note(self, kind: str, *fields: object) -> None:
        line = "\t".join([kind, *(str(f) for f in fields)])
        if line not in self.seen:
            self.seen.add(line)
            with contextlib.suppress(OSError):
                os.write(self.fd, f"{line}\n".encode("utf-8", "surrogateescape"))

    def start(self) -> bool:
        """Start recording: code run (``sys.monitoring``) and audit events; False if it cannot
        record (nothing is then written, so the process is not followed)."""
        monitoring: Any = getattr(sys, "monitoring", None)
        tool = claim_tool(monitoring)
        if tool is None:
            return False
        disable = monitoring.DISABLE
        project_path = self.project_path
        note = self.note

        def started(code: Any, offset: int) -> Any:
            del offset
            path = project_path(code.co_filename)
            if path:
                note("c", path, code.co_firstlineno)
            return disable

        monitoring.register_callback(tool, monitoring.events.PY_START, started)
        monitoring.set_events(tool, monitoring.events.PY_START)
        sys.addaudithook(self.audit)
        return True

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """An audit hook that raises fails the operation it audits (Python opening the script
        it runs fails with ``EINVAL``): nothing may escape it. What it could not record makes
        the process reach everything."""
        if event not in WATCHED:
            return
        try:
            self._audited(event, args)
        except Exception as exc:  # the process must run as it would untracked
            self.note("s", f"a Python process whose recording failed ({event}: {exc!r:.80})")

    def _audited(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            self._opened(args)
        elif event == "import":
            self.note("i", args[0])
        elif event in ("os.listdir", "os.scandir"):
            self._listed(args)
        else:
            started = self.launches.started(event, args)
            for path in started.reads:
                self.note("r", path)
            token = self.children.follow(args) if started.followable else ""
            if token:
                self.note("k", token, started.untracked)
            elif started.untracked:
                self.note("s", started.untracked)

    def _opened(self, args: tuple[Any, ...]) -> None:
        found = self.project_path(read_path(args))
        if found and lister(_caller()) != "imports":
            self.note("r", found)

    def _listed(self, args: tuple[Any, ...]) -> None:
        path = args[0] if args else "."
        if isinstance(path, int):
            return
        who = lister(_caller())
        if who == "imports":
            return
        found = self.project_path("." if path is None else path)
        if found:
            self.note("l", found if who != "distributions" else f"{found}{os.sep}*.dist-info")


def _caller() -> Any:
    """The frame of the code whose call raised the audit event (None: no Python code did, as
    when Python opens the script it runs)."""
    try:
        return sys._getframe(4)  # _caller, _opened or _listed, _audited, audit, the caller  # pyright: ignore[reportPrivateUsage]
    except ValueError:
        return None


def boot() -> None:
    """Record this process if ``CHILD_VARIABLE`` asks (run by the ``.pth`` file)."""
    try:
        settings = json.loads(os.environ[CHILD_VARIABLE])
        if not settings["token"]:
            return  # a process started through no audited Popen: it is not followed
        name = f"{settings['token']}.{os.getpid()}"
        fd = os.open(
            os.path.join(str(settings["folder"]), name),
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND,
            0o600,
        )
    except (KeyError, ValueError, TypeError, OSError):
        return
    tracker = ChildTracker(settings, fd)
    if tracker.start():
        tracker.note(HEADER)


def pth_line(boot_file: str) -> str:
    """The ``.pth`` line: run ``boot_file`` when the variable is set, silently in any case (a
    failure must not change what the process prints)."""
    code = (
        "try:\n import runpy\n"
        f" runpy.run_path({boot_file!r}, run_name='ci_sessions_pytest_child.boot')\n"
        "except Exception:\n pass\n"
    )
    return f"import os; exec({code!r}) if os.environ.get({CHILD_VARIABLE!r}) else None\n"


def install_pth() -> bool:
    """Put the ``.pth`` file in this environment's ``site-packages`` (a virtual environment's
    only: never a system Python's); whether it is there."""
    if sys.prefix == sys.base_prefix:
        return False
    folder = sysconfig.get_paths()["purelib"]
    target = os.path.join(folder, PTH_NAME)
    text = pth_line(os.path.abspath(__file__))
    try:
        with open(target, encoding="utf-8") as handle:
            if handle.read() == text:
                return True
    except OSError:
        pass
    partial = f"{target}.{os.getpid()}.tmp"
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        return False
    return True


if __name__ == "ci_sessions_pytest_child.boot":
    boot()
