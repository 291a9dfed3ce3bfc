"""Following the Python processes tests start: a process counts as followed only when it recorded
from its start; a process started through ``os.posix_spawn`` by ``subprocess`` is one process;
the token goes in the environment the process gets, or the process is not followed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ci_sessions.checks.pytest import PLUGIN_DIR

sys.path.insert(0, str(PLUGIN_DIR))

from ci_sessions_pytest_child import (
    CHILD_VARIABLE,
    HEADER,
    PYTHON_PROCESS,
    Children,
    Launches,
    is_record,
    pth_line,
    runs_code,
)
from ci_sessions_pytest_reach import Bucket

CHILD_FILE = PLUGIN_DIR / "ci_sessions_pytest_child.py"


def children(tmp_path: Path) -> Children:
    return Children(str(tmp_path), frozenset({"demo"}), str(tmp_path / "records"))


def test_a_record_counts_only_from_its_header_and_a_cut_last_line_never_ran(
    tmp_path: Path,
) -> None:
    follow = children(tmp_path)
    folder = Path(follow.folder)
    folder.mkdir()
    assert follow.records("1-1") is None  # the process wrote nothing: not followed
    (folder / "1-1.100").write_text(f"{HEADER}\nc\t/p/a.py\t3\nr\t/p/dat")  # killed mid-line
    (folder / "1-1.101").write_text(f"{HEADER}\ni\tdemo\n")  # a process it started, same token
    (folder / "1-10.102").write_text(f"{HEADER}\ni\tother\n")  # another token
    assert follow.records("1-1") == [[HEADER, "c\t/p/a.py\t3"], [HEADER, "i\tdemo"]]
    (folder / "1-2.103").write_text("i\tdemo\n")  # started, never got as far as recording
    assert follow.records("1-2") is None


def test_a_record_merges_into_the_bucket_and_names_the_processes_it_started() -> None:
    bucket = Bucket()
    more = bucket.merge(
        [HEADER, "c\t/p/a.py\t3", "c\t/p/a.py\t9", "r\t/p/data.txt", "l\t/p/tests",
         "i\tdemo.core", "s\ta shell command (os.system: ls)", "k\t7-1\ta Python process (python x)"]
    )  # fmt: skip
    assert bucket.code == {"/p/a.py": {3, 9}}
    assert bucket.read == {"/p/data.txt"} and bucket.listed == {"/p/tests"}
    assert bucket.imports == {"demo.core"}
    assert bucket.spawned == ["a shell command (os.system: ls)"]
    assert more == [("7-1", "a Python process (python x)")]


def test_subprocess_starting_through_posix_spawn_is_one_process() -> None:
    launches = Launches(lambda raw: "")
    argv = [sys.executable, "-m", "demo.cli"]
    popen = launches.started("subprocess.Popen", (sys.executable, argv, None, None))
    assert popen.followable and popen.untracked.startswith(PYTHON_PROCESS)
    assert launches.started("os.posix_spawn", (sys.executable, argv, {})).untracked == ""
    # a posix_spawn of its own is a process of its own, and not one that can be followed
    again = launches.started("os.posix_spawn", (sys.executable, argv, {}))
    assert again.untracked.startswith(PYTHON_PROCESS) and not again.followable


def test_the_token_goes_where_the_process_gets_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CHILD_VARIABLE, raising=False)
    follow = children(tmp_path)
    argv = [sys.executable, "-c", "pass"]
    first = follow.follow((sys.executable, argv, None, None))  # inherits os.environ
    assert json.loads(os.environ[CHILD_VARIABLE])["token"] == first
    copied = dict(os.environ)  # a copy made after it: it holds the older token
    second = follow.follow((sys.executable, argv, None, copied))
    assert second != first and json.loads(copied[CHILD_VARIABLE])["token"] == second
    assert follow.follow((sys.executable, argv, None, {"PATH": "/bin"})) == ""  # its own


def test_a_copy_of_the_environment_made_before_any_process_carries_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """werkzeug's dev server starts with ``env={**os.environ, ...}``: offered from the start,
    the variable is in that copy, and following gives it a token; without one, a process the
    variable reaches (started through no audited ``Popen``) records nothing."""
    monkeypatch.delenv(CHILD_VARIABLE, raising=False)
    follow = children(tmp_path)
    follow.offer()
    copied = {**os.environ, "PYTHONUNBUFFERED": "1"}
    token = follow.follow((sys.executable, [sys.executable, "-c", "pass"], None, copied))
    assert token and json.loads(copied[CHILD_VARIABLE])["token"] == token
    assert json.loads(os.environ[CHILD_VARIABLE])["token"] == ""
    Path(follow.folder).mkdir()
    env = {**os.environ, "PYTHONPATH": ""}
    code = f"{pth_line(str(CHILD_FILE))}\nprint('ran')"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", "")
    assert os.listdir(follow.folder) == []


def run_pth(tmp_path: Path, python: str, boot_file: str) -> subprocess.CompletedProcess[str]:
    settings = {"root": str(tmp_path), "packages": [], "folder": str(tmp_path), "token": "9-1"}
    env = {**os.environ, CHILD_VARIABLE: json.dumps(settings)}
    code = f"{pth_line(boot_file)}\nprint('ran')"
    return subprocess.run(
        [python, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_the_pth_line_never_changes_what_a_process_prints(tmp_path: Path) -> None:
    done = run_pth(tmp_path, sys.executable, str(tmp_path / "gone.py"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", "")


def test_a_process_is_recorded_from_its_start_where_it_can_be(tmp_path: Path) -> None:
    from ci_sessions._interpreters import find_interpreter

    done = run_pth(tmp_path, sys.executable, str(CHILD_FILE))
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", "")
    follow = Children(str(tmp_path), frozenset(), str(tmp_path))
    if sys.version_info < (3, 12):  # no sys.monitoring: the process is not followed
        assert follow.records("9-1") is None
    found = next((p for v in ("3.13", "3.12") if (p := find_interpreter(v)) is not None), None)
    if found is None:
        pytest.skip("recording needs Python 3.12 or later, and none is installed here")
    for name in os.listdir(tmp_path):
        os.unlink(tmp_path / name)
    script = tmp_path / "script.py"
    script.write_text("print('ran')\n")
    settings = {"root": str(tmp_path), "packages": [], "folder": str(tmp_path), "token": "9-1"}
    env = {**os.environ, CHILD_VARIABLE: json.dumps(settings)}
    code = f"{pth_line(str(CHILD_FILE))}\nimport runpy; runpy.run_path({str(script)!r})"
    done = subprocess.run([str(found), "-c", code], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", "")
    records = follow.records("9-1")
    assert records is not None and f"c\t{script}\t1" in records[0]


def test_clearing_removes_the_records_and_nothing_else(tmp_path: Path) -> None:
    follow = children(tmp_path)
    folder = Path(follow.folder)
    folder.mkdir()
    for name in ("1-1.100", "1-2.101"):
        (folder / name).write_text(HEADER + "\n")
    follow.clear()
    assert not folder.exists()
    folder.mkdir()
    (folder / "1-1.100").write_text(HEADER + "\n")
    (folder / "notes.txt").write_text("someone else's\n")
    (folder / "1-1.100.tmp").write_text("")
    follow.clear()
    assert sorted(os.listdir(folder)) == ["1-1.100.tmp", "notes.txt"]


def test_a_script_run_by_an_environment_with_the_pth_file_runs_and_is_recorded(
    tmp_path: Path,
) -> None:
    """Python opens the script it runs with no Python frame on the stack: an audit hook that
    looked for one raised, and the process died with ``can't open file ... [Errno 22]`` (the
    werkzeug dev server, found by the differential harness)."""
    from ci_sessions._interpreters import find_interpreter

    found = next((p for v in ("3.13", "3.12") if (p := find_interpreter(v)) is not None), None)
    if found is None:
        pytest.skip("recording needs Python 3.12 or later, and none is installed here")
    venv = tmp_path / "venv"
    subprocess.run([str(found), "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = f"import sys; sys.path.insert(0, {str(PLUGIN_DIR)!r}); import ci_sessions_pytest_child as c; print(c.install_pth())"
    assert (
        subprocess.run([python, "-c", install], capture_output=True, text=True).stdout == "True\n"
    )
    project, records = tmp_path / "project", tmp_path / "records"
    project.mkdir()
    records.mkdir()
    (project / "data.txt").write_text("data\n")
    script = project / "script.py"
    script.write_text("from pathlib import Path\n\nprint(Path('data.txt').read_text(), end='')\n")
    settings = {"root": str(project), "packages": [], "folder": str(records), "token": "9-1"}
    env = {**os.environ, CHILD_VARIABLE: json.dumps(settings)}
    done = subprocess.run(
        [python, str(script)], cwd=project, env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "data\n", "")
    (record,) = Children(str(project), frozenset(), str(records)).records("9-1") or [[]]
    assert f"c\t{script}\t1" in record and f"r\t{project / 'data.txt'}" in record


def test_two_trackers_never_give_the_same_token(tmp_path: Path) -> None:
    """A pid comes back once its process is gone: two processes with one pid, one after the
    other, must not share tokens (one's record would count as the other's)."""
    first, second = children(tmp_path), children(tmp_path)
    args = (sys.executable, [sys.executable, "-c", "pass"], None, {CHILD_VARIABLE: ""})
    assert first.follow(args) != second.follow(args)
    assert is_record(f"{first.prefix}-1.123") and not is_record(f"{first.prefix}.123")


def test_what_a_started_process_may_run_is_told_by_its_name_words_and_shebang(
    tmp_path: Path,
) -> None:
    """Only a Python process or a console script (a ``#!`` line naming one Python) can be
    followed; a shell script or a launcher reaches everything; a binary reaches nothing."""

    def program(name: str, head: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(head)
        return str(path)

    console = program("demo-cli", b"#!/venv/bin/python3.12\nimport demo\n")
    shell = program("run-it", b"#!/bin/sh\nexec python -m demo\n")
    env_python = program("tool", b"#!/usr/bin/env python3\nimport demo\n")
    binary = program("compiled", b"\x7fELF\x02\x01")
    assert runs_code(sys.executable, [sys.executable, "-c", "pass"]) == PYTHON_PROCESS
    assert runs_code("python3.13", ["python3.13"]) == PYTHON_PROCESS
    assert runs_code(console, [console]) == "a Python script"
    assert runs_code(shell, [shell]) == "a script"
    assert runs_code(env_python, [env_python]) == "a script"  # env runs whatever PATH says
    assert runs_code(binary, [binary]) == ""
    assert runs_code(str(tmp_path / "absent"), ["absent"]) == ""
    assert runs_code("bash", ["bash", "-c", "make"]) == "a process that runs others"
    assert runs_code("git", ["git", "ls-files"]).startswith("a version-control command")
    assert runs_code("git", ["git", "--version"]) == ""
    assert runs_code("tool.py", ["tool.py"]) == "a script"
