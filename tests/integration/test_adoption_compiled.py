"""Tests run against the code as built (issue 21, item 1), on the shape msgpack has: a flat layout
(the package sits in the project root, which pytest puts on ``sys.path``), a C extension, and a
pure-Python fallback that the package imports when the extension is missing. Before, the tree
shadowed the build and the fallback was tested: a bug planted in the C code passed.

Now the project's modules are imported from the tree and its compiled modules from the build
(shown in the log); a planted C bug fails locally and in the generated workflow; a ``.py`` edit is
tested at once and does not rebuild the extension; a stale extension module in the tree is never
imported.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_projects import nox_env, run_nox, write_files

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler"),
]
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
SESSION = f"tests-{PY}"
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]

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
INIT = '''"""Adds numbers, in C when the extension is built, else in Python."""

try:
    from flatc._speed import add
except ImportError:  # the pure-Python fallback, as msgpack has
    from flatc._fallback import add


def double(x: int) -> int:
    """Twice x."""
    return add(x, x)
'''
FILES = {
    "pyproject.toml": f"""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "flatc"
        version = "0.1.0"
        requires-python = ">={PY}"

        [tool.setuptools]
        packages = ["flatc"]

        [tool.ci-sessions]
        python = ["{PY}"]
        """,
    "setup.py": 'from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("flatc._speed", ["flatc/_speed.c"])])\n',
    "flatc/__init__.py": INIT,
    "flatc/_fallback.py": '"""The pure-Python add."""\n\n\ndef add(a: int, b: int) -> int:\n    """a + b."""\n    return a + b\n',
    "flatc/_speed.c": SPEED_C,
    "test/test_add.py": "from flatc import add, double\n\n\ndef test_add() -> None:\n    assert add(2, 3) == 5\n\n\ndef test_double() -> None:\n    assert double(4) == 8\n",
    ".gitignore": ".nox/\n.ci-sessions/\nbuild/\n*.egg-info/\n*.so\n",
}  # fmt: skip


def _git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flat-layout C project, adopted with ``ci-sessions init`` and committed."""
    root = tmp_path_factory.mktemp("compiled") / "flatc"
    write_files(root, FILES)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ci-sessions"), "init", "--no-baseline"],
        cwd=root, env=nox_env(), capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "adopt")
    first = run_nox(root, "-s", SESSION)
    assert first.status(SESSION) == "PASS", first.output
    return root


def _planted(root: Path, rel: str, old: str, new: str) -> Path:
    path = root / rel
    path.write_text(path.read_text().replace(old, new))
    return path


def test_the_extension_is_imported_from_the_build_and_the_log_says_so(project: Path) -> None:
    run = run_nox(project, "-s", SESSION, "--", "--reinstall")  # a run that is not cached
    assert run.status(SESSION) == "PASS", run.output
    shown = re.search(r"compiled: flatc\._speed from (\S+)", run.output)
    assert shown is not None, run.output
    extension = Path(shown.group(1))
    assert ".nox/ci-sessions" in extension.as_posix()  # the environment, not the tree
    assert extension.name.startswith("_speed.") and extension.suffix in (".so", ".pyd")
    assert "flatc from the tree (flatc/__init__.py)" in run.output


def test_a_bug_planted_in_the_c_code_fails_the_tests(project: Path) -> None:
    planted = _planted(project, "flatc/_speed.c", "a + b", "a - b")
    try:
        run = run_nox(project, "-s", SESSION)
    finally:
        _git(project, "checkout", "--", "flatc/_speed.c")
    assert run.status(SESSION) == "FAIL", run.output
    assert run.result(SESSION)["metrics"]["failed"] == 2  # add and double, both in C
    assert planted.read_text() == SPEED_C.lstrip("\n") or "a + b" in planted.read_text()


def test_a_py_edit_is_tested_at_once_without_rebuilding_the_extension(project: Path) -> None:
    settled = run_nox(project, "-s", SESSION)  # the environment of the tree as committed
    assert settled.status(SESSION) == "PASS", settled.output
    _planted(project, "flatc/__init__.py", "return add(x, x)", "return add(x, x) + 1")
    try:
        run = run_nox(project, "-s", SESSION)
    finally:
        _git(project, "checkout", "--", "flatc/__init__.py")
    assert run.status(SESSION) == "FAIL", run.output
    assert [f["message"].split(": ")[0] for f in run.result(SESSION)["findings"]] == [
        "test/test_add.py::test_double"
    ]
    assert "rebuilding" not in run.output and "creating" not in run.output  # no rebuild
    again = run_nox(project, "-s", SESSION)
    assert again.status(SESSION) == "PASS", again.output
    assert "rebuilding" not in again.output


def test_a_stale_extension_module_in_the_tree_is_never_imported(
    project: Path, tmp_path: Path
) -> None:
    """An in-place build left in the tree (``build_ext --inplace`` of an older, buggy C file) is
    what a tree on ``sys.path`` would import first; the build's own module is imported instead."""
    import sysconfig

    source = tmp_path / "_speed.c"
    source.write_text(SPEED_C.replace("a + b", "a - b"))
    stale = project / "flatc" / f"_speed{sysconfig.get_config_var('EXT_SUFFIX')}"
    include = sysconfig.get_paths()["include"]
    subprocess.run(["cc", "-shared", "-fPIC", f"-I{include}", str(source), "-o", str(stale)],
                   check=True, capture_output=True)  # fmt: skip
    try:
        run = run_nox(project, "-s", SESSION, "--", "--reinstall")
    finally:
        stale.unlink()
    assert run.status(SESSION) == "PASS", run.output


def test_new_and_deleted_modules_are_seen_at_once_without_a_rebuild(project: Path) -> None:
    """A new ``.py`` is importable (the package's ``__path__`` holds the tree); a deleted one is
    not, although the build still has its copy: as a build of this tree would be."""
    (project / "flatc" / "triple.py").write_text(
        "from flatc import add\n\n\ndef triple(x: int) -> int:\n    return add(add(x, x), x)\n"
    )
    tests = {
        "test/test_triple.py": "from flatc.triple import triple\n\n\ndef test_triple() -> None:\n"
        "    assert triple(2) == 6\n",
        "test/test_fallback.py": "from flatc._fallback import add\n\n\ndef test_fallback() -> None:\n"
        "    assert add(1, 2) == 3\n",
    }
    settled = run_nox(project, "-s", SESSION)  # the environment of the tree as committed
    assert settled.status(SESSION) == "PASS", settled.output
    for rel, text in tests.items():
        (project / rel).write_text(text)
    try:
        added = run_nox(project, "-s", SESSION)
        (project / "flatc" / "_fallback.py").unlink()
        deleted = run_nox(project, "-s", SESSION)
    finally:
        (project / "flatc" / "triple.py").unlink()
        for rel in tests:
            (project / rel).unlink()
        _git(project, "checkout", "--", "flatc/_fallback.py")
    assert added.status(SESSION) == "PASS", added.output
    assert added.result(SESSION)["metrics"]["passed"] == 4
    assert deleted.status(SESSION) == "FAIL", deleted.output
    assert "No module named 'flatc._fallback'" in deleted.output
    for run in (added, deleted):
        assert "rebuilding" not in run.output and "creating" not in run.output


def test_a_bug_planted_in_the_c_code_fails_the_generated_workflow(project: Path) -> None:
    """The workflow ``init`` wrote, run here: its tests job fails on the planted C bug."""
    _planted(project, "flatc/_speed.c", "a + b", "a - b")
    try:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "ci-sessions"), "ci", "--json", "--job", "tests"],
            cwd=project, env=nox_env(), capture_output=True, text=True, check=False,
            timeout=1200,
        )  # fmt: skip
    finally:
        _git(project, "checkout", "--", "flatc/_speed.c")
    assert done.returncode == 1, done.stdout + done.stderr
    rows = [row for row in json.loads(done.stdout)["jobs"] if row["job"] == "tests"]
    assert [row["result"] for row in rows] == ["failure"], rows
    assert "test_add" in done.stderr  # the failing step's log tail names the test
