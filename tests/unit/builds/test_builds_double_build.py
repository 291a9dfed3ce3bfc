"""The double build's comparison and report: hashes, archive differences, the kept copies."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

from ci_sessions.builds.archdiff import MemberDiff
from ci_sessions.builds.builder import BuildSettings, Built
from ci_sessions.builds.dists import sha256
from ci_sessions.builds.double_build import (
    ERROR,
    NOT_REPRODUCIBLE,
    REPRODUCIBLE,
    TIMES_ONLY_HINT,
    ArtifactHashes,
    ReproResult,
    _compare,
    _from_vcs,
    _keep,
)

WHEEL = "demo-1.0-py3-none-any.whl"
SDIST = "demo-1.0.tar.gz"


def _wheel(path: Path, members: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), text)
    return path


def test_artifact_hashes_say_whether_both_builds_agree() -> None:
    same = ArtifactHashes(WHEEL, "a" * 64, "a" * 64, 10)
    other = ArtifactHashes(WHEEL, "a" * 64, "b" * 64, 10)
    assert same.identical and not other.identical
    assert other.to_json() == {"name": WHEEL, "sha256": "a" * 64, "second_sha256": "b" * 64,
                               "size": 10, "identical": False}  # fmt: skip


def test_compare_hashes_equal_files_and_names_what_differs(tmp_path: Path) -> None:
    first = Built((_wheel(tmp_path / "1" / "only-first.whl", {"a": "a"}),
                   _wheel(tmp_path / "1" / WHEEL, {"demo.py": "x = 1\n"})))  # fmt: skip
    second = Built((_wheel(tmp_path / "2" / WHEEL, {"demo.py": "x = 2\n"}),
                    _wheel(tmp_path / "2" / "only-second.whl", {"a": "a"})))  # fmt: skip
    artifacts, diffs = _compare(first, second)
    [pair] = artifacts
    assert (pair.name, pair.first, pair.second) == (WHEEL, sha256(first.files[1]), sha256(second.files[0]))  # fmt: skip
    assert pair.size == first.files[1].stat().st_size and not pair.identical
    assert [(d.archive, d.member, d.how) for d in diffs] == [
        ("only-first.whl", "(file)", "only-in-first"),
        (WHEEL, "demo.py", "content"),
        ("only-second.whl", "(file)", "only-in-second"),
    ]
    same = Built((_wheel(tmp_path / "3" / WHEEL, {"demo.py": "x = 1\n"}),))
    # equal bytes: nothing named for the wheel
    assert _compare(first, same)[1] == [MemberDiff("only-first.whl", "(file)", "only-in-first")]


def test_archives_that_differ_outside_their_members_are_named(tmp_path: Path) -> None:
    first = _wheel(tmp_path / "1" / WHEEL, {"demo.py": "x\n"})
    second = _wheel(tmp_path / "2" / WHEEL, {"demo.py": "x\n"})
    with zipfile.ZipFile(second, "a") as archive:
        archive.comment = b"another"
    _, diffs = _compare(Built((first,)), Built((second,)))
    assert [(d.archive, d.member, d.how) for d in diffs] == [(WHEEL, "(archive headers)", "content")]  # fmt: skip
    assert diffs[0].detail  # says where the bytes differ


def _result(**fields: object) -> ReproResult:
    base: dict[str, object] = {"verdict": NOT_REPRODUCIBLE, "commit": "c" * 40, "epoch": 1700000000,
                               "seconds": 3.14159}  # fmt: skip
    return ReproResult(**(base | fields))  # type: ignore[arg-type]


def test_times_only_lists_archives_whose_every_difference_is_a_time() -> None:
    result = _result(differences=[
        MemberDiff(SDIST, "a.py", "mtime"), MemberDiff(SDIST, "b.py", "mtime"),
        MemberDiff(WHEEL, "a.py", "mtime"), MemberDiff(WHEEL, "b.py", "content"),
        MemberDiff("z.tar.gz", "a", "mtime"),
    ])  # fmt: skip
    assert result.times_only() == [SDIST, "z.tar.gz"]
    assert _result().times_only() == []


def test_the_verdicts_and_the_json() -> None:
    assert _result(verdict=REPRODUCIBLE).reproducible
    assert not _result().reproducible and not _result(verdict=ERROR).reproducible
    pair = ArtifactHashes(WHEEL, "a" * 64, "a" * 64, 10)
    diff = MemberDiff(SDIST, "a.py", "mtime")
    data = _result(artifacts=[pair], tools={"hatchling": "1.25"}, differences=[diff],
                   error="", kept=".ci-sessions/double-build").to_json()  # fmt: skip
    assert data == {
        "verdict": NOT_REPRODUCIBLE, "commit": "c" * 40, "source_date_epoch": 1700000000,
        "artifacts": [pair.to_json()], "tools": {"hatchling": "1.25"},
        "differences": [diff.to_json()], "error": "", "seconds": 3.14,
        "kept": ".ci-sessions/double-build", "times_only": [SDIST],
    }  # fmt: skip
    json.dumps(data)


def test_render_shows_hashes_tools_differences_hint_and_where_kept() -> None:
    differences = [MemberDiff(SDIST, f"m{n}.py", "mtime") for n in range(3)]
    differences += [MemberDiff(WHEEL, f"w{n}.py", "content", "line 1") for n in range(4)]
    result = _result(
        artifacts=[ArtifactHashes(SDIST, "a" * 64, "b" * 64, 1), ArtifactHashes(WHEEL, "c" * 64, "c" * 64, 1)],
        tools={"uv": "0.5", "hatchling": "1.25"}, differences=differences,
        kept=".ci-sessions/double-build", error="the error",
    )  # fmt: skip
    assert result.render(limit=2).splitlines() == [
        "double build: not-reproducible (3.1 s, SOURCE_DATE_EPOCH=1700000000)",
        "the error",
        f"  {SDIST}: {'a' * 16} != {'b' * 16}",
        f"  {WHEEL}: {'c' * 16} == {'c' * 16}",
        "  tools: hatchling 1.25, uv 0.5",
        f"  differs: {SDIST}: 3 member(s), in their file times only",
        f"  differs: {WHEEL}: w0.py: content (line 1)",
        f"  differs: {WHEEL}: w1.py: content (line 1)",
        "  ... and 2 more differences",
        f"  hint: {SDIST}: {TIMES_ONLY_HINT}",
        "  both builds kept in .ci-sessions/double-build",
    ]
    assert len(result.render().splitlines()) == 12  # the default limit shows all four
    assert "more differences" not in result.render(limit=4)
    assert _result(verdict=REPRODUCIBLE).render().splitlines() == [
        "double build: reproducible (3.1 s, SOURCE_DATE_EPOCH=1700000000)"
    ]


def test_both_builds_are_kept_under_the_state_folder_replacing_the_last(tmp_path: Path) -> None:
    stale = tmp_path / ".ci-sessions" / "double-build" / "first" / "old.whl"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier run")
    first = Built((_wheel(tmp_path / "b1" / WHEEL, {"a": "1"}),))
    second = Built((_wheel(tmp_path / "b2" / WHEEL, {"a": "2"}),))
    assert _keep(tmp_path, first, second) == ".ci-sessions/double-build"
    kept = tmp_path / ".ci-sessions" / "double-build"
    assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*") if p.is_file()) == [
        f"first/{WHEEL}",
        f"second/{WHEEL}",
    ]
    assert (kept / "second" / WHEEL).read_bytes() == second.files[0].read_bytes()


def test_a_version_from_git_is_told_to_the_copies_and_a_bad_source_is_not(tmp_path: Path) -> None:
    pyproject = {"project": {"name": "demo", "version": "1.0"}}
    assert _from_vcs(tmp_path, BuildSettings(version_source="tag"), pyproject)
    assert not _from_vcs(tmp_path, BuildSettings(), pyproject)
    assert not _from_vcs(tmp_path, BuildSettings(version_source="pyproject"), {"project": {}})


def test_render_shows_twenty_differences_by_default_and_names_each_times_only_archive() -> None:
    differences = [MemberDiff(WHEEL, f"w{n}.py", "content") for n in range(21)]
    differences += [MemberDiff(SDIST, "a", "mtime"), MemberDiff("z.tar.gz", "a", "mtime")]
    lines = _result(differences=differences).render().splitlines()
    assert sum(1 for line in lines if line.startswith(f"  differs: {WHEEL}")) == 20
    assert "  ... and 1 more differences" in lines
    assert lines[-1].startswith(f"  hint: {SDIST}, z.tar.gz: ")


def test_a_version_file_is_read_in_the_project_given(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text('__version__ = "1.0"\n')
    settings = BuildSettings(version_source="demo/__init__.py")
    assert not _from_vcs(tmp_path, settings, {"project": {"name": "demo", "dynamic": ["version"]}})


def test_the_second_build_starts_in_a_later_second_of_the_clock() -> None:
    """A build that stamps the time to the second must read another second the second time."""
    from ci_sessions.builds.double_build import _into_the_next_second  # pyright: ignore[reportPrivateUsage]

    for _ in range(3):
        before = time.time()
        _into_the_next_second()
        after = time.time()
        assert int(after) > int(before)
        assert after - before <= 1.1  # never a second more than it needs
