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
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ci_sessions_pytest_child import (
    SITE,
    SPAWNS,
    STDLIB,
    WATCHED,
    Children,
    Launches,
    claim_tool,
    install_pth,
    lister,
    project_paths,
    read_path,
    runs_code,
)

__all__ = ["SPAWNS", "Reach", "from_environment", "runs_code"]

VARIABLE = "CI_SESSIONS_PYTEST_REACH"
FORMAT = 1
SHARED = "shared"


class Bucket:
    """What one bucket reached (absolute paths of project files and folders)."""

    __slots__ = (
        "caused", "children", "code", "computes", "constants", "imports", "lazy", "listed", "read",
        "spawned", "via",
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
        #: Python processes started here and followed: (token, what they were)
        self.children: list[tuple[str, str]] = []

    def merge(self, lines: list[str]) -> list[tuple[str, str]]:
        """Add what a followed process recorded (``ci_sessions_pytest_child``); the processes
        it started and followed in turn."""
        more: list[tuple[str, str]] = []
        for line in lines:
            kind, _, rest = line.partition("\t")
            if kind == "c":
                path, _, first = rest.rpartition("\t")
                self.code.setdefault(path, set()).add(int(first))
            elif kind == "r":
                self.read.add(rest)
            elif kind == "l":
                self.listed.add(rest)
            elif kind == "i":
                self.imports.add(rest)
            elif kind == "s":
                self.spawned.append(rest)
            elif kind == "k":
                token, _, untracked = rest.partition("\t")
                more.append((token, untracked))
        return more

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
        self.packages = frozenset(packages)
        self.output = output
        self.root = root
        #: the absolute path of a project file (or of a project package's installed copy), or
        #: an empty string for anything else
        self.project_path = project_paths(str(root), self.packages)
        self.launches = Launches(self.project_path)
        #: the Python processes the tests start, followed (None: they are not)
        self.children: Children | None = None
        self.buckets: dict[str, Bucket] = {SHARED: Bucket()}
        self.current = self.buckets[SHARED]
        self.stack: list[Bucket] = []
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
                name.startswith(STDLIB) and SITE not in name
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
        self.children = self._follow_children()
        sys.addaudithook(self._audit)
        self._patch_imports()
        self._patch_multiprocessing()

    def _follow_children(self) -> Children | None:
        """Follow the Python processes the tests start: the environment runs the recorder in
        them (its ``.pth`` file), and their records go to a folder of this run's own."""
        folder = self.output.with_name(f".children.{os.getpid()}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        if not install_pth():
            folder.rmdir()
            return None
        children = Children(str(self.root), self.packages, str(folder))
        children.offer()
        return children

    def _start_code(self) -> str:
        monitoring: Any = getattr(sys, "monitoring", None)
        if monitoring is not None:
            tool = claim_tool(monitoring)
            if tool is None:
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
            found = self.project_path(read_path(args))
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
        """A process started: a Python process is followed when it can be (``Children``); any
        other that may run project code reaches everything; any other reads the project files
        its arguments name (``git``, ``hg``: the repository's files)."""
        started = self.launches.started(event, args)
        self.current.read.update(started.reads)
        token = self.children.follow(args) if started.followable and self.children else ""
        if token:
            self.current.children.append((token, started.untracked))
        elif started.untracked:
            self.current.spawned.append(started.untracked)

    def follow_children(self) -> None:
        """Merge what the followed processes recorded into the buckets that started them; a
        process that recorded nothing is not followed (its bucket reaches everything)."""
        children = self.children
        if children is None:
            return
        for bucket in self.buckets.values():
            pending = list(bucket.children)
            seen: set[str] = set()
            while pending:
                token, untracked = pending.pop()
                if token in seen:
                    continue
                seen.add(token)
                records = children.records(token)
                if records is None:
                    bucket.spawned.append(untracked)
                    continue
                for lines in records:
                    pending.extend(bucket.merge(lines))
            bucket.children.clear()
        children.clear()

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
        self.follow_children()
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
        if not name.startswith(STDLIB) or SITE in name:
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
_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


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
