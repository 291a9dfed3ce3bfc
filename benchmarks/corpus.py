"""The real-project corpus: pinned PyPI sdists, each made a git repository with one commit and a tag.

One corpus serves adoption (issue 21), incremental soundness and engagement (issue 20) and the
performance figures. The projects, their pins and how a person tests each by hand live in
``benchmarks/corpus.toml``; this script fetches, verifies and prepares them.

    python benchmarks/corpus.py list                  # projects, shapes, by-hand figures
    python benchmarks/corpus.py fetch [NAME ...]      # download, verify sha256, prepare; print paths
    python benchmarks/corpus.py fetch --quick         # the small subset CI can afford
    python benchmarks/corpus.py copy NAME DEST        # a fresh working copy to mutate
    python benchmarks/corpus.py observe [NAME ...]    # its tests by hand (uv venv + pytest);
                                                      # --offline, --write (corpus-observed.json)
    python benchmarks/corpus.py table                 # the Markdown table of docs/corpus.md

From another benchmark script (``sys.path`` holds ``benchmarks/`` when it runs from there):

    from corpus import PROJECTS, QUICK, fetch, fresh_copy, package_modules
    for project in PROJECTS.values():
        work = fresh_copy(project.name, tmp / project.name)   # git repo: 1 commit, its tag
        leaves = package_modules(project, work)               # the .py files an edit may touch

The cache is ``$CI_SESSIONS_CORPUS_DIR`` (default ``~/.cache/ci-sessions/corpus``): ``sdists/``
holds the verified files, ``projects/NAME-VERSION/`` the prepared repositories. Every write goes
to a temporary name in the same folder and is renamed into place, so an interrupted fetch leaves
no half entry; the sha256 is checked on every fetch, cached or not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
DATA = HERE / "corpus.toml"
OBSERVED = HERE / "corpus-observed.json"
INDEX = "https://pypi.org/simple"

# Fixed identity and time: every machine makes the same commit and tag ids from the same sdist.
EPOCH = "2025-01-01T00:00:00+00:00"
IDENTITY = {
    "GIT_AUTHOR_NAME": "ci-sessions corpus",
    "GIT_AUTHOR_EMAIL": "corpus@ci-sessions.invalid",
    "GIT_AUTHOR_DATE": EPOCH,
    "GIT_COMMITTER_NAME": "ci-sessions corpus",
    "GIT_COMMITTER_EMAIL": "corpus@ci-sessions.invalid",
    "GIT_COMMITTER_DATE": EPOCH,
}

NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")
SDIST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.tar\.gz$")
VERSION_RE = re.compile(r"^[0-9][0-9A-Za-z.+!-]*$")
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
TEST_FILE_RE = re.compile(r"(^test_.*\.py$)|(^.*_test\.py$)")
TEST_DIRS = frozenset({"test", "tests", "testing"})
LAYOUTS = frozenset({"src", "flat"})
SHAPES = {
    "c-extension-flat": "a compiled extension in a flat layout (the tree shadows the build)",
    "c-extension-src": "a compiled extension in a src layout",
    "cython": "Cython sources compiled at build time",
    "setuptools-scm": "version from git tags through setuptools-scm",
    "hatch-vcs": "version from git tags through hatch-vcs",
    "pdm-scm": "pdm-backend with its version from git tags",
    "flit": "flit_core build backend",
    "poetry-core": "poetry-core build backend",
    "setuptools": "setuptools build backend with a static version",
    "hatchling": "hatchling build backend",
    "tox-ini-only": "its tests are configured only in tox.ini (no pytest section elsewhere)",
    "sphinx": "Sphinx documentation",
    "mkdocs": "MkDocs documentation",
    "hypothesis": "tests that use hypothesis",
    "filterwarnings-error": "pytest filterwarnings = error",
    "big-suite": "more than 20,000 tests",
    "stubs": ".pyi stub files beside the modules",
    "tests-in-package": "tests inside the package",
    "doctests": "pytest collects doctests",
    "custom-python-files": "a python_files pattern of its own",
    "ignored-generated-file": "a generated, git-ignored file ships in the sdist (_version.py)",
    "xfail-strict": "xfail_strict = true",
}


class CorpusError(Exception):
    """A refused input or a failed fetch; ``code`` is the exit status (2 usage/config, 3 fetch)."""

    def __init__(self, message: str, code: int = 3) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Project:
    """One pinned project of the corpus and how a person tests it by hand."""

    name: str
    version: str
    sdist: str
    sha256: str
    shapes: tuple[str, ...]
    layout: str
    packages: tuple[str, ...]  # package folders, relative to the root
    tests: tuple[str, ...]  # test folders, relative to the root
    backend: str
    requires_python: str
    tag: str  # the version tag the one commit carries
    commit: str  # the commit id every machine gets ("" in tests: not checked)
    install: tuple[
        str, ...
    ]  # `uv pip install ARGS` from the root (the project as built + test deps)
    test: tuple[str, ...]  # the by-hand test command, run from the root in that environment
    setup: tuple[tuple[str, ...], ...] = ()  # commands to run before the tests (tox's commands_pre)
    upstream: str = ""  # what the project's tox.ini/CI runs, for reference
    modules: int = 0  # .py modules in the packages (0: not checked)
    quick: bool = False
    notes: str = ""

    @property
    def key(self) -> str:
        """The folder name of its prepared repository in the cache."""
        return f"{self.name}-{self.version}"


# --------------------------------------------------------------------------- the data file


def _need(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in entry:
        raise CorpusError(f"{where}: missing key '{key}'", 2)
    value = entry[key]
    if not isinstance(value, kind):
        raise CorpusError(f"{where}: '{key}' must be a {kind.__name__}", 2)
    return value


def _strings(entry: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> list[str]:
    if key not in entry and not required:
        return []
    value = _need(entry, key, list, where)
    if not all(isinstance(item, str) for item in value):
        raise CorpusError(f"{where}: '{key}' must be a list of strings", 2)
    return list(value)


def check_relpath(path: str, where: str) -> str:
    """A relative POSIX path inside the project: no absolute path, no '..', no backslash."""
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or pure.is_absolute()
        or any(part in ("..", "") for part in path.split("/"))
    ):
        raise CorpusError(f"{where}: '{path}' must be a relative path inside the project", 2)
    return path


def check_name(name: str, where: str = "corpus") -> str:
    """A project name as it becomes a folder name: lower-case PEP 503 form, no '/' and no '..'."""
    if not NAME_RE.match(name) or ".." in name:
        raise CorpusError(
            f"{where}: '{name}' is not a valid project name (lower case letters, digits, '.-_')", 2
        )
    return name


def project_from(entry: Mapping[str, Any], where: str) -> Project:
    """One ``[[project]]`` table, every field checked before it can become a path or a command."""
    name = check_name(_need(entry, "name", str, where), where)
    where = f"{where} ({name})"
    version = _need(entry, "version", str, where)
    if not VERSION_RE.match(version) or ".." in version:
        raise CorpusError(f"{where}: version '{version}' is not a version", 2)
    sdist = _need(entry, "sdist", str, where)
    if not SDIST_RE.match(sdist) or ".." in sdist:
        raise CorpusError(f"{where}: sdist '{sdist}' must be a file name ending in .tar.gz", 2)
    sha256 = _need(entry, "sha256", str, where)
    if not SHA_RE.match(sha256):
        raise CorpusError(f"{where}: sha256 must be 64 lower-case hex digits", 2)
    shapes = _strings(entry, "shapes", where)
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        raise CorpusError(f"{where}: unknown shapes {unknown}; known: {sorted(SHAPES)}", 2)
    layout = _need(entry, "layout", str, where)
    if layout not in LAYOUTS:
        raise CorpusError(f"{where}: layout must be one of {sorted(LAYOUTS)}", 2)
    packages = [check_relpath(p, f"{where} packages") for p in _strings(entry, "packages", where)]
    tests = [check_relpath(p, f"{where} tests") for p in _strings(entry, "tests", where)]
    if not packages or not tests:
        raise CorpusError(f"{where}: 'packages' and 'tests' name at least one folder each", 2)
    tag = entry.get("tag", f"v{version}")
    if not isinstance(tag, str) or not TAG_RE.match(tag) or ".." in tag:
        raise CorpusError(f"{where}: tag '{tag}' is not a plain tag name", 2)
    commit = _need(entry, "commit", str, where)
    if commit and not COMMIT_RE.match(commit):
        raise CorpusError(f"{where}: commit must be 40 hex digits", 2)
    setup = entry.get("setup", [])
    if not isinstance(setup, list) or not all(
        isinstance(cmd, list) and cmd and all(isinstance(a, str) for a in cmd) for cmd in setup
    ):
        raise CorpusError(f"{where}: 'setup' must be a list of commands (lists of strings)", 2)
    known = {
        "name", "version", "sdist", "sha256", "shapes", "layout", "packages", "tests", "backend",
        "requires_python", "tag", "commit", "install", "test", "setup", "upstream", "quick",
        "notes", "modules",
    }  # fmt: skip
    unknown_keys = sorted(set(entry) - known)
    if unknown_keys:
        raise CorpusError(f"{where}: unknown keys {unknown_keys}; known: {sorted(known)}", 2)
    return Project(
        name=name,
        version=version,
        sdist=sdist,
        sha256=sha256,
        shapes=tuple(shapes),
        layout=layout,
        packages=tuple(packages),
        tests=tuple(tests),
        backend=_need(entry, "backend", str, where),
        requires_python=str(entry.get("requires_python", "")),
        tag=tag,
        commit=commit,
        install=tuple(_strings(entry, "install", where)),
        test=tuple(_strings(entry, "test", where)),
        setup=tuple(tuple(cmd) for cmd in setup),
        upstream=str(entry.get("upstream", "")),
        modules=int(entry.get("modules", 0)),
        quick=bool(entry.get("quick", False)),
        notes=str(entry.get("notes", "")),
    )


def load(path: Path = DATA) -> dict[str, Project]:
    """The projects of a data file by name, in file order; a bad entry is a clear error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CorpusError(f"{path}: {exc}", 2) from None
    entries = data.get("project", [])
    if not isinstance(entries, list) or not entries:
        raise CorpusError(f"{path}: no [[project]] tables", 2)
    projects: dict[str, Project] = {}
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise CorpusError(f"{path}: project #{index} is not a table", 2)
        project = project_from(entry, f"{path.name} project #{index}")
        if project.name in projects:
            raise CorpusError(f"{path}: project '{project.name}' is listed twice", 2)
        projects[project.name] = project
    return projects


try:
    PROJECTS: dict[str, Project] = load()
except CorpusError as _exc:
    if __name__ != "__main__":
        raise
    print(f"corpus: error: {_exc}", file=sys.stderr)
    sys.exit(_exc.code)
QUICK: tuple[str, ...] = tuple(name for name, p in PROJECTS.items() if p.quick)


def cache_dir() -> Path:
    """``$CI_SESSIONS_CORPUS_DIR``, else ``~/.cache/ci-sessions/corpus`` (outside any repo)."""
    configured = os.environ.get("CI_SESSIONS_CORPUS_DIR")
    if configured:
        return Path(configured).expanduser().absolute()
    return Path.home() / ".cache" / "ci-sessions" / "corpus"


def _project(name: str | Project, projects: Mapping[str, Project] | None) -> Project:
    if isinstance(name, Project):
        return name
    table = PROJECTS if projects is None else projects
    if name not in table:
        raise CorpusError(f"unknown project '{name}'; known: {', '.join(table)}", 2)
    return table[name]


# --------------------------------------------------------------------------- download


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sdist_url(project: Project, index: str | None = None) -> str:
    """The sdist's download URL from the simple index's JSON form (PEP 691)."""
    base = (index or os.environ.get("CI_SESSIONS_CORPUS_INDEX") or INDEX).rstrip("/")
    request = urllib.request.Request(  # noqa: S310 - an https index, or a test's file:// one
        f"{base}/{project.name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            page = json.load(response)
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{project.name}: cannot read the index at {base}: {exc}") from None
    for item in page.get("files", []):
        if item.get("filename") == project.sdist:
            return str(item["url"])
    raise CorpusError(f"{project.name}: {project.sdist} is not on the index at {base}")


def download(url: str, dest: Path, sha256: str) -> Path:
    """Fetch ``url`` to ``dest`` through a temporary file beside it, renamed only when its sha256
    is the pinned one: a mismatch or an interruption leaves nothing at ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    tmp = Path(name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as handle, urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                handle.write(chunk)
        got = digest.hexdigest()
        if got != sha256:
            raise CorpusError(
                f"{dest.name}: sha256 mismatch: expected {sha256}, downloaded {got} from {url}"
            )
        os.replace(tmp, dest)
    except OSError as exc:
        raise CorpusError(f"{dest.name}: download from {url} failed: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def fetch_sdist(project: Project, root: Path | None = None) -> Path:
    """The verified sdist file in the cache, downloaded when absent; its sha256 checked each time."""
    path = (root or cache_dir()) / "sdists" / project.sdist
    if not path.exists():
        download(sdist_url(project), path, project.sha256)
    got = sha256_of(path)
    if got != project.sha256:
        raise CorpusError(
            f"{path}: sha256 mismatch: expected {project.sha256}, the cached file has {got}; "
            "delete the file to download it again, or fix the pin in benchmarks/corpus.toml"
        )
    return path


# --------------------------------------------------------------------------- extract + prepare


def _inside(path: str, top: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and parts[0] == top and ".." not in parts


def check_members(tar: tarfile.TarFile, label: str) -> str:
    """The sdist's one top folder; refuses any member outside it, absolute or with '..', a link
    whose target leaves it, and anything but files, folders and links."""
    members = tar.getmembers()
    if not members:
        raise CorpusError(f"{label}: the archive is empty")
    top = PurePosixPath(members[0].name).parts[0] if members[0].name else ""
    for member in members:
        name = member.name
        if name.startswith("/") or "\\" in name or not _inside(name, top) or top in ("", ".."):
            raise CorpusError(f"{label}: unsafe member '{name}' (outside the sdist's folder)")
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise CorpusError(f"{label}: unsafe member '{name}' (not a file, folder or link)")
        if member.issym():
            target = member.linkname
            joined = os.path.normpath(str(PurePosixPath(name).parent / target))
            if target.startswith("/") or not _inside(joined, top):
                raise CorpusError(f"{label}: unsafe link '{name}' -> '{target}' leaves the sdist")
        if member.islnk() and (
            member.linkname.startswith("/") or not _inside(os.path.normpath(member.linkname), top)
        ):
            raise CorpusError(f"{label}: unsafe hard link '{name}' -> '{member.linkname}'")
    return top


def extract(sdist: Path, dest: Path) -> Path:
    """Extract a checked sdist under ``dest``; returns its top folder."""
    with tarfile.open(sdist, "r:gz") as tar:
        top = check_members(tar, sdist.name)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - a Python without PEP 706; check_members did the work
            tar.extractall(dest)  # noqa: S202 - every member checked above
    return dest / top


def find_test_files(root: Path) -> list[Path]:
    """Test files by pytest's default names, anywhere in the tree."""
    return sorted(
        p for p in root.rglob("*.py") if TEST_FILE_RE.match(p.name) and ".git" not in p.parts
    )


def package_modules(project: Project, root: Path) -> list[str]:
    """The package's own Python modules (``.py``, relative to the root, sorted), test folders and
    files excluded: what the incremental harness edits."""
    found: set[str] = set()
    for package in project.packages:
        for path in (root / package).rglob("*.py"):
            rel = path.relative_to(root)
            if TEST_FILE_RE.match(path.name) or TEST_DIRS & set(rel.parts[:-1]):
                continue
            if any(rel.as_posix().startswith(f"{t}/") for t in project.tests):
                continue
            found.add(rel.as_posix())
    return sorted(found)


def check_tree(project: Project, root: Path) -> None:
    """The sdist ships its tests and the folders the data file names; refused otherwise."""
    if not find_test_files(root) and not any((root / d).is_dir() for d in TEST_DIRS):
        raise CorpusError(
            f"{project.name} {project.version}: the sdist ships no tests (no test_*.py, *_test.py "
            "or tests/ folder); a corpus project must ship its tests: pick another project"
        )
    for kind, paths in (("tests", project.tests), ("packages", project.packages)):
        for rel in paths:
            if not (root / rel).is_dir() or (root / rel).is_symlink():
                raise CorpusError(
                    f"{project.name} {project.version}: {kind} folder '{rel}' is not in the sdist; "
                    "fix it in benchmarks/corpus.toml"
                )
    count = len(package_modules(project, root))
    if project.modules and count != project.modules:
        raise CorpusError(
            f"{project.name} {project.version}: {count} package modules, the data file says "
            f"{project.modules}; fix it in benchmarks/corpus.toml"
        )


def git(root: Path, *args: str, capture: bool = True) -> str:
    """git in ``root`` with the fixed identity and no user or system configuration."""
    env = {
        **os.environ,
        **IDENTITY,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
    }
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(key, None)
    done = subprocess.run(
        ["git", "-c", "core.autocrlf=false", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        env=env,
        capture_output=capture,
        text=True,
        check=False,
    )
    if done.returncode:
        raise CorpusError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout.strip() if capture else ""


def make_repo(project: Project, root: Path) -> str:
    """One commit of the whole tree (the project's own .gitignore applies) and its version tag."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", IDENTITY["GIT_AUTHOR_NAME"])
    git(root, "config", "user.email", IDENTITY["GIT_AUTHOR_EMAIL"])
    git(root, "add", "-A")
    message = f"{project.name} {project.version} from {project.sdist} (sha256 {project.sha256})"
    git(root, "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message)
    git(root, "tag", "-a", "--no-sign", project.tag, "-m", f"{project.name} {project.version}")
    commit = git(root, "rev-parse", "HEAD")
    if project.commit and commit != project.commit:
        raise CorpusError(
            f"{project.name}: the prepared commit is {commit}, the data file pins {project.commit}"
        )
    return commit


def is_pristine(project: Project, root: Path) -> bool:
    """The prepared repository as made: one commit (the pinned one), the tag on it, nothing changed."""
    if not (root / ".git").is_dir() or root.is_symlink():
        return False
    try:
        head = git(root, "rev-parse", "HEAD")
        tagged = git(root, "rev-parse", f"refs/tags/{project.tag}^{{commit}}")
        count = git(root, "rev-list", "--count", "--all")
        status = git(root, "status", "--porcelain", "--untracked-files=all")
    except CorpusError:
        return False
    pinned = project.commit or head
    return head == pinned == tagged and count == "1" and not status


def _discard(path: Path, parent: Path) -> None:
    """Delete ``path``, a folder this script made inside ``parent``; never through a link."""
    if path.is_symlink() or path.resolve().parent != parent.resolve():
        raise CorpusError(f"{path}: not a folder of the corpus cache; remove it by hand", 2)
    aside = Path(tempfile.mkdtemp(dir=parent, prefix=".old-"))
    os.replace(path, aside / "tree")
    shutil.rmtree(aside)


def place(project: Project, tree: Path, final: Path) -> None:
    """Rename a prepared tree into place; when another fetch running at the same time got there
    first with the same repository, theirs is kept (a rename never replaces a non-empty folder)."""
    try:
        os.replace(tree, final)
    except OSError as exc:
        if not is_pristine(project, final):
            raise CorpusError(
                f"{final}: cannot put the prepared repository in place: {exc}"
            ) from None


def fetch(
    name: str | Project,
    *,
    root: Path | None = None,
    projects: Mapping[str, Project] | None = None,
) -> Path:
    """The prepared repository of one project in the cache (fetched, verified, made when needed)."""
    project = _project(name, projects)
    base = root or cache_dir()
    sdist = fetch_sdist(project, base)
    parent = base / "projects"
    final = parent / project.key
    if final.exists() or final.is_symlink():
        if is_pristine(project, final):
            return final
        _discard(final, parent)
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=parent, prefix=f".tmp-{project.key}-"))
    try:
        tree = extract(sdist, work)
        check_tree(project, tree)
        make_repo(project, tree)
        place(project, tree, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def fresh_copy(
    name: str | Project,
    dest: Path,
    *,
    root: Path | None = None,
    projects: Mapping[str, Project] | None = None,
) -> Path:
    """A new working copy at ``dest`` (which must not exist): the repository with its one commit
    and tag plus every file of the sdist, ready to be mutated."""
    source = fetch(name, root=root, projects=projects)
    dest = Path(dest)
    if dest.exists() or dest.is_symlink():
        raise CorpusError(f"{dest}: already exists; a fresh copy goes to a new path", 2)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".tmp-{dest.name}-"))
    try:
        shutil.copytree(source, tmp / "tree", symlinks=True)
        os.replace(tmp / "tree", dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


# --------------------------------------------------------------------------- by hand


SUMMARY_RE = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?|deselected)\b")


def parse_summary(output: str) -> dict[str, int]:
    """pytest's final summary line as counts (``5 passed, 1 xfailed in 2.0s``)."""
    counts = dict.fromkeys(("passed", "failed", "skipped", "xfailed", "xpassed", "errors"), 0)
    counts["deselected"] = 0
    lines = [line for line in output.splitlines() if re.search(r" in [0-9.]+s", line)]
    if not lines:
        return counts
    for number, word in SUMMARY_RE.findall(lines[-1]):
        counts["errors" if word.startswith("error") else word] = int(number)
    return counts


def observe(project: Project, python: str, work: Path, *, offline: bool = False) -> dict[str, Any]:
    """Test a fresh copy as a person would: a uv venv, ``uv pip install`` of the project as built
    plus its test deps, its setup commands, then its test command; counts from pytest's summary.
    ``offline`` runs the setup and test commands with no network but the loopback (``unshare -rn``
    and ``ip``, Linux)."""
    copy = fresh_copy(project, work / project.key)
    venv = work / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV"))}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    subprocess.run(["uv", "venv", "-q", "-p", python, str(venv)], check=True, env=env)
    started = time.perf_counter()
    subprocess.run(["uv", "pip", "install", "-q", *project.install], cwd=copy, check=True, env=env)
    install_s = time.perf_counter() - started
    # A new network namespace has only a loopback, down: bring it up, as on an offline machine.
    jail = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"] if offline else []
    load = os.getloadavg()[0]
    for command in project.setup:
        subprocess.run([*jail, *command], cwd=copy, check=True, env=env)
    started = time.perf_counter()
    done = subprocess.run(
        [*jail, *project.test], cwd=copy, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    counts = parse_summary(done.stdout)
    probe = (
        "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version(sys.argv[1]))"
    )
    version, installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe, project.name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    ran = sum(counts[k] for k in ("passed", "failed", "skipped", "xfailed", "xpassed"))
    return {
        "version": project.version,
        "installed_version": installed,  # the scm version resolved from the tag
        "python": version,
        "date": time.strftime("%Y-%m-%d"),
        "command": " ".join(project.test),
        "offline": offline,
        "exit": done.returncode,
        "collected": ran + counts["deselected"],
        **counts,
        "test_seconds": round(seconds, 1),
        "load_1min": round(load, 1),  # os.getloadavg() as the tests started
        "install_seconds": round(install_s, 1),
        "summary": next(
            (ln.strip("= ") for ln in reversed(done.stdout.splitlines()) if " in " in ln), ""
        ),
    }


# --------------------------------------------------------------------------- command line


def _names(args: Sequence[str], quick: bool) -> list[str]:
    names = list(args) or (list(QUICK) if quick else list(PROJECTS))
    for name in names:
        _project(name, None)
    return names


def _observed() -> dict[str, Any]:
    if OBSERVED.exists():
        return dict(json.loads(OBSERVED.read_text(encoding="utf-8")))
    return {}


def cmd_list() -> int:
    observed = _observed()
    print(f"{'project':<16} {'version':<8} {'layout':<5} {'by hand':<34} shapes")
    for p in PROJECTS.values():
        seen = observed.get(p.name, {})
        hand = (
            f"{seen['passed']}p {seen['failed']}f {seen['skipped']}s {seen['xfailed']}x"
            f" {seen['test_seconds']}s"
            if seen
            else "-"
        )
        mark = "*" if p.quick else " "
        print(f"{p.name + mark:<16} {p.version:<8} {p.layout:<5} {hand:<34} {', '.join(p.shapes)}")
    print(f"\n* quick subset ({', '.join(QUICK)}); cache: {cache_dir()}")
    return 0


def table(projects: Mapping[str, Project], observed: Mapping[str, Any]) -> str:
    """The Markdown table of docs/corpus.md: pins, shapes and the by-hand counts observed."""
    rows = [
        "| project | version | layout | modules | backend | shapes | by hand: passed / failed"
        " / skipped / xfailed (deselected) | test time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in projects.values():
        seen = observed.get(p.name)
        if seen and seen.get("version") == p.version:
            counts = (
                f"{seen['passed']:,} / {seen['failed']} / {seen['skipped']} / {seen['xfailed']}"
            )
            if seen["deselected"]:
                counts += f" ({seen['deselected']:,})"
            hand, secs = counts, f"{seen['test_seconds']} s"
        else:
            hand, secs = "not observed", "-"
        name = f"{p.name} (quick)" if p.quick else p.name
        rows.append(
            f"| {name} | {p.version} | {p.layout} | {p.modules} | {p.backend} | {', '.join(p.shapes)} "
            f"| {hand} | {secs} |"
        )
    return "\n".join(rows) + "\n"


def cmd_fetch(names: Iterable[str]) -> int:
    for name in names:
        print(f"{name}\t{fetch(name)}")
    return 0


def cmd_observe(names: Iterable[str], python: str, write: bool, offline: bool) -> int:
    results = _observed()
    for name in names:
        project = PROJECTS[name]
        with tempfile.TemporaryDirectory(prefix=f"corpus-observe-{name}-") as tmp:
            seen = observe(project, python, Path(tmp), offline=offline)
        print(f"{name}\t{json.dumps(seen)}", flush=True)
        results[name] = seen
        if write:
            text = json.dumps(results, indent=2, sort_keys=True) + "\n"
            tmp_file = OBSERVED.with_name(f".{OBSERVED.name}.tmp")
            tmp_file.write_text(text, encoding="utf-8")
            os.replace(tmp_file, OBSERVED)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="projects, shapes and by-hand figures")
    sub.add_parser("table", help="the Markdown table of docs/corpus.md")
    fetch_p = sub.add_parser("fetch", help="download, verify and prepare; print the paths")
    fetch_p.add_argument("names", nargs="*")
    fetch_p.add_argument("--quick", action="store_true", help="only the quick subset")
    copy_p = sub.add_parser("copy", help="a fresh working copy of one project at DEST")
    copy_p.add_argument("name")
    copy_p.add_argument("dest", type=Path)
    obs_p = sub.add_parser("observe", help="run the by-hand tests; --write records the counts")
    obs_p.add_argument("names", nargs="*")
    obs_p.add_argument("--quick", action="store_true")
    obs_p.add_argument("--python", default="3.12")
    obs_p.add_argument("--write", action="store_true", help=f"update {OBSERVED.name}")
    obs_p.add_argument("--offline", action="store_true", help="tests without a network (unshare)")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "table":
            print(table(PROJECTS, _observed()), end="")
            return 0
        if args.command == "fetch":
            return cmd_fetch(_names(args.names, args.quick))
        if args.command == "copy":
            print(fresh_copy(args.name, args.dest))
            return 0
        return cmd_observe(_names(args.names, args.quick), args.python, args.write, args.offline)
    except CorpusError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return exc.code
    except (subprocess.CalledProcessError, KeyboardInterrupt) as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, subprocess.CalledProcessError) else 130


if __name__ == "__main__":
    sys.exit(main())
