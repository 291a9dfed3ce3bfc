"""What each test file's tests reach, for incremental runs: the project files they execute and
read, the folders they list, the modules they try to import and the processes they start.

Part of the ci-sessions pytest plugin (``ci_sessions_pytest``), imported by it when the variable
``CI_SESSIONS_PYTEST_REACH`` names a settings file (JSON: ``root``, ``output``, ``packages``).
Tracking starts on import, before pytest loads conftest files and plugins, and the variable is
removed, so the tests never see it.

What runs is sorted into buckets, and the output says what each bucket reached:

- ``unit:<file>``: collecting a test file and running its tests;
- ``import:<file>``: executing a project module the first time it is imported (the code run
  then counts for every test file whose imports reach the module, not only the first);
- ``shared``: everything else (start-up, conftest and plugin imports, session hooks, fixtures
  shared between tests): it can reach any test.

How: ``sys.monitoring`` (Python 3.12+: each code object reports once per bucket, then is
disabled until the next bucket starts, so it costs next to nothing; on earlier Pythons a trace
hook cost 1.7x to 3x the test run, more than incremental runs save, so they do not track); an
audit hook (``sys.addaudithook``) for files opened, folders listed, imports and processes
started; ``multiprocessing``'s ``Process.start`` for processes no audit event names.
"""

from __future__ import annotations

import gc
import inspect
import json
import os
import sys
import sysconfig
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

VARIABLE = "CI_SESSIONS_PYTEST_REACH"
FORMAT = 1
SHARED = "shared"
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
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class Bucket:
    """What one bucket reached (absolute paths of project files and folders)."""

    __slots__ = (
        "caused", "code", "computes", "constants", "imports", "lazy", "listed", "read", "spawned",
        "via",
    )  # fmt: skip

    def __init__(self) -> None:
        self.code: dict[str, set[int]] = {}  # a project file -> first lines of code run in it
        self.read: set[str] = set()
        #: files read only to harvest their literal constants (``CONSTANT_HARVESTERS``)
        self.constants: set[str] = set()
        self.listed: set[str] = set()
        self.imports: set[str] = set()
        self.spawned: list[str] = []
        self.caused: set[str] = set()
        #: an import bucket: the project file whose code asked for the import ("": none did)
        self.via = ""
        #: ... from a module's ``__getattr__`` (a package loading its submodules lazily)
        self.lazy = False
        #: project code here asked for a module by a computed name (``import_module``, an entry
        #: point's ``load``): it may get hold of any module so loaded, here or earlier
        self.computes = False

    def to_json(self) -> dict[str, Any]:
        return {
            "code": {path: sorted(lines) for path, lines in sorted(self.code.items())},
            "read": sorted(self.read),
            "constants": sorted(self.constants),
            "listed": sorted(self.listed),
            "imports": sorted(self.imports),
            "spawned": self.spawned[:20],
            "caused": sorted(self.caused),
            "via": self.via,
            "lazy": self.lazy,
            "computes": self.computes,
        }


class Reach:
    """The tracker of one pytest process, and the pytest hooks that switch its buckets."""

    def __init__(self, root: Path, output: Path, packages: list[str]) -> None:
        real = os.path.realpath(root)
        self.roots = tuple({os.path.join(os.path.abspath(root), ""), os.path.join(real, "")})
        self.packages = frozenset(packages)
        self.output = output
        self.buckets: dict[str, Bucket] = {SHARED: Bucket()}
        self.current = self.buckets[SHARED]
        self.stack: list[Bucket] = []
        self.keep: dict[str, str] = {}
        self.files: dict[str, int] = {}  # every file pytest collected: its number of items
        self.marked: dict[str, set[str]] = {}  # a marker of MARKED_READERS -> files with it
        self.active = True
        self.how = ""
        #: where an exception in a finalizer (an unraisable exception) failed a test, or "the end
        #: of the session" when one was left to collect then: where it lands depends on garbage
        #: collection, not on what a test reaches, so no result of such a run is kept
        self.unraisable: list[str] = []
        self.settings = ""  # the settings file: an xdist controller hands it to its workers
        self._restart: Callable[[], None] = _nothing
        self._stop: Callable[[], None] = _nothing

    # -- which paths count ----------------------------------------------------------------------

    def project_path(self, raw: object) -> str:
        """The absolute path of a project file (or of a project package's installed copy), or
        an empty string for anything else."""
        if not isinstance(raw, str):
            try:
                raw = os.fsdecode(os.fspath(raw))  # type: ignore[arg-type]
            except TypeError:
                return ""
        known = self.keep.get(raw)
        if known is not None:
            return known
        found = ""
        if raw and not raw.startswith("<"):
            path = os.path.normpath(raw if os.path.isabs(raw) else os.path.abspath(raw))
            site = path.find(SITE)
            if site >= 0:
                top = path[site + len(SITE) :].split(os.sep, 1)[0]
                if top.removesuffix(".py") in self.packages:
                    found = path
            else:
                for root in self.roots:
                    if path.startswith(root) or path + os.sep == root:
                        parts = path[len(root) :].split(os.sep)
                        if not SKIP_DIRS.intersection(parts[:-1] if parts else ()):
                            found = path
                        break
        if len(self.keep) < 200_000:
            self.keep[raw] = found
        return found

    # -- buckets --------------------------------------------------------------------------------

    def enter(self, key: str) -> None:
        """Make ``key`` the bucket what runs now counts for (every code object reports again)."""
        self.stack.append(self.current)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket()
        self.current = bucket
        self._restart()

    def leave(self) -> None:
        """Back to the enclosing bucket. What it runs from now on that already reported in the
        inner bucket reports nowhere: the inner bucket counts for it (it is ``caused`` by it, or
        ``shared``, which counts for every test)."""
        if self.stack:
            self.current = self.stack.pop()

    def importing(self, path: str, frame: Any) -> str:
        """Enter the bucket of ``path``'s first import; ``frame`` is the import's caller."""
        key = f"import:{path}"
        self.current.caused.add(key)
        fresh = key not in self.buckets
        self.enter(key)
        if fresh:
            self.current.via, self.current.lazy = self.initiator(frame)
        return key

    def reader(self, frame: Any) -> Bucket:
        """Where a file read counts: the current bucket, but a read by a library that reads
        project files on behalf of the tests that use it (hypothesis harvests constants from
        every project module loaded) outside any test file counts for those tests only."""
        if self.current is not self.buckets[SHARED]:
            return self.current
        for _ in range(40):
            if frame is None:
                break
            name = frame.f_code.co_filename
            for marker, folder in MARKED_READERS.items():
                if folder in name:
                    bucket = self.buckets.get(f"marker:{marker}")
                    if bucket is None:
                        bucket = self.buckets[f"marker:{marker}"] = Bucket()
                    return bucket
            frame = frame.f_back
        return self.current

    def initiator(self, frame: Any) -> tuple[str, bool]:
        """The project file whose code asked for an import (the first caller outside the
        standard library and the import system), and whether it did from a module's
        ``__getattr__``; ("", False) when code outside the project did (pytest, a plugin)."""
        while frame is not None:
            code = frame.f_code
            name = code.co_filename
            skipped = name.startswith(("<", _HERE)) or (
                name.startswith(_STDLIB) and SITE not in name
            )
            if not skipped:
                path = self.project_path(name)
                qualname = getattr(code, "co_qualname", code.co_name)
                return path, bool(path) and qualname == "__getattr__"
            frame = frame.f_back
        return "", False

    # -- the hooks into Python ------------------------------------------------------------------

    def start(self) -> None:
        """Start tracking: code, audit events, imports, multiprocessing."""
        self.how = self._start_code()
        if self.how.startswith("unavailable"):
            return
        sys.addaudithook(self._audit)
        self._patch_imports()
        self._patch_multiprocessing()

    def _start_code(self) -> str:
        monitoring: Any = getattr(sys, "monitoring", None)
        if monitoring is not None:
            for tool in (4, 3):  # ids no tool claims by convention (debugger 0, coverage 1, ...)
                try:
                    monitoring.use_tool_id(tool, "ci-sessions")
                except ValueError:
                    continue
                break
            else:
                return "unavailable: every sys.monitoring tool id is taken"
            disable = monitoring.DISABLE
            project_path = self.project_path
            loaders: dict[Any, bool] = {}

            def started(code: Any, offset: int) -> Any:
                del offset
                path = project_path(code.co_filename)
                if path:
                    ran = self.current.code
                    lines = ran.get(path)
                    if lines is None:
                        lines = ran[path] = set()
                    lines.add(code.co_firstlineno)
                    return disable
                loader = loaders.get(code)
                if loader is None:
                    loader = loaders[code] = is_loader(code)
                if not loader:
                    return disable
                here = inspect.currentframe()
                loading = here.f_back if here is not None else None  # the loader, as it starts
                caller = loading.f_back if loading is not None else None
                # a package's __getattr__ loading its submodules lazily answers attribute
                # names: literal ones are import edges, computed ones are seen statically
                if (
                    caller is not None
                    and project_path(caller.f_code.co_filename)
                    and getattr(caller.f_code, "co_qualname", "") != "__getattr__"
                ):
                    self.current.computes = True
                    self._asked(loading)
                return None  # every call counts: the next may come from project code

            event = monitoring.events.PY_START
            monitoring.register_callback(tool, event, started)
            monitoring.set_events(tool, event)
            self._restart = monitoring.restart_events

            def stop() -> None:
                monitoring.set_events(tool, 0)
                monitoring.register_callback(tool, event, None)
                monitoring.free_tool_id(tool)

            self._stop = stop
            return "sys.monitoring"
        return "unavailable: Python 3.12 or later is needed (sys.monitoring)"

    def _asked(self, frame: Any) -> None:
        """A module asked for by a computed name that is loaded already: no import runs, yet
        the asker gets the module, so its namespace counts (as code of it that ran: its
        outline). One not loaded yet is imported now, and that import is tracked as such."""
        ran = self.current.code
        for name in asked_modules(frame):
            module = sys.modules.get(name)
            path = self.project_path(str(getattr(module, "__file__", "") or ""))
            if path and path not in ran:
                ran[path] = set()

    def stop(self) -> None:
        """Nothing more is recorded here: an xdist controller hands its tests to workers, and
        the settings to them (they track, the controller runs no test)."""
        self.active = False
        self._stop()
        self._restart = _nothing
        if self.settings:
            os.environ[VARIABLE] = self.settings

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event not in WATCHED or not self.active:
            return
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            if isinstance(path, int):
                return
            if mode is None:
                if isinstance(flags, int) and flags & _WRITE_FLAGS:
                    return
            elif "r" not in mode and "+" not in mode:
                return
            found = self.project_path(path)
            if found:
                frame = inspect.currentframe()
                caller = frame.f_back if frame is not None else None
                if lister(caller) in ("imports", "pytest"):
                    return  # the import system reading code (tracked as code), pytest's reports
                bucket = self.reader(frame)
                if harvests_constants(caller):
                    bucket.constants.add(found)
                else:
                    bucket.read.add(found)
        elif event == "import":
            self.current.imports.add(str(args[0]))
        elif event in ("os.listdir", "os.scandir"):
            path = args[0] if args else "."
            if isinstance(path, int):
                return
            frame = inspect.currentframe()
            who = lister(frame.f_back if frame is not None else None)
            if who in ("imports", "pytest"):
                return
            found = self.project_path("." if path is None else path)
            if found:
                self.current.listed.add(found if who == "code" else f"{found}{os.sep}*.dist-info")
        else:
            self.spawned(event, args)

    def spawned(self, event: str, args: tuple[Any, ...]) -> None:
        """A process started: one that may run project code reaches everything; any other
        reads the project files its arguments name (``git``, ``hg``: the repository's files)."""
        if event in ("os.fork", "os.forkpty"):
            self.current.spawned.append(f"a copy of the test process ({event})")
            return
        if event in ("os.system", "os.startfile", "pty.spawn"):
            self.current.spawned.append(f"a shell command ({event}: {str(args[0])[:120]})")
            return
        if event == "subprocess.Popen":
            executable, argv, cwd = args[0], args[1], args[2]
        elif event == "os.spawn":
            executable, argv, cwd = args[1], args[2], None
        else:  # os.exec, os.posix_spawn
            executable, argv, cwd = args[0], args[1], None
        words = _words(argv)
        program = _words([executable])[0] if executable is not None else (words or [""])[0]
        why = runs_code(program, words)
        if why:
            shown = " ".join([os.path.basename(program), *words[1:]])
            self.current.spawned.append(f"{why} ({shown[:120]})")
            return
        base = _words([cwd])[0] if cwd is not None else os.getcwd()
        for word in words[1:]:
            candidate = os.path.join(base, word)
            if word.startswith("-") or not os.path.exists(candidate):
                continue
            found = self.project_path(candidate)
            if found:
                self.current.read.add(found)

    def _patch_imports(self) -> None:
        """Executing a project module on import runs in the bucket ``import:<its file>``."""
        from importlib import _bootstrap_external  # type: ignore[attr-defined]

        self._wrap_exec_module(_bootstrap_external._LoaderBasics)  # type: ignore[attr-defined]
        try:
            from _pytest.assertion.rewrite import AssertionRewritingHook
        except ImportError:  # pragma: no cover - every pytest since 3 has it
            return
        self._wrap_exec_module(AssertionRewritingHook)

    def _wrap_exec_module(self, loader_class: Any) -> None:
        original = loader_class.exec_module
        reach = self

        def exec_module(loader: Any, module: Any) -> Any:
            path = reach.project_path(getattr(module, "__file__", None) or "")
            if not path or not reach.active:
                return original(loader, module)
            reach.importing(path, inspect.currentframe())
            try:
                return original(loader, module)
            finally:
                reach.leave()

        # A module that warns while imported names its importer (``stacklevel``): warnings skip
        # the import system's frames by their file name, and this one must be skipped with them
        # (python-dateutil's test_imports.py failed in every tracked run and passed by hand).
        exec_module.__code__ = exec_module.__code__.replace(co_filename=IMPORT_FRAME)
        exec_module.__wrapped__ = original  # type: ignore[attr-defined]
        loader_class.exec_module = exec_module

    def _patch_multiprocessing(self) -> None:
        """``spawn`` and ``forkserver`` start their processes through no audited call."""
        import multiprocessing.process

        original = multiprocessing.process.BaseProcess.start
        reach = self

        def start(process: Any) -> None:
            if reach.active:
                reach.current.spawned.append(f"a process of multiprocessing ({process.name})")
            original(process)

        multiprocessing.process.BaseProcess.start = start  # type: ignore[method-assign]

    # -- pytest hooks ---------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Iterator[None]:
        if not isinstance(collector, pytest.File):
            yield
            return
        path = str(collector.path)
        self.files.setdefault(path, 0)
        self.enter(f"unit:{path}")
        try:
            yield
        finally:
            self.leave()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            path = str(item.path)
            self.files[path] = self.files.get(path, 0) + 1
            for marker in MARKED_READERS:
                if item.get_closest_marker(marker) is not None:
                    self.marked.setdefault(marker, set()).add(path)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        self.enter(f"unit:{item.path}")
        try:
            yield
        finally:
            self.leave()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any) -> Iterator[None]:
        baseid = str(getattr(fixturedef, "baseid", ""))
        scope = getattr(fixturedef, "scope", "function")
        if scope == "function" or baseid.split("::", 1)[0].endswith(".py"):
            yield  # only the tests of one test file see it: it counts for them
            return
        self.enter(SHARED)  # its value reaches every test that uses it
        try:
            yield
        finally:
            self.leave()

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        if call.excinfo is not None and is_unraisable(call.excinfo.value):
            self.unraisable.append(f"{item.nodeid} ({call.when})")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if left_to_collect():
            self.unraisable.append("the end of the session")
        self.write(session.config)

    def write(self, config: pytest.Config) -> None:
        worker = getattr(config, "workerinput", None)
        output = self.output
        if worker is not None:
            output = output.with_name(f"{output.name}.{worker['workerid']}")
        document = {
            "format": FORMAT,
            "how": self.how,
            "files": self.files,
            "marked": {marker: sorted(files) for marker, files in self.marked.items()},
            "buckets": {key: bucket.to_json() for key, bucket in self.buckets.items()},
            "unraisable": self.unraisable[:20],
        }
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, output)


def _nothing() -> None:
    return None


def is_unraisable(error: BaseException) -> bool:
    """Whether pytest failed a test phase for an exception raised in a finalizer (one, or a
    group of them: pytest 8.4 and later raise a group when several were collected)."""
    if isinstance(error, pytest.PytestUnraisableExceptionWarning):
        return True
    inner: object = getattr(error, "exceptions", None)  # BaseExceptionGroup: Python 3.11+
    if isinstance(inner, tuple):
        return any(isinstance(e, BaseException) and is_unraisable(e) for e in inner)  # pyright: ignore[reportUnknownVariableType]
    return False


def left_to_collect() -> bool:
    """Collect the garbage left at the session's end: whether a finalizer failed there in a
    way that fails a test when collected during one (under the session's warning filters).

    A leaked object (a process or a socket left open) is collected wherever the collector
    happens to run; a test file that ran after it in a whole run could fail with it.
    """
    failed: list[bool] = []
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        failed.append(True)
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous
    return bool(failed) and _unraisable_fails_a_test()


def _unraisable_fails_a_test() -> bool:
    """Whether pytest's warning for an unraisable exception is an error under the filters in
    force (``filterwarnings = error``, ``-W error``)."""
    with warnings.catch_warnings(record=True):
        try:
            warnings.warn(pytest.PytestUnraisableExceptionWarning("probe"), stacklevel=1)
        except pytest.PytestUnraisableExceptionWarning:
            return True
    return False


#: libraries that read project files for the tests that use them (a marker says which do)
MARKED_READERS = {"hypothesis": f"{os.sep}hypothesis{os.sep}"}
#: functions that read a module's source only for the literal constants in it: hypothesis draws
#: examples from the constants of every project module loaded (file name ending, function)
CONSTANT_HARVESTERS = frozenset(
    {(f"hypothesis{os.sep}internal{os.sep}constants_ast.py", "constants_from_module")}
)


def harvests_constants(frame: Any) -> bool:
    """Whether the read ``frame`` makes is a constants harvest: its nearest caller outside the
    standard library is a ``CONSTANT_HARVESTERS`` function (a read by any other code, hypothesis
    included, counts whole)."""
    while frame is not None:
        code = frame.f_code
        name = str(code.co_filename)
        if not name.startswith(_STDLIB) or SITE in name:
            return any(name.endswith(f) and code.co_name == func for f, func in CONSTANT_HARVESTERS)
        frame = frame.f_back
    return False


#: functions that import a module named at run time: (file, from the standard library, name)
LOADERS = frozenset(
    {("importlib/__init__.py", "import_module"), ("importlib/__init__.py", "reload"),
     ("importlib/metadata/__init__.py", "load"), ("runpy.py", "run_module"),
     ("runpy.py", "run_path"), ("pkgutil.py", "resolve_name"),
     ("pkg_resources/__init__.py", "load"), ("pkg_resources/__init__.py", "resolve")}
)  # fmt: skip


def asked_modules(frame: Any) -> list[str]:
    """The modules a loader's call asks for, read from its arguments as it starts (with every
    enclosing package: ``a.b:c`` and ``a.b.c`` name ``a``, ``a.b`` and ``a.b.c``)."""
    if frame is None:
        return []
    args = frame.f_locals
    func = frame.f_code.co_name
    if func == "import_module":
        name, package = str(args.get("name", "")), args.get("package")
        dots = len(name) - len(name.lstrip("."))
        if dots and isinstance(package, str):
            base = package.rsplit(".", dots - 1)[0] if dots > 1 else package
            name = f"{base}.{name[dots:]}" if name[dots:] else base
    elif func == "reload":
        name = str(getattr(args.get("module"), "__name__", ""))
    elif func == "run_module":
        name = str(args.get("mod_name", ""))
    elif func == "resolve_name":
        name = str(args.get("name", ""))
    else:  # an entry point's load(), pkg_resources' load() and resolve()
        owner = args.get("self")
        name = str(getattr(owner, "module_name", "") or getattr(owner, "value", "") or "")
    parts = name.replace(":", ".").strip(". ").split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i]]


def is_loader(code: Any) -> bool:
    """Whether ``code`` is a function that imports a module named at run time."""
    name = str(code.co_filename).replace(os.sep, "/")
    return any(name.endswith(f"/{file}") and code.co_name == func for file, func in LOADERS)


#: the file name of the frame the tracker adds to every import: warnings count a frame whose
#: file name holds "importlib" and "_bootstrap" as the import system's and skip it
IMPORT_FRAME = "<ci-sessions: a wrapper of importlib._bootstrap's exec_module>"
_PYTEST_CODE = f"{os.sep}_pytest{os.sep}"
_STDLIB = os.path.join(sysconfig.get_paths()["stdlib"], "")
_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
_METADATA = os.path.join(_STDLIB, "importlib", "metadata", "")


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
        if not code.startswith(_STDLIB) or SITE in code:
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


def _words(argv: object) -> list[str]:
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
        return "a Python process"
    if name in LAUNCHERS:
        return "a process that runs others"
    if name in ("git", "hg") and any(word in VCS_CONTENT for word in words[1:]):
        return "a version-control command that reads the work tree"
    if name.endswith((".py", ".sh", ".bat", ".cmd", ".ps1")):
        return "a script"
    located = program if os.sep in program else _which(program)
    if located and _script(located):
        return "a script"
    return ""


def _which(program: str) -> str:
    import shutil

    return shutil.which(program) or ""


def _script(path: str) -> bool:
    """A file that starts with ``#!``: an interpreter runs it (a console script runs Python)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def from_environment() -> Reach | None:
    """The tracker the settings in ``CI_SESSIONS_PYTEST_REACH`` ask for, started; None without
    them. The variable is removed so the tests and what they start never see it."""
    settings = os.environ.pop(VARIABLE, "")
    if not settings:
        return None
    try:
        data = json.loads(Path(settings).read_text(encoding="utf-8"))
        reach = Reach(Path(data["root"]), Path(data["output"]), list(data.get("packages", [])))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise pytest.UsageError(f"{VARIABLE}={settings}: unreadable settings ({exc})") from None
    reach.settings = settings
    reach.start()
    return reach
