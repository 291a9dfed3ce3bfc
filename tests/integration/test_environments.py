"""Environments give true verdicts, through real nox, uv, setuptools and a C compiler (issue 12):
compiled code is never stale, nothing is written into the tree, and a rebuild never pulls an
environment from under a run that uses it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fixture_projects import NOXFILE, clean_src_project, nox_env, run_nox, write_files

from ci_sessions.config import pythons

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
#: what a tier may leave in a project: its own state, and caches the tools write when run by hand
#: (README: "checks never modify your tree")
ALLOWED = {"!! .ci-sessions/", "!! .nox/", "!! .pytest_cache/", "!! .ruff_cache/"}

SPEED_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "add"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }
"""


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def _status(root: Path) -> set[str]:
    return set(_git(root, "status", "--porcelain", "--ignored").splitlines())


def c_extension_project(root: Path) -> Path:
    """setuptools, src layout, one C extension: like markupsafe's speedups."""
    write_files(root, {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "cdemo"
            version = "0.1.0"
            description = "C extension demo"
            readme = "README.md"
            requires-python = ">=3.10"
            """,
        "setup.py": 'from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("cdemo._speed", ["src/cdemo/_speed.c"])])\n',
        "README.md": "# cdemo\n",
        "src/cdemo/__init__.py": 'from cdemo._speed import add\n\n__all__ = ["add"]\n',
        "src/cdemo/_speed.c": SPEED_C,
        "tests/test_add.py": "from cdemo import add\n\n\ndef test_add() -> None:\n    assert add(2, 3) == 5\n",
        "noxfile.py": NOXFILE,
        ".gitignore": ".nox/\n.ci-sessions/\n",
    })  # fmt: skip
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    return root


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_a_bug_in_c_code_fails_reinstall_never_replays_and_the_tree_is_untouched(
    tmp_path: Path,
) -> None:
    root = c_extension_project(tmp_path / "cdemo")
    before = _status(root)
    session = f"tests-{PY}"
    assert run_nox(root, "-s", session).status(session) == "PASS"
    source = root / "src" / "cdemo" / "_speed.c"
    source.write_text(SPEED_C.replace("a + b", "a - b"))
    # issue 12 item 4: the environment was not rebuilt, the stale build answered PASS
    planted = run_nox(root, "-s", session)
    assert planted.status(session) == "FAIL", planted.output
    assert f"environment project-{PY}: rebuilding (inputs changed)" in planted.output
    # --reinstall rebuilds and must not answer with a cached verdict of the other build
    again = run_nox(root, "-s", session, "--", "--reinstall")
    assert again.status(session) == "FAIL", again.output
    assert not again.result(session)["cached"]
    _git(root, "checkout", "--", "src/cdemo/_speed.c")
    # restoring the file: a PASS again, not a false FAIL until another --reinstall
    restored = run_nox(root, "-s", session)
    assert restored.status(session) == "PASS", restored.output
    # issue 12 item 9: no build/, egg-info or extension module left in the tree
    built = run_nox(root, "-s", "build")
    assert built.status("build") == "PASS", built.output
    wheel = root / built.result("build")["artifacts"]["wheel"]
    assert any(name.startswith("cdemo/_speed") for name in zipfile.ZipFile(wheel).namelist())
    assert _status(root) - before <= ALLOWED, _status(root) - before


def test_a_setuptools_project_leaves_its_tree_as_it_was(tmp_path: Path) -> None:
    root = clean_src_project(tmp_path / "plain")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        text.replace('requires = ["hatchling"]', 'requires = ["setuptools>=61"]').replace(
            '"hatchling.build"', '"setuptools.build_meta"'
        )
    )
    write_files(root, {".gitignore": ".nox/\n.ci-sessions/\n*.egg-info/\n"})
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    before = _status(root)
    run = run_nox(root, "-s", "essential")
    assert run.returncode == 0, run.output
    # setuptools wrote src/demo.egg-info even for the editable install; it is gone again
    assert _status(root) - before <= ALLOWED, _status(root) - before
    assert not list(root.glob("src/*.egg-info"))


def test_overlapping_reinstalls_all_give_true_verdicts(tmp_path: Path) -> None:
    # issue 12 item 21: one of three passed; ruff "crashed" and the tests could not import
    root = clean_src_project(
        tmp_path / "busy", extra_pyproject='\n[tool.ci-sessions.tiers]\nquick = ["lint", "tests"]\n'
    )
    command = [sys.executable, "-m", "nox", "-s", "quick", "--", "--reinstall", "--no-cache"]
    runs = [
        subprocess.Popen(
            command,
            cwd=root,
            env=nox_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
        assert "crashed" not in output and "ModuleNotFoundError" not in output
    # every run built its own environment; the next run deletes the builds no run holds any more
    built = f"environment project-{PY}: "
    assert sum(built + "rebuilding (--reinstall)" in o or built + "creating" in o
               for o in outputs) == 3  # fmt: skip
    assert run_nox(root, "-s", "quick").returncode == 0
    builds = list((root / ".nox" / "ci-sessions" / ".builds").glob(f"project-{PY}-*[!k]"))
    assert len(builds) == 1, builds


@pytest.mark.skipif(
    not all(pythons.find_interpreter(v) for v in ("3.10", "3.11")),
    reason="needs Python 3.10 and a newer Python",
)
def test_a_tool_pin_that_needs_a_newer_python_runs_on_one(tmp_path: Path) -> None:
    # issue 12 item 20: pre-commit==4.7.0 needs Python >= 3.11; on 3.10 the row was ERROR
    root = clean_src_project(tmp_path / "old-python")
    write_files(root, {
        ".pre-commit-config.yaml": """
            repos:
              - repo: local
                hooks:
                  - id: no-tabs
                    name: no tabs
                    entry: "\\t"
                    language: pygrep
                    types: [python]
            """,
        ".gitignore": ".nox/\n.ci-sessions/\n",
    })  # fmt: skip
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    env = {
        "CI_SESSIONS_DEFAULT_PYTHON": "3.10",
        "CI_SESSIONS_TOOLS_PRE_COMMIT": "pre-commit==4.7.0",
    }
    run = run_nox(root, "-s", "precommit", env=env)
    assert run.status("precommit") == "PASS", run.output
    assert run.result("precommit")["checked"] == {"what": "hooks", "count": 1}
    assert "does not install on Python 3.10; built on Python 3." in run.output  # says which
    again = run_nox(root, "-s", "precommit", "--", "--no-cache", env=env)
    assert again.status("precommit") == "PASS", again.output
    assert "environment pre-commit-3.10:" not in again.output  # the choice is remembered


def test_a_run_reads_its_own_outcomes_when_another_run_replaces_the_shared_ones(
    tmp_path: Path,
) -> None:
    """Two runs of one project at once: run B removes the shared outcomes file (its stale one)
    between run A's pytest writing and run A reading it. Here the project's own conftest does
    what run B would, at the end of A's pytest session; the verdict is still A's own."""
    root = clean_src_project(tmp_path / "raced")
    write_files(root, {
        "tests/conftest.py": """
            from pathlib import Path

            import pytest


            @pytest.hookimpl(trylast=True)
            def pytest_sessionfinish(session: pytest.Session) -> None:
                reports = Path(str(session.config.rootpath)) / ".ci-sessions" / "reports"
                for shared in reports.glob("outcomes-tests-*.json"):
                    shared.unlink()
                for shared in reports.glob("junit-tests-*.xml"):
                    shared.unlink()
            """,
    })  # fmt: skip
    run = run_nox(root, "-s", f"tests-{PY}", "--", "--no-cache")
    assert run.status(f"tests-{PY}") == "PASS", run.output
    assert run.result(f"tests-{PY}")["checked"] == {"what": "tests", "count": 1}
    reports = root / ".ci-sessions" / "reports"
    assert (reports / f"outcomes-tests-{PY}.json").is_file()  # published under the shared name
    assert not list(reports.glob(".outcomes-*"))  # and the run's own name is gone
