"""The uses: mappings: checkout copies (with the git history asked for), setup-python finds a
local interpreter or skips the cell, upload-artifact's file rules, upload-sarif validates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import git

from ci_sessions.ci import actions, setup_python
from ci_sessions.ci.workflow import Where
from ci_sessions.ci.workspace import CheckoutRefs, Source, checkout, take_snapshot

CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """main with one commit, a feature branch one commit ahead, a dirty working tree."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("*.log\n")
    (root / "app.py").write_text("print('v1')\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "switch", "-qc", "feature")
    (root / "app.py").write_text("print('v2')\n")
    git(root, "commit", "-qam", "feature")
    (root / "app.py").write_text("print('v3 uncommitted')\n")
    (root / "new.txt").write_text("untracked, not ignored\n")
    (root / "debug.log").write_text("ignored\n")
    return root


def call(source: Source, workspace: Path, uses: str, **inputs: str) -> actions.ActionCall:
    temp = workspace.parent / "temp"
    temp.mkdir(parents=True, exist_ok=True)
    workspace.mkdir(parents=True, exist_ok=True)
    return actions.ActionCall(
        uses=uses,
        inputs=inputs,
        workspace=workspace,
        temp=temp,
        path=str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        source=source,
        refs=CheckoutRefs(
            branch=None, base_ref="main", base_sha=git(source.root, "rev-parse", "main").strip()
        ),
        artifacts=workspace.parent / "artifacts",
        repository="owner/project",
        where=Where(".github/workflows/ci.yml", 7, "jobs.j.steps[0].with"),
        folder=workspace.parent,
    )


def test_checkout_with_full_history_has_the_base_and_the_dirty_tree(
    project: Path, tmp_path: Path
) -> None:
    before = git(project, "for-each-ref")
    source = take_snapshot(project, tmp_path / "snapshot")
    ws = tmp_path / "ws"
    done = actions.run_checkout(call(source, ws, "actions/checkout@v5", **{"fetch-depth": "0"}))
    assert done.ok, done.message
    assert (ws / "app.py").read_text() == "print('v3 uncommitted')\n"
    assert (ws / "new.txt").exists()
    assert not (ws / "debug.log").exists()
    head = git(project, "rev-parse", "HEAD").strip()
    assert git(ws, "rev-parse", "HEAD").strip() == head
    base = git(project, "rev-parse", "main").strip()
    assert git(ws, "merge-base", "origin/main", "HEAD").strip() == base
    assert git(ws, "rev-parse", "origin/feature").strip() == head
    status = git(ws, "status", "--porcelain").splitlines()
    assert " M app.py" in status
    assert "?? new.txt" in status
    # the copy is the copy: changing it leaves the project alone
    (ws / "app.py").write_text("changed in the copy\n")
    git(ws, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "in the copy")
    assert (project / "app.py").read_text() == "print('v3 uncommitted')\n"
    assert git(project, "for-each-ref") == before


def test_checkout_creates_the_base_ref_the_event_names(project: Path, tmp_path: Path) -> None:
    """--base origin/release: the copy gets refs/remotes/origin/release even with no such branch."""
    source = take_snapshot(project, tmp_path / "snapshot")
    base = git(project, "rev-parse", "main").strip()
    ws = tmp_path / "ws"
    checkout(source, ws, CheckoutRefs(branch="feature", base_ref="release", base_sha=base), 0)
    assert git(ws, "merge-base", "origin/release", "HEAD").strip() == base
    assert git(ws, "symbolic-ref", "--short", "HEAD").strip() == "feature"


def test_checkout_default_depth_is_shallow_without_other_branches(
    project: Path, tmp_path: Path
) -> None:
    source = take_snapshot(project, tmp_path / "snapshot")
    ws = tmp_path / "ws"
    assert actions.run_checkout(call(source, ws, "actions/checkout@v5")).ok
    assert git(ws, "rev-list", "--count", "HEAD").strip() == "1"
    missing = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "origin/main"],
        cwd=ws,
        capture_output=True,
        check=False,
    )
    assert missing.returncode != 0  # as on GitHub: merge-base needs fetch-depth: 0


def test_snapshot_is_taken_once(project: Path, tmp_path: Path) -> None:
    source = take_snapshot(project, tmp_path / "snapshot")
    (project / "app.py").write_text("edited while CI runs\n")
    ws = tmp_path / "ws"
    actions.run_checkout(call(source, ws, "actions/checkout@v5"))
    assert (ws / "app.py").read_text() == "print('v3 uncommitted')\n"


def test_checkout_inputs_it_cannot_honour(project: Path, tmp_path: Path) -> None:
    source = take_snapshot(project, tmp_path / "snapshot")
    ws = tmp_path / "ws"
    other = actions.run_checkout(call(source, ws, "actions/checkout@v5", repository="someone/else"))
    assert other.cannot_run == "actions/checkout of someone/else"
    ref = actions.run_checkout(call(source, ws, "actions/checkout@v5", ref="v1.0"))
    assert ref.cannot_run == "actions/checkout with `ref: v1.0`"


@pytest.mark.parametrize(
    ("request_text", "version", "expected"),
    [
        ("3.12", (3, 12, 1), True),
        ("3.12", (3, 11, 7), False),
        ("3.12.1", (3, 12, 1), True),
        ("3.12.2", (3, 12, 1), False),
        ("3.x", (3, 13, 0), True),
        ("3", (3, 10, 13), True),
        (">=3.11 <3.13", (3, 12, 1), True),
        (">=3.11 <3.13", (3, 13, 0), False),
        ("3.13-dev", (3, 13, 0), True),
    ],
)
def test_python_version_requests(
    request_text: str, version: tuple[int, ...], expected: bool
) -> None:
    assert setup_python.matches(request_text, version) is expected


def test_setup_python_puts_a_matching_local_interpreter_first(
    project: Path, tmp_path: Path
) -> None:
    source = take_snapshot(project, tmp_path / "snapshot")
    done = actions.run_setup_python(
        call(source, tmp_path / "ws", "actions/setup-python@v6", **{"python-version": CURRENT})
    )
    assert done.ok and done.skip is None, done
    assert done.outputs["python-version"].startswith(CURRENT + ".")
    python = Path(done.path[0]) / "python"
    shown = subprocess.run([str(python), "--version"], capture_output=True, text=True, check=True)
    assert shown.stdout.strip().startswith(f"Python {CURRENT}.")


def test_setup_python_without_the_interpreter_skips_the_cell(project: Path, tmp_path: Path) -> None:
    source = take_snapshot(project, tmp_path / "snapshot")
    ws = tmp_path / "ws"
    done = actions.run_setup_python(
        call(source, ws, "actions/setup-python@v6", **{"python-version": "3.4"})
    )
    assert done.skip is not None
    assert "Python 3.4 is not installed here" in done.skip
    pypy = actions.run_setup_python(
        call(source, ws, "actions/setup-python@v6", **{"python-version": "pypy3.10"})
    )
    assert pypy.cannot_run is not None and "pypy3.10" in pypy.cannot_run
    threaded = actions.run_setup_python(
        call(
            source,
            ws,
            "actions/setup-python@v6",
            **{"python-version": CURRENT, "freethreaded": "true"},
        )
    )
    assert threaded.cannot_run == "actions/setup-python with `freethreaded: true`"


def test_unknown_actions_have_no_handler() -> None:
    assert actions.handler("actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8") is not None
    assert actions.handler("Actions/Setup-Python@v6") is not None
    assert actions.handler("docker/build-push-action@v6") is None
    assert actions.handler("./.github/actions/local") is None


def test_upload_artifact_file_rules(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    for name in (
        ".ci-sessions/reports/results.json",
        ".ci-sessions/reports/.hidden",
        "dist/a.whl",
        "dist/sub/b.txt",
        ".env/x",
    ):
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(name)
    files, base = actions.artifact_files(ws, [".ci-sessions/reports/"], include_hidden=False)
    assert [f.relative_to(base).as_posix() for f in files] == ["results.json"]
    files, base = actions.artifact_files(ws, ["dist/**/*.txt", "dist/*.whl"], include_hidden=False)
    assert sorted(f.relative_to(base).as_posix() for f in files) == ["a.whl", "sub/b.txt"]
    files, _ = actions.artifact_files(ws, [".env"], include_hidden=False)
    assert files == []  # a hidden search root is left out too, as on GitHub
    files, _ = actions.artifact_files(ws, [".env"], include_hidden=True)
    assert len(files) == 1
    files, base = actions.artifact_files(ws, ["dist", "!dist/sub/**"], include_hidden=False)
    assert [f.relative_to(base).as_posix() for f in files] == ["a.whl"]


def test_upload_artifact_copies_into_the_run_folder(project: Path, tmp_path: Path) -> None:
    source = take_snapshot(project, tmp_path / "snapshot")
    ws = tmp_path / "ws"
    (ws / "out").mkdir(parents=True)
    (ws / "out" / "r.txt").write_text("report")
    the_call = call(source, ws, "actions/upload-artifact@v4", name="reports", path="out/")
    assert actions.run_upload_artifact(the_call).ok
    assert (the_call.artifacts / "reports" / "r.txt").read_text() == "report"
    again = actions.run_upload_artifact(the_call)
    assert not again.ok and "already exists" in again.message
    missing = actions.run_upload_artifact(
        call(
            source,
            ws,
            "actions/upload-artifact@v4",
            name="x",
            path="nothing/",
            **{"if-no-files-found": "error"},
        )
    )
    assert not missing.ok and "no files were found" in missing.message


def test_upload_sarif_validates_against_the_schema(project: Path, tmp_path: Path) -> None:
    source = take_snapshot(project, tmp_path / "snapshot")
    ws = tmp_path / "ws"
    ws.mkdir()
    good = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "demo"}}, "results": [{"message": {"text": "x"}}]}],
    }
    (ws / "good.sarif").write_text(json.dumps(good))
    done = actions.run_upload_sarif(
        call(source, ws, "github/codeql-action/upload-sarif@v4", sarif_file="good.sarif")
    )
    assert done.ok, done.message
    assert "1 results" in done.message
    (ws / "bad.sarif").write_text(json.dumps({"version": "2.1.0", "runs": [{"tool": {}}]}))
    bad = actions.run_upload_sarif(
        call(source, ws, "github/codeql-action/upload-sarif@v4", sarif_file="bad.sarif")
    )
    assert not bad.ok
    assert "not valid SARIF 2.1.0" in bad.message and "driver" in bad.message
    absent = actions.run_upload_sarif(
        call(source, ws, "github/codeql-action/upload-sarif@v4", sarif_file="none.sarif")
    )
    assert not absent.ok and "does not exist" in absent.message
