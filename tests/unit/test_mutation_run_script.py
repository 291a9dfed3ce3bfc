"""benchmarks/mutation_run.py: never inside a work tree, and the time it records is measured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from mutation_run import NotACopy, refuse_a_work_tree, timed_run


def test_a_folder_inside_a_work_tree_is_refused(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    inside = tmp_path / "repo" / "mutants"
    inside.mkdir()
    with pytest.raises(NotACopy, match="inside a git work tree"):
        refuse_a_work_tree(inside)
    outside = tmp_path / "copy"
    outside.mkdir()
    refuse_a_work_tree(outside)  # a copy made with git archive: no error


def test_the_time_of_the_command_and_its_children_is_measured() -> None:
    burn = (
        "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(30_000_000))'])"
    )
    timing = timed_run([sys.executable, "-c", burn])
    assert timing["exit_code"] == 0
    assert timing["cpu_seconds"] > 0.0  # the grandchild's CPU counts too
    assert timing["wall_seconds"] >= 0.0 and timing["load_max"] >= timing["load_mean"] >= 0.0
    assert timed_run([sys.executable, "-c", "raise SystemExit(3)"])["exit_code"] == 3
