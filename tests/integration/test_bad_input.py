"""Hostile projects, made small in tmp_path (issue 12 item 19): every command answers bad input
with its documented exit code and a message naming the path (and the fix), never a traceback,
and never clobbers a file, follows a link out of the project or replaces one.

The classes, each closed for good rather than case by case:
- values no command happens to read are validated all the same (the whole merged configuration,
  on every command, from pyproject.toml, CI_SESSIONS_* or register()'s own arguments);
- files that are not what they should be (not UTF-8, NUL bytes, nested too deep, a file where a
  folder belongs and the other way round, a link loop) are errors naming the path;
- links: a link is never replaced or followed out of the project without --force;
- a build backend's own traceback is summarised by its last error line, the full log kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, nox_env, write_files

pytestmark = pytest.mark.integration

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
PYPROJECT = f"""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "hostile"
version = "0.1.0"
requires-python = ">={PY}"
"""
NOX = [sys.executable, "-m", "nox"]
CLI = [sys.executable, "-m", "ci_sessions.cli"]
Setup = Callable[[Path, Path], None]  # (project, outside of it)


@dataclass
class Case:
    """One hostile project: what it holds, the command run on it, what the answer must say."""

    id: str
    argv: list[str]
    says: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict[str, str | bytes])
    setup: Setup | None = None
    env: dict[str, str] = field(default_factory=dict[str, str])
    code: int = 2


def _table(text: str) -> dict[str, str | bytes]:
    return {"pyproject.toml": PYPROJECT + "\n" + text}


def _link(name: str, target: Callable[[Path, Path], Path]) -> Setup:
    def make(project: Path, outside: Path) -> None:
        link = project / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target(project, outside))

    return make


def _tracked_state_file(project: Path, outside: Path) -> None:
    del outside
    (project / ".ci-sessions").write_text("not a directory\n", encoding="utf-8")
    subprocess.run(["git", "add", ".ci-sessions"], cwd=project, check=True)


def _workflow_dir(project: Path, outside: Path) -> None:
    del outside
    (project / ".github" / "workflows" / "ci.yml").mkdir(parents=True)


def _non_utf8_name(project: Path, outside: Path) -> None:
    del outside
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
        cwd=project,
        check=True,
    )
    with open(os.path.join(os.fsencode(project), b"caf\xe9.py"), "wb") as handle:
        handle.write(b"X = 1\n")


DEEP = "a = " + "[" * 3000 + "]" * 3000 + "\n"

CASES = [
    # -- values accepted because the command run does not use them ----------------------------
    Case(
        "python-banana",
        [*NOX, "-s", "lint"],
        ["pyproject.toml [tool.ci-sessions]: python", "not a Python version: 'banana'"],
        _table('[tool.ci-sessions]\npython = ["banana"]\n'),
    ),
    Case(
        "python-shell",
        [*NOX, "-s", "format"],
        ["python", "not a Python version"],
        _table('[tool.ci-sessions]\npython = ["3.12; rm -rf ~"]\n'),
    ),
    Case(
        "python-yaml-tag",
        [*NOX, "-s", "lint"],
        ["python", "not a Python version"],
        _table('[tool.ci-sessions]\npython = ["!!python/object/apply:os.system [ls]"]\n'),
    ),
    Case(
        "python-2.7",
        [*NOX, "-s", "tests"],
        ["python", "Python 2.7 is not supported"],
        _table('[tool.ci-sessions]\npython = ["2.7"]\n'),
    ),
    Case(
        "tier-unknown-member",
        [*NOX, "-s", "lint"],
        ["tiers.quick", "unknown check or tier 'fastest'"],
        _table('[tool.ci-sessions.tiers]\nquick = ["lint", "fastest"]\n'),
    ),
    Case(
        "tier-cycle",
        [*NOX, "-s", "lint"],
        ["tiers include each other: a -> b -> a"],
        _table('[tool.ci-sessions.tiers]\na = ["b"]\nb = ["a"]\n'),
    ),
    Case(
        "coverage-150-env",
        [*NOX, "-s", "lint"],
        ["environment variable CI_SESSIONS_COVERAGE_MIN", "150.0 is too large"],
        env={"CI_SESSIONS_COVERAGE_MIN": "150"},
    ),
    Case(
        "coverage-nan-env",
        [*CLI, "changes", "--base", "HEAD", "--working-tree"],
        ["CI_SESSIONS_COVERAGE_MIN", "not a finite number"],
        env={"CI_SESSIONS_COVERAGE_MIN": "nan"},
    ),
    Case(
        "register-exclude",
        [*NOX, "-s", "lint"],
        [
            "noxfile.py ci_sessions.register(): exclude",
            "unknown session 'lnt'",
            "did you mean `lint`",
        ],
        {"noxfile.py": 'import ci_sessions\n\nci_sessions.register(exclude=["lnt"])\n'},
    ),
    # -- files that are not what they should be ------------------------------------------------
    Case(
        "pyproject-latin1-nox",
        [*NOX, "-s", "lint"],
        ["pyproject.toml: is not UTF-8", "save pyproject.toml as UTF-8"],
        {"pyproject.toml": PYPROJECT.encode() + b"# caf\xe9\n"},
    ),
    Case(
        "pyproject-latin1-init",
        [*CLI, "init", "."],
        ["pyproject.toml: is not UTF-8"],
        {"pyproject.toml": PYPROJECT.encode() + b"# caf\xe9\n"},
    ),
    Case(
        "pyproject-nul-nox",
        [*NOX, "-s", "lint"],
        ["pyproject.toml: holds a NUL byte (line 9)"],
        {"pyproject.toml": PYPROJECT + "x = 1\x00\n"},
    ),
    Case(
        "pyproject-nul-init",
        [*CLI, "init", "."],
        ["pyproject.toml: holds a NUL byte"],
        {"pyproject.toml": PYPROJECT + "x = 1\x00\n"},
    ),
    Case(
        "pyproject-deep-nox",
        [*NOX, "-s", "lint"],
        ["pyproject.toml: invalid TOML: values nested too deeply"],
        {"pyproject.toml": DEEP + PYPROJECT},
    ),
    Case(
        "pyproject-deep-init",
        [*CLI, "init", "."],
        ["pyproject.toml: invalid TOML: values nested"],
        {"pyproject.toml": DEEP + PYPROJECT},
    ),
    Case(
        "inline-tool-init",
        [*CLI, "init", "."],
        ["pyproject.toml: tool: is an inline table", "write it as [tool.<name>] tables"],
        {"pyproject.toml": "tool = {ruff = {line-length = 90}}\n" + PYPROJECT},
    ),
    Case(
        "state-dir-a-file",
        [*NOX, "-s", "lint"],
        [".ci-sessions: is a file, not a directory", "git rm --cached .ci-sessions"],
        {".ci-sessions": "mine\n"},
    ),
    Case(
        "state-dir-tracked-file",
        [*CLI, "history", "stats"],
        [".ci-sessions: is a file"],
        setup=_tracked_state_file,
    ),
    Case(
        "state-dir-link-loop",
        [*NOX, "-s", "lint"],
        [".ci-sessions: is a symbolic link"],
        setup=_link(".ci-sessions", lambda project, _: project / ".ci-sessions"),
    ),
    Case(
        "workflows-a-file-init",
        [*CLI, "init", "."],
        [".github/workflows: is a file, but init writes", "move .github/workflows away"],
        {".github/workflows": "not a folder\n"},
    ),
    Case(
        "workflow-a-directory-validate",
        [*CLI, "validate", "."],
        ["FAIL  CIS104", ".github/workflows/ci.yml is a directory"],
        setup=_workflow_dir,
        code=1,
    ),
    Case(
        "non-utf8-file-name-changes",
        [*CLI, "changes", "--base", "HEAD", "--working-tree"],
        ["caf\\xe9.py"],
        setup=_non_utf8_name,
        env={"PYTHONIOENCODING": "utf-8:strict"},
        code=0,
    ),
]


def _snapshot(root: Path) -> dict[str, object]:
    """Every entry as bytes, ``("link", target)`` or ``"dir"``; what ci-sessions and nox write
    for themselves (.ci-sessions/ and .nox/ when they are folders) left out."""
    found: dict[str, object] = {}
    for current, dirs, files in os.walk(root):
        base = Path(current)
        for name in [*dirs, *files]:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = path.read_bytes()
        dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
        if base == root:
            dirs[:] = [d for d in dirs if d not in (".ci-sessions", ".nox", ".git")]
    return {
        k: v
        for k, v in found.items()
        if k not in (".ci-sessions", ".nox", ".git")
        or not (root / k).is_dir()
        or (root / k).is_symlink()
    }


def _project(tmp_path: Path, files: dict[str, str | bytes], setup: Setup | None) -> Path:
    project = tmp_path / "project"
    outside = tmp_path / "outside"
    outside.mkdir()
    write_files(
        project,
        {"pyproject.toml": PYPROJECT, "noxfile.py": NOXFILE, "src/hostile/__init__.py": "X = 1\n"},
    )
    for rel, content in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    if setup is not None:
        setup(project, outside)
    return project


def _run(project: Path, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=project,
        env=nox_env(env),
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_an_error_naming_the_path(case: Case, tmp_path: Path) -> None:
    project = _project(tmp_path, case.files, case.setup)
    before = _snapshot(project)
    done = _run(project, case.argv, case.env)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == case.code, output
    for words in case.says:
        assert words in output, (words, output)
    assert _snapshot(project) == before, "a failed command changed the project"


# -- links: never replaced or followed out of the project without --force ----------------------


def test_a_dangling_noxfile_link_out_of_the_project_gets_the_new_file_beside_it(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, {}, None)
    (project / "noxfile.py").unlink()
    outside = tmp_path / "outside" / "noxfile.py"
    (project / "noxfile.py").symlink_to(outside)
    done = _run(project, [*CLI, "init", ".", "--no-baseline"], {})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "exists    noxfile.py: wrote noxfile.py.ci-sessions-new beside it" in done.stdout
    assert os.readlink(project / "noxfile.py") == str(outside)  # the link is untouched
    assert not outside.exists()  # nothing written through it
    assert (project / "noxfile.py.ci-sessions-new").read_text(encoding="utf-8").startswith("#!")


def test_a_folder_linked_out_of_the_project_is_not_written_into(tmp_path: Path) -> None:
    project = _project(tmp_path, {}, None)
    elsewhere = tmp_path / "outside" / "github"
    elsewhere.mkdir()
    (project / ".github").symlink_to(elsewhere, target_is_directory=True)
    done = _run(project, [*CLI, "init", ".", "--no-baseline"], {})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped   .github/workflows/ci.yml: .github is a link out of the project" in done.stdout
    assert list(elsewhere.iterdir()) == []
    forced = _run(project, [*CLI, "init", ".", "--no-baseline", "--force"], {})
    assert forced.returncode == 0, forced.stderr
    assert (elsewhere / "workflows" / "ci.yml").is_file()  # --force writes through it


def test_a_linked_pyproject_gets_the_merge_beside_it(tmp_path: Path) -> None:
    project = _project(tmp_path, {}, None)
    shared = tmp_path / "outside" / "pyproject.toml"
    shared.write_text(PYPROJECT, encoding="utf-8")
    (project / "pyproject.toml").unlink()
    (project / "pyproject.toml").symlink_to(shared)
    done = _run(project, [*CLI, "init", ".", "--no-baseline"], {})
    assert done.returncode == 0, done.stdout + done.stderr
    assert shared.read_text(encoding="utf-8") == PYPROJECT
    beside = project / "pyproject.toml.ci-sessions-new"
    assert "[tool.ci-sessions]" in beside.read_text(encoding="utf-8")


# -- a build backend's traceback --------------------------------------------------------------


def test_a_backend_traceback_is_summarised_and_logged(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT + 'classifiers = ["Nonsense :: Classifier"]\n',
            "tests/test_x.py": "def test_x() -> None:\n    assert True\n",
        },
        None,
    )
    done = _run(project, [*NOX, "-s", f"tests-{PY}"], {})
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # the tier's verdict: the row is ERROR
    assert "Traceback" not in output
    summary = (
        "installing the project failed: ValueError: Unknown classifier in field "
        "`project.classifiers`: Nonsense :: Classifier"
    )
    assert summary in output
    log = project / ".ci-sessions" / "logs" / f"install-project-{PY}.log"
    assert f"full log: {log.relative_to(project).as_posix()}" in output
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
