"""``uses:`` steps that have a local meaning, one function each; any other action cannot run here.

=================================  ==========================================================
actions/checkout                   the job's copy of the working tree (``workspace.checkout``)
actions/setup-python               a local CPython first on PATH; none matching: cell SKIP
astral-sh/setup-uv                 the local uv first on PATH
actions/upload-artifact            files copied to ``.ci-sessions/ci/<job>/artifacts/<name>/``
actions/download-artifact          this run's uploads copied into the workspace
github/codeql-action/upload-sarif  the file validated against the SARIF 2.1.0 schema
actions/cache (+ /restore, /save)  nothing (noted): no cache is restored or saved
=================================  ==========================================================
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions._fs import remove_tree
from ci_sessions._interpreters import Interpreter
from ci_sessions.ci import contain, setup_python, upload_sarif
from ci_sessions.ci.globs import glob_regex
from ci_sessions.ci.workflow import Where
from ci_sessions.ci.workspace import CheckoutRefs, Source, checkout
from ci_sessions.errors import ConfigError, MissingValidator, SarifError, UnsupportedRequest


@dataclass(frozen=True)
class ActionCall:
    """One ``uses:`` step: its evaluated inputs and where it runs."""

    uses: str
    inputs: dict[str, str]
    workspace: Path
    temp: Path
    path: str  # PATH as the step sees it
    source: Source
    refs: CheckoutRefs
    artifacts: Path  # .ci-sessions/ci/<job>/artifacts of the real project
    repository: str
    where: Where  # the step's `with:`, for a refusal
    folder: Path  # the job's own folder (its workspace and runner.temp are inside)

    def flag(self, name: str, default: bool) -> bool:
        value = self.inputs.get(name, "")
        return default if value == "" else value.strip().lower() == "true"

    def refuse(self, problem: str, fix: str = "") -> ConfigError:
        """A name that would lead outside the job's folders: the run stops (exit 2)."""
        return self.where.error(
            problem,
            fix=fix
            or "keep the path inside the workspace or runner.temp; ci-sessions reads "
            "and writes nothing else for an action",
        )

    def inside(self, relative: str, what: str, *, write: bool) -> Path:
        """``relative`` (to the workspace; ``~`` and absolute paths too) when it stays in the
        job's folders; a refusal otherwise (for a write, no symbolic link on the way either)."""
        if "\0" in relative:
            raise self.refuse(f"{what} {relative!r} holds a NUL byte")
        path = Path(os.path.abspath(self.workspace / Path(relative).expanduser()))
        check = contain.write_problem if write else contain.outside_problem
        problem = check(path, [self.workspace, self.folder], what)
        if problem:
            raise self.refuse(problem)
        return path


@dataclass
class ActionResult:
    ok: bool = True
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict[str, str])
    path: list[str] = field(default_factory=list[str])  # folders to put first on PATH
    env: dict[str, str] = field(default_factory=dict[str, str])
    cannot_run: str | None = None  # the job cannot run locally, with this reason
    skip: str | None = None  # the cell is skipped locally, with this reason


Handler = Callable[[ActionCall], ActionResult]


def action_name(uses: str) -> str:
    """``actions/checkout@v5`` -> ``actions/checkout`` (lower case, ref dropped)."""
    return uses.split("@", 1)[0].strip().lower().rstrip("/")


def handler(uses: str) -> Handler | None:
    return HANDLERS.get(action_name(uses))


def _unsupported(call: ActionCall, names: tuple[str, ...]) -> ActionResult | None:
    for name in names:
        value = call.inputs.get(name, "").strip()
        if value and value.lower() not in ("false", "0"):
            return ActionResult(
                ok=False, cannot_run=f"{action_name(call.uses)} with `{name}: {value}`"
            )
    return None


# ---------------------------------------------------------------- checkout


def run_checkout(call: ActionCall) -> ActionResult:
    refused = _unsupported(call, ("ref", "sparse-checkout", "filter", "submodules", "lfs"))
    if refused:
        return refused
    repository = call.inputs.get("repository", "").strip()
    if repository and repository.lower() != call.repository.lower():
        return ActionResult(ok=False, cannot_run=f"actions/checkout of {repository}")
    depth_text = call.inputs.get("fetch-depth", "").strip() or "1"
    if not depth_text.isdigit():
        return ActionResult(ok=False, message=f"fetch-depth {depth_text!r} is not a number")
    depth = int(depth_text)
    target = Path(os.path.abspath(call.workspace / (call.inputs.get("path", "").strip() or ".")))
    problem = contain.write_problem(target, [call.workspace], "actions/checkout path")
    if problem:
        raise call.refuse(
            problem, fix="give a path inside the workspace, as actions/checkout requires"
        )
    checkout(call.source, target, call.refs, depth)
    history = "full history" if depth == 0 else f"depth {depth}"
    return ActionResult(
        message=f"copied the working tree ({len(call.source.files)} files, {history})",
        outputs={"ref": call.refs.branch or "", "commit": call.source.head},
    )


# ---------------------------------------------------------------- setup-python


def run_setup_python(call: ActionCall) -> ActionResult:
    refused = _unsupported(call, ("freethreaded",))
    if refused:
        return refused
    request = call.inputs.get("python-version", "").strip()
    if not request and call.inputs.get("python-version-file", "").strip():
        name = call.inputs["python-version-file"].strip()
        path = call.inside(name, "python-version-file", write=False)
        try:
            request = setup_python.version_from_file(path, name)
        except FileNotFoundError:
            return ActionResult(ok=False, message=f"python-version-file {name} does not exist")
    if not request and (call.workspace / ".python-version").is_file():
        path = call.inside(".python-version", ".python-version", write=False)
        request = setup_python.version_from_file(path, ".python-version")
    if not request:
        return ActionResult(message="no python-version given: the Python on PATH is used")
    wanted = setup_python.requested_versions(request)
    shim = call.temp / "_setup-python" / "bin"
    shim.mkdir(parents=True, exist_ok=True)
    found: list[Interpreter] = []
    for version in wanted:
        try:
            interpreter = setup_python.find(version, call.path)
        except UnsupportedRequest as error:
            return ActionResult(ok=False, cannot_run=f"actions/setup-python: {error.message}")
        if interpreter is None:
            return ActionResult(
                ok=False,
                skip=f"Python {version} is not installed here "
                "(looked in pyenv, PATH and uv python find)",
            )
        found.append(interpreter)
    for interpreter in found:  # the last one listed is the default, as in setup-python
        major_minor = ".".join(map(str, interpreter.version[:2]))
        for name in (f"python{major_minor}", "python3", "python"):
            _link(shim / name, interpreter.path)
        for tool in (f"pip{major_minor}", "pip3", "pip"):
            beside = interpreter.path.parent / tool
            if beside.exists():
                _link(shim / tool, beside)
    default = found[-1]
    prefix = str(default.path.parent.parent)
    if not call.flag("update-environment", True):  # the workflow uses python-path itself
        return ActionResult(
            message=f"Python {default.text} from {default.path} (PATH left as it was)",
            outputs={"python-version": default.text, "python-path": str(shim / "python")},
        )
    return ActionResult(
        message=f"Python {default.text} from {default.path}",
        outputs={"python-version": default.text, "python-path": str(default.path)},
        path=[str(shim)],
        env={
            "pythonLocation": prefix,
            "Python_ROOT_DIR": prefix,
            "Python3_ROOT_DIR": prefix,
            "PKG_CONFIG_PATH": f"{prefix}/lib/pkgconfig",
        },
    )


def _link(link: Path, target: Path) -> None:
    remove_tree(link, within=link.parent)
    link.symlink_to(target)


# ---------------------------------------------------------------- setup-uv


def run_setup_uv(call: ActionCall) -> ActionResult:
    refused = _unsupported(call, ("activate-environment",))
    if refused:
        return refused
    uv = shutil.which("uv", path=call.path)
    if uv is None:
        beside = Path(sys.executable).parent / "uv"
        uv = str(beside) if beside.exists() else None
    if uv is None:
        return ActionResult(ok=False, cannot_run="astral-sh/setup-uv: uv is not installed here")
    shim = call.temp / "_setup-uv" / "bin"
    shim.mkdir(parents=True, exist_ok=True)
    _link(shim / "uv", Path(uv))
    uvx = Path(uv).parent / "uvx"
    if uvx.exists():
        _link(shim / "uvx", uvx)
    else:
        script = shim / "uvx"
        script.write_text(f'#!/bin/sh\nexec "{uv}" tool run "$@"\n', encoding="utf-8")
        script.chmod(0o755)
    try:
        version = subprocess.run(  # noqa: S603 - the uv found above
            [uv, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        version = []
    local = version[1] if len(version) > 1 else "unknown"
    note = f"uv {local} from {uv}"
    asked = call.inputs.get("version", "").strip()
    if asked and asked not in ("latest", local):
        note += f" (the workflow asks for {asked})"
    env: dict[str, str] = {}
    python = call.inputs.get("python-version", "").strip()
    if python:
        env["UV_PYTHON"] = python
    return ActionResult(
        message=note,
        outputs={
            "uv-version": local,
            "uv-path": uv,
            "uvx-path": str(shim / "uvx"),
            "cache-hit": "false",
        },
        path=[str(shim)],
        env=env,
    )


# ---------------------------------------------------------------- upload-artifact


def run_upload_artifact(call: ActionCall) -> ActionResult:
    name = call.inputs.get("name", "").strip() or "artifact"
    problem = contain.artifact_name_problem(name)
    if problem:
        raise call.refuse(problem, fix="name the artifact with letters, digits, - _ and .")
    patterns = [p.strip() for p in call.inputs.get("path", "").splitlines() if p.strip()]
    if not patterns:
        return ActionResult(ok=False, message="upload-artifact: input `path` is required")
    for pattern in patterns:
        literal = _literal_part(pattern.removeprefix("!"))
        call.inside(literal, "upload-artifact path", write=False)
    hidden = call.flag("include-hidden-files", False)
    files, base = artifact_files(call.workspace, patterns, include_hidden=hidden)
    for file in files:
        problem = contain.outside_problem(file, [call.workspace, call.folder], "the file")
        if problem:
            raise call.refuse(f"upload-artifact: {problem} (a symbolic link)")
    if not files:
        mode = call.inputs.get("if-no-files-found", "").strip().lower() or "warn"
        text = f"no files were found with the provided path: {', '.join(patterns)}"
        if mode == "error":
            return ActionResult(ok=False, message=text)
        return ActionResult(message=text + ("" if mode == "ignore" else " (warning)"))
    dest = call.artifacts / name
    if dest.exists() or dest.is_symlink():
        if not call.flag("overwrite", False):
            return ActionResult(
                ok=False, message=f"an artifact named {name!r} already exists in this run"
            )
        remove_tree(dest, within=call.artifacts)
    for file in files:
        target = dest / file.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    return ActionResult(
        message=f"{len(files)} file(s) kept in {dest}",
        outputs={"artifact-id": name, "artifact-url": dest.as_uri(), "artifact-digest": ""},
    )


def _literal_part(pattern: str) -> str:
    """The folders of a pattern before its first wildcard (``dist/*.whl`` -> ``dist``)."""
    parts = Path(pattern).parts
    literal = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), None)
    if literal is None:
        return pattern
    return str(Path(*parts[:literal])) if literal else "."


def artifact_files(
    workspace: Path, patterns: list[str], *, include_hidden: bool
) -> tuple[list[Path], Path]:
    """The files of an upload and the folder their artifact paths are relative to.

    As @actions/artifact does: each pattern searches from its literal prefix; ``!`` patterns
    exclude; hidden files and folders below a search root (and a hidden root itself) are left
    out unless asked for; the paths are kept relative to the roots' common ancestor.
    """
    includes = [p for p in patterns if not p.startswith("!")]
    excludes = [glob_regex(p[1:]) for p in patterns if p.startswith("!")]
    roots: list[Path] = []
    found: dict[Path, None] = {}
    for pattern in includes:
        full = Path(pattern).expanduser()
        full = full if full.is_absolute() else workspace / full
        parts = full.parts
        literal = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), None)
        root = Path(*parts[:literal]) if literal is not None else full
        if literal is None and root.is_file():
            roots.append(root.parent)
            candidates = [root]
            hidden_base = root.parent
        else:
            roots.append(root)
            hidden_base = root.parent
            candidates = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
            if literal is not None:
                regex = glob_regex(Path(*parts[literal:]).as_posix())
                candidates = [p for p in candidates if regex.match(p.relative_to(root).as_posix())]
        for file in candidates:
            relative = file.relative_to(hidden_base).parts
            if not include_hidden and any(part.startswith(".") for part in relative):
                continue
            try:
                from_workspace = file.relative_to(workspace).as_posix()
            except ValueError:
                from_workspace = file.as_posix()
            if any(regex.match(from_workspace) for regex in excludes):
                continue
            found[file] = None
    if not found:
        return [], workspace
    base = Path(os.path.commonpath([str(r) for r in roots]))
    return list(found), base


# ---------------------------------------------------------------- download-artifact


def run_download_artifact(call: ActionCall) -> ActionResult:
    """This run's artifacts (any job's uploads) into the workspace, as GitHub lays them out: one
    named artifact straight into ``path``; several each into ``path/<name>/`` unless
    ``merge-multiple``."""
    refused = _unsupported(call, ("run-id", "repository", "github-token", "artifact-ids"))
    if refused is not None:
        return refused
    uploads = call.artifacts.parent.parent  # .ci-sessions/ci/<job>/artifacts -> all jobs
    found: dict[str, Path] = {}
    for folder in sorted(uploads.glob("*/artifacts/*")):
        if folder.is_dir():
            found.setdefault(folder.name, folder)
    name = call.inputs.get("name", "").strip()
    pattern = call.inputs.get("pattern", "").strip()
    target = call.inside(
        call.inputs.get("path", "").strip() or ".", "download-artifact path", write=True
    )
    if name:
        if name not in found:
            return ActionResult(ok=False, message=f"download-artifact: no artifact named {name!r}")
        _copy_into(call, found[name], target)
        return ActionResult(message=f"artifact {name!r} copied to {target}")
    regex = glob_regex(pattern or "*")
    chosen = [n for n in found if regex.match(n)]
    merge = call.flag("merge-multiple", False)
    for artifact in chosen:
        _copy_into(call, found[artifact], target if merge else target / artifact)
    return ActionResult(message=f"{len(chosen)} artifact(s) copied to {target}")


def _copy_into(call: ActionCall, source: Path, target: Path) -> None:
    """Copy an artifact's files, refusing any that would be written through a link a step made."""
    for file in sorted(p for p in source.rglob("*") if p.is_file() or p.is_symlink()):
        destination = target / file.relative_to(source)
        problem = contain.write_problem(
            destination, [call.workspace, call.folder], "download-artifact: the file"
        )
        if problem:
            raise call.refuse(problem)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.is_symlink():
            remove_tree(destination, within=destination.parent)
        shutil.copy2(file, destination, follow_symlinks=False)


# ---------------------------------------------------------------- upload-sarif


def run_upload_sarif(call: ActionCall) -> ActionResult:
    given = call.inputs.get("sarif_file", "").strip() or "../results"
    path = call.inside(given, "upload-sarif sarif_file", write=False)
    try:
        files = upload_sarif.sarif_files(path)
        if not files:
            return ActionResult(ok=False, message=f"no .sarif file in {given}")
        results = sum(upload_sarif.validate(file) for file in files)
    except (SarifError, MissingValidator) as error:
        return ActionResult(ok=False, message=f"upload-sarif: {error.message}")
    return ActionResult(
        message=f"{len(files)} SARIF file(s) valid against SARIF 2.1.0 ({results} results); "
        "not uploaded",
        outputs={"sarif-id": "local"},
    )


# ---------------------------------------------------------------- cache


def run_cache(call: ActionCall) -> ActionResult:
    return ActionResult(
        message=f"{action_name(call.uses)}: no-op locally (nothing restored or saved)",
        outputs={"cache-hit": "false", "cache-primary-key": call.inputs.get("key", "")},
    )


HANDLERS: dict[str, Handler] = {
    "actions/checkout": run_checkout,
    "actions/setup-python": run_setup_python,
    "astral-sh/setup-uv": run_setup_uv,
    "actions/upload-artifact": run_upload_artifact,
    "actions/download-artifact": run_download_artifact,
    "github/codeql-action/upload-sarif": run_upload_sarif,
    "actions/cache": run_cache,
    "actions/cache/restore": run_cache,
    "actions/cache/save": run_cache,
}
