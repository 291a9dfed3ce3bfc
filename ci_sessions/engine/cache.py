"""Result cache: a check whose inputs did not change since its last PASS is not run again.

The key is a sha256 of everything that can change a verdict: the check and its Python, its config
section (and the top-level keys every check reads), the exact environments it ran in (their
build fingerprint, interpreter and installed distributions), the check's own code, the content of
every project file and the findings baseline. Only PASS is stored. Entries are written atomically
under unique temporary names, so concurrent runs are safe; an entry that does not parse or does not
match its key is ignored, removed and rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import hashlib
import inspect
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ci_sessions._fs import atomic_write_text, state_dir
from ci_sessions._git import git_bytes
from ci_sessions.results import CheckResult, Status

if TYPE_CHECKING:
    from ci_sessions.checks.base import Check, CheckContext, Environment

FORMAT_VERSION = 2
#: entries kept per check and Python (other branches, other configs); older ones are pruned
KEEP_PER_CHECK = 8
#: directories that are never inputs: environments, caches, machine output
SKIP_DIRS = frozenset(
    {
        ".git", ".nox", ".tox", ".venv", "venv", ".ci-sessions", "__pycache__", ".pytest_cache",
        ".ruff_cache", ".mypy_cache", ".hypothesis", "node_modules", ".benchmarks", ".grimp_cache",
    }
)  # fmt: skip
SKIP_SUFFIXES = (".pyc", ".pyo")
#: folders written by installing the project (setuptools metadata), never inputs
SKIP_DIR_SUFFIXES = (".egg-info",)
#: top-level keys that change what any check does (tool pins count through the environments)
SHARED_KEYS = ("baseline", "use-baseline", "security-level")
#: environment variables that change from one shell, terminal or launcher to the next without
#: changing a verdict; every other variable the checks run with is part of the key. A project adds
#: its own with ``cache-ignore-env``. ``CI_SESSIONS_*`` count through the configuration instead.
VOLATILE_ENV = (
    "PWD", "OLDPWD", "SHLVL", "_", "TERM", "TERM_*", "COLORTERM", "COLUMNS", "LINES",
    "SSH_*", "TMUX", "TMUX_*", "STY", "WINDOWID", "DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS", "XDG_SESSION_*", "XDG_RUNTIME_DIR", "GPG_AGENT_INFO",
    "LS_COLORS", "PS1", "PS2", "PROMPT_COMMAND", "HISTFILE", "HISTSIZE", "HISTCONTROL", "MAIL",
    "VSCODE_*", "ITERM_*", "KITTY_*", "WT_SESSION", "INSIDE_EMACS",
    "VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "NOX_CURRENT_SESSION", "PRE_COMMIT", "PRE_COMMIT_*",
    "GIT_INDEX_FILE", "GIT_EDITOR", "GIT_PREFIX", "GIT_REFLOG_ACTION", "GIT_EXEC_PATH",
    "GIT_AUTHOR_*", "GIT_COMMITTER_*",  # git sets them for a commit's hooks (the date each time)
    "CI_SESSIONS_*", "FORCE_COLOR", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE",
)  # fmt: skip
#: a file whose mtime/ctime is this close to the moment it was hashed is hashed again next time
RACY_NS = 2_000_000_000
INDEX_NAME = "files-index.json"


def cache_dir(root: Path) -> Path:
    return state_dir(root) / "cache"


def list_files(root: Path) -> list[str]:
    """Project files (relative POSIX paths): git-tracked plus untracked-not-ignored, else a walk.

    The work tree is the truth: a tracked file deleted or renamed without ``git add`` is not
    listed (its new name is, as an untracked file), so the list is the one ``git add -A`` gives.
    """
    names = _git_files(root)
    if names is None:
        names = _walk_files(root)
    return sorted({n for n in names if not _skipped(n) and os.path.lexists(root / n)})


def _git_files(root: Path) -> list[str] | None:
    """Paths relative to ``root``, also when it is a package inside a larger repository."""
    excludes = [f"--exclude={name}/" for name in sorted(SKIP_DIRS)]
    excludes += [f"--exclude=*{suffix}/" for suffix in SKIP_DIR_SUFFIXES]
    out = git_bytes(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", *excludes)
    if out is None:
        return None
    return [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]


def _walk_files(root: Path) -> list[str]:
    found: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(SKIP_DIR_SUFFIXES)]
        base = Path(directory).relative_to(root)
        found.extend((base / f).as_posix() for f in files)
    return found


def _skipped(name: str) -> bool:
    parts = name.split("/")
    return name.endswith(SKIP_SUFFIXES) or any(
        p in SKIP_DIRS or p.endswith(SKIP_DIR_SUFFIXES) for p in parts[:-1]
    )


class TreeHasher:
    """Content hash of the project's files, with a stat index so unchanged files are not re-read.

    A file's recorded digest is reused only when its size, inode, mtime and ctime are unchanged
    and it was not modified within two seconds of being hashed (coarse timestamps); otherwise its
    content is hashed again.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.index_path = cache_dir(root) / INDEX_NAME
        #: every file's content digest from the last :meth:`digest` (relative POSIX path -> sha256)
        self.files: dict[str, str] = {}

    def digest(self) -> str:
        index = self._load_index()
        fresh: dict[str, list[Any]] = {}
        total = hashlib.sha256()
        self.files = {}
        for name in list_files(self.root):
            file_digest = self._file_digest(name, index, fresh)
            self.files[name] = file_digest
            total.update(
                name.encode("utf-8", "surrogateescape") + b"\0" + file_digest.encode() + b"\n"
            )
        if fresh != index:
            with contextlib.suppress(OSError):
                atomic_write_text(
                    self.index_path, json.dumps({"format": FORMAT_VERSION, "files": fresh})
                )
        return total.hexdigest()

    def _file_digest(
        self, name: str, index: Mapping[str, list[Any]], fresh: dict[str, list[Any]]
    ) -> str:
        path = self.root / name
        try:
            stat = path.stat()
        except OSError:
            return "missing"
        if not path.is_file():
            return "not-a-file"
        signature = [stat.st_size, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns]
        known = index.get(name)
        if (
            known is not None
            and known[:4] == signature
            and int(known[5]) - max(signature[2:]) > RACY_NS
        ):
            fresh[name] = known
            return str(known[4])
        hashed_at = time.time_ns()
        try:
            digest = _sha256_file(path)
        except OSError:
            return "unreadable"
        fresh[name] = [*signature, digest, hashed_at]
        return digest

    def _load_index(self) -> dict[str, list[Any]]:
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT_VERSION:
                return {}
            files = cast("dict[str, Any]", data["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}
        valid: dict[str, list[Any]] = {}
        for name, entry in files.items():
            if isinstance(entry, list) and len(cast("list[Any]", entry)) == 6:
                valid[name] = cast("list[Any]", entry)
        return valid


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def environment_facts(env: Environment) -> dict[str, Any]:
    """What an environment holds: its build fingerprint, interpreter and installed distributions."""
    location = env.location
    marker = _read_text(location / ".ci-sessions-env.json")
    pyvenv = _read_text(location / "pyvenv.cfg")
    dists: list[str] = []
    for site in [*location.glob("lib/python*/site-packages"), location / "Lib" / "site-packages"]:
        if site.is_dir():
            dists.extend(
                p.name for p in site.iterdir() if p.name.endswith((".dist-info", ".egg-info"))
            )
    return {
        "spec": env.spec.key,
        "requirements": list(env.spec.requirements),
        "marker": marker,
        "pyvenv": pyvenv,
        "distributions": sorted(dists),
    }


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


@functools.cache
def framework_digest() -> str:
    """The ci_sessions code itself: a changed gate or parser (even unreleased) is a new input."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _check_source(check: Check) -> str:
    try:
        source_file = inspect.getsourcefile(type(check))
    except TypeError:
        return ""
    if not source_file:
        return ""
    try:
        return hashlib.sha256(Path(source_file).read_bytes()).hexdigest()
    except OSError:
        return ""


def key_facts(
    *,
    check: Check,
    ctx: CheckContext,
    envs: Mapping[str, Environment],
    tree_digest: str,
    extra: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything that can change a check's verdict, by name (the per-file state of incremental
    checks compares them one by one, to say which one changed)."""
    from ci_sessions._version import __version__

    config = ctx.config
    section: Any = config.values.get(check.name, {})
    baseline_path = ctx.root / config.top.str("baseline") if "baseline" in config.values else None
    return {
        "format": FORMAT_VERSION,
        "ci_sessions": __version__,
        "framework": framework_digest(),
        "check": check.name,
        "check_source": _check_source(check),
        "python": ctx.python,
        "section": _plain(section),
        "shared": {k: _plain(config.values.get(k)) for k in SHARED_KEYS},
        "environments": {role: environment_facts(env) for role, env in sorted(envs.items())},
        "posargs": list(ctx.posargs),
        "selected_tests": ctx.selected_tests,
        "shard": _shard_facts(ctx),
        "tree": tree_digest,
        "baseline": _sha256_or_none(baseline_path),
        "environ": environment_digest(
            os.environ, ctx.env_overrides, config.top.str_list("cache-ignore-env")
        ),
        "extra": list(extra),
    }


def _shard_facts(ctx: CheckContext) -> list[object] | None:
    """A shard runs a part of the suite, chosen by the recorded durations: both are inputs."""
    if ctx.shard is None:
        return None
    durations = json.dumps(sorted(ctx.shard.durations.items())).encode()
    return [ctx.shard.label, hashlib.sha256(durations).hexdigest()]


def compute_key(
    *,
    check: Check,
    ctx: CheckContext,
    envs: Mapping[str, Environment],
    tree_digest: str,
    extra: Sequence[str] = (),
) -> str:
    """The cache key of one check run: equal keys mean equal inputs."""
    facts = key_facts(check=check, ctx=ctx, envs=envs, tree_digest=tree_digest, extra=extra)
    return digest_of(facts)


def digest_of(value: Any) -> str:
    """sha256 of a JSON-able value (keys sorted)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def environment_digest(
    environ: Mapping[str, str], overrides: Mapping[str, str], ignore: Sequence[str] = ()
) -> str:
    """The variables the checks run with, minus volatile ones (:data:`VOLATILE_ENV`, ``ignore``).

    ``PATH`` counts without the directories of virtual environments (the one running nox, a
    pre-commit hook's): the same tools must give the same key whichever launcher started them.
    Only a hash is kept, never a value.
    """
    patterns = (*VOLATILE_ENV, *ignore)
    merged = {**environ, **overrides}
    kept: list[tuple[str, str]] = []
    for name in sorted(merged):
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            continue
        value = _stable_path(merged[name]) if name == "PATH" else merged[name]
        kept.append((name, value))
    return hashlib.sha256(json.dumps(kept).encode("utf-8", "surrogateescape")).hexdigest()


def _stable_path(value: str) -> str:
    """PATH without virtual environments' script directories and without repeats."""
    seen: list[str] = []
    for entry in value.split(os.pathsep):
        if not entry or entry in seen or _is_venv_bin(entry):
            continue
        seen.append(entry)
    return os.pathsep.join(seen)


@functools.lru_cache(maxsize=256)
def _is_venv_bin(entry: str) -> bool:
    return (Path(entry).parent / "pyvenv.cfg").is_file()


def _sha256_or_none(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    try:
        return _sha256_file(path)
    except OSError:
        return None


def _plain(value: Any) -> Any:
    """Frozen config values (mapping proxies, tuples) as plain JSON-able data."""
    if isinstance(value, Mapping):
        mapping = cast("Mapping[str, Any]", value)
        return {str(k): _plain(v) for k, v in mapping.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in cast("Iterable[Any]", value)]
    return value


class ResultCache:
    """PASS results on disk in ``.ci-sessions/cache/<check>-<python>-<key>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.directory = cache_dir(root)
        self._tree: str | None = None
        self._files: dict[str, str] = {}
        self._lock = threading.Lock()
        #: False under --no-cache: every check runs, and its PASS replaces the stored one
        self.read = True

    def tree_digest(self) -> str:
        """The project's content hash, computed once per run (before any check changes files)."""
        with self._lock:
            if self._tree is None:
                hasher = TreeHasher(self.root)
                self._tree = hasher.digest()
                self._files = hasher.files
            return self._tree

    def file_digests(self) -> dict[str, str]:
        """Each project file's content digest, hashed with :meth:`tree_digest` (once per run)."""
        self.tree_digest()
        return self._files

    def path(self, check: str, python: str, key: str) -> Path:
        return self.directory / f"{check}-{python}-{key}.json"

    def lookup(self, check: str, python: str, key: str) -> CheckResult | None:
        """The stored PASS for ``key``, or None; a corrupt or mismatched entry is removed."""
        if not self.read:
            return None
        path = self.path(check, python, key)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return None
        try:
            data = cast("dict[str, Any]", json.loads(text))
            if data.get("format") != FORMAT_VERSION or data.get("key") != key:
                raise ValueError("key mismatch")
            result = CheckResult.from_json(cast("dict[str, Any]", data["result"]))
            if result.status is not Status.PASS or result.check != check:
                raise ValueError("not a PASS of this check")
            artifacts = cast("dict[str, str]", data.get("artifacts", {}))
            stored = float(data.get("stored", 0.0))
        except (ValueError, KeyError, TypeError, AttributeError):
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if self._artifact_digests(result) != artifacts:
            return None  # a report it wrote is gone or was overwritten by another run: run again
        result.cached = True
        result.cached_at = stored
        when = (
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stored))
            if stored
            else "an earlier run"
        )
        result.output = (
            f"PASS (cached): inputs unchanged since {when} (key {key[:12]}); "
            "run with --no-cache to run it anyway"
        )
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used entries survive pruning
        return result

    def store(self, check: str, python: str, key: str, result: CheckResult) -> None:
        """Keep a PASS; anything else is never stored. Failures to write are not fatal."""
        if result.status is not Status.PASS or result.cached:
            return
        payload = {
            "format": FORMAT_VERSION,
            "key": key,
            "stored": time.time(),
            "result": result.to_json(),
            "artifacts": self._artifact_digests(result),
        }
        with contextlib.suppress(OSError):
            atomic_write_text(self.path(check, python, key), json.dumps(payload) + "\n")
            self._prune(check, python)

    def _artifact_digests(self, result: CheckResult) -> dict[str, str]:
        """What each artifact (report file, site directory) of a result holds right now."""
        digests: dict[str, str] = {}
        for name, relative in sorted(result.artifacts.items()):
            path = self.root / relative
            if path.is_dir():
                digests[name] = "directory"
            else:
                digests[name] = _sha256_or_none(path) or "missing"
        return digests

    def _prune(self, check: str, python: str) -> None:
        entries: list[tuple[float, Path]] = []
        for path in self.directory.glob(f"{check}-{python}-*.json"):
            with contextlib.suppress(OSError):
                entries.append((path.stat().st_mtime, path))
        entries.sort(reverse=True)
        for _mtime, path in entries[KEEP_PER_CHECK:]:
            with contextlib.suppress(OSError):
                path.unlink()


def cacheable(check: Check, run_checks: Iterable[Check]) -> bool:
    """Whether a check may be served from the cache in this run.

    A check can opt out (``cacheable = False``: results depend on more than files, like a
    vulnerability database). A check that another check of this run waits for is always run,
    because the waiting check reads what it leaves behind (coverage reads the tests' data), and so
    is a check that waits for another.
    """
    if not check.cacheable:
        return False
    others = [other for other in run_checks if other.name != check.name]
    names = {other.name for other in others}
    if any(dep in names for dep in check.after):
        return False
    return not any(check.name in other.after for other in others)
