"""The incremental runner's decisions, with a check that counts lines of files (no tool): which
files run again, what is reused, what runs everything and why, and a unit list a run disowns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ci_sessions.changes.closure import project_graph
from ci_sessions.checks.base import (
    RUNTIME,
    Check,
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    IncrementalBase,
    IncrementalCheck,
    Observed,
    PlanningCheck,
    ProjectFiles,
    Reached,
    RunPlan,
    SaltedCheck,
    Shard,
    cache_salt,
    error_result,
    is_incremental,
    pending_result,
)
from ci_sessions.config import load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.filestate import FileStateStore
from ci_sessions.engine.incremental import FileGraph, GraphFactory, IncrementalOptions
from ci_sessions.engine.runner import Invocation, RunOptions, run_checks
from ci_sessions.results import CheckResult, Status


class LineCount(IncrementalBase):
    """Counts the lines of every Python file of the package (its units), file by file."""

    name: ClassVar[str] = "linecount"
    disown: ClassVar[bool] = False

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {}

    def units(self, ctx: CheckContext, files: ProjectFiles) -> list[str] | str:
        return [f for f in files.python if f.startswith("src/") and (ctx.root / f).is_file()]

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        files = ctx.only_files if ctx.only_files is not None else self.units(ctx, ProjectFiles(
            python=tuple(sorted(p.relative_to(ctx.root).as_posix() for p in ctx.root.rglob("*.py")))
        ))  # fmt: skip
        assert isinstance(files, list)
        counts = {f: len((ctx.root / f).read_text().splitlines()) for f in files}
        return pending_result(
            ctx,
            self.name,
            # what the run was given: its environments, and whether it is watched
            metrics={"ran": sorted(counts), "lines": counts, "envs": sorted(envs),
                     "observed": ctx.observe},
            output=f"{len(counts)} file(s) counted",
        )  # fmt: skip

    def unit_results(
        self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
    ) -> dict[str, Any] | str:
        if self.disown:
            return "the tool checked other files than counted"
        lines: dict[str, int] = result.metrics["lines"]
        return {u: lines[u] for u in units}

    def merge(
        self, ctx: CheckContext, result: CheckResult, reused: Mapping[str, Any]
    ) -> CheckResult:
        result.metrics["total"] = sum(result.metrics.get("lines", {}).values()) + sum(
            reused.values()
        )
        result.metrics["merged_for"] = ctx.python
        return result

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        result.status = Status.PASS
        return result


FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "1"\n',
    "src/calc/__init__.py": "",
    "src/calc/core.py": "def base(x):\n    return x\n",
    "src/calc/mid.py": "from calc.core import base\n",
    "src/calc/other.py": "X = 1\n",
    "README.md": "calc\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def run(
    root: Path,
    check: Check,
    *,
    use: bool = True,
    graph: GraphFactory = project_graph,
    shard: Shard | None = None,
) -> CheckResult:
    return run_checks(
        root=root,
        config=load_config(root, environ={}),
        project=load_project(root),
        session="linecount",
        invocations=[Invocation(check, "3.11")],
        options=RunOptions(
            jobs=1,
            use_cache=use,
            incremental=IncrementalOptions(graph=graph, use=use),
            shard=shard,
        ),
        manager=EnvManager(root, backend="virtualenv"),
        emit=lambda _text: None,
    )[0]


def first_line(result: CheckResult) -> str:
    return result.output.splitlines()[0]


def test_only_the_edited_file_and_its_importers_run_again(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    first = run(tmp_path, check)
    assert first_line(first) == "incremental: full run: no earlier run to build on"
    assert first.metrics["total"] == 4
    assert first.output.splitlines()[1:] == ["4 file(s) counted"]  # the note comes first
    assert (first.metrics["files_rerun"], first.metrics["files_reused"]) == (4, 0)
    # a run of types: not watched; given its environments; merged in its context
    assert (first.metrics["envs"], first.metrics["observed"], first.metrics["merged_for"]) == (
        [], False, "3.11"
    )  # fmt: skip
    write(tmp_path, {"src/calc/core.py": "def base(x):\n    y = x\n    return y\n"})
    second = run(tmp_path, check)
    assert second.metrics["ran"] == ["src/calc/core.py", "src/calc/mid.py"]
    assert (second.metrics["files_rerun"], second.metrics["files_reused"]) == (2, 2)
    assert second.metrics["total"] == 5  # the reused files' lines are merged in
    assert (second.metrics["envs"], second.metrics["merged_for"]) == ([], "3.11")
    assert first_line(second).startswith("incremental: 2 of 4 files run again")
    write(tmp_path, {"README.md": "calc, documented\n"})
    third = run(tmp_path, check)
    assert third.metrics.get("ran") is None and third.metrics["total"] == 5
    assert third.metrics["merged_for"] == "3.11" and third.check == "linecount"
    assert first_line(third).startswith("incremental: 0 of 4 files run again")


def test_a_config_change_or_no_cache_runs_everything_with_the_reason(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    run(tmp_path, check)
    write(tmp_path, {"pyproject.toml": FILES["pyproject.toml"] + "\n[tool.other]\nx = 1\n"})
    assert first_line(run(tmp_path, check)).startswith(
        "incremental: full run: pyproject.toml changed"
    )
    forced = run(tmp_path, check, use=False)
    assert first_line(forced) == (
        "incremental: full run: --no-cache (the per-file state is refreshed)"
    )
    assert len(forced.metrics["ran"]) == 4


def test_a_run_that_disowns_its_units_turns_incremental_runs_off_until_it_agrees(
    tmp_path: Path,
) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    check.disown = True
    first = run(tmp_path, check)
    assert "next runs are whole too: the tool checked other files than counted" in first.output
    write(tmp_path, {"src/calc/other.py": "X = 2\n"})
    second = run(tmp_path, check)
    assert first_line(second).startswith(
        "incremental: full run: the tool checked other files than counted"
    )
    check.disown = False
    write(tmp_path, {"src/calc/other.py": "X = 22\n"})
    assert first_line(run(tmp_path, check)).startswith("incremental: full run")  # it agrees now
    write(tmp_path, {"src/calc/other.py": "X = 3\n"})
    assert first_line(run(tmp_path, check)).startswith("incremental: 1 of 4 files run again")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"format": 2, "units": {"src/calc/core.py": [1]}, "context": {}}',
     b'{"format": 2, "units": 3, "context": {}}', b"\xff\xfe\x00garbage", b""],
)  # fmt: skip
def test_an_unreadable_state_file_is_discarded_with_one_line_and_a_full_run(
    tmp_path: Path, content: bytes
) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    run(tmp_path, check)
    store = FileStateStore(tmp_path)
    store.path("linecount", "3.11").write_bytes(content)
    result = run(tmp_path, check)
    assert first_line(result).startswith(
        "incremental: full run: the per-file state .ci-sessions/cache/files/linecount-3.11.json "
        "could not be read ("
    ), result.output
    assert first_line(result).endswith("): discarded")
    assert [line for line in result.output.splitlines() if "per-file state" in line] == [
        first_line(result)
    ]
    assert len(result.metrics["ran"]) == 4  # everything ran, nothing was kept
    assert store.load("linecount", "3.11")[0] is not None  # and the state is sound again


class Flagged(LineCount):
    """A line count whose payload says whether the file had a line "BAD": such a result is
    never reusable, as a test file with a failing test never is."""

    name: ClassVar[str] = "flagged"

    def unit_results(
        self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
    ) -> dict[str, Any] | str:
        return {u: [result.metrics["lines"][u], "BAD" in (ctx.root / u).read_text()] for u in units}

    def reusable(self, payload: Any) -> bool:
        return not payload[1]

    def merge(
        self, ctx: CheckContext, result: CheckResult, reused: Mapping[str, Any]
    ) -> CheckResult:
        lines = result.metrics.get("lines", {})
        result.metrics["total"] = sum(lines.values()) + sum(p[0] for p in reused.values())
        return result


def test_a_stored_result_that_is_not_reusable_runs_again(tmp_path: Path) -> None:
    write(tmp_path, {**FILES, "src/calc/other.py": "X = 1  # BAD\n"})
    check = Flagged()
    run(tmp_path, check)
    write(tmp_path, {"README.md": "reaches no file\n"})
    again = run(tmp_path, check)
    assert again.metrics["ran"] == ["src/calc/other.py"]  # unchanged, yet run again
    assert first_line(again).startswith("incremental: 1 of 4 files run again")


def _former_contract() -> type[CheckBase]:
    """A check as the contract was documented before its optional parts became Protocols:
    ``CheckBase`` with ``incremental = True``, its own ``units``, ``unit_results`` and ``merge``
    (``reusable``, ``observed`` and ``incremental_inputs`` left to CheckBase's defaults), and
    ``plan`` and ``cache_salt`` overridden."""

    class Former(CheckBase):
        name: ClassVar[str] = "former"
        incremental: ClassVar[bool] = True
        planned: ClassVar[list[tuple[str, ...]]] = []
        salt: ClassVar[str] = "one"

        def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
            return {}

        def plan(self, plan: RunPlan) -> None:
            self.planned.append(plan.checks)

        def cache_salt(self, ctx: CheckContext) -> str:
            return self.salt

        def units(self, ctx: CheckContext, files: ProjectFiles) -> list[str] | str:
            return [f for f in files.python if f.startswith("src/")]

        def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
            files = ctx.only_files or [
                p.relative_to(ctx.root).as_posix() for p in (ctx.root / "src").rglob("*.py")
            ]
            counts = {f: len((ctx.root / f).read_text().splitlines()) for f in files}
            return pending_result(ctx, self.name, metrics={"ran": sorted(counts), "lines": counts})

        def unit_results(
            self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
        ) -> dict[str, Any] | str:
            return {u: result.metrics["lines"][u] for u in units}

        def merge(
            self, ctx: CheckContext, result: CheckResult, reused: Mapping[str, Any]
        ) -> CheckResult:
            result.metrics["total"] = sum(result.metrics.get("lines", {}).values()) + sum(
                reused.values()
            )
            return result

        def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
            result.status = Status.PASS
            return result

    return Former


def test_a_check_written_against_the_former_contract_runs_planned_salted_and_incremental(
    tmp_path: Path,
) -> None:
    with pytest.warns(DeprecationWarning, match="Former: .* inherit IncrementalBase"):
        former = _former_contract()
    check = former()
    assert is_incremental(check)
    assert isinstance(check, PlanningCheck) and isinstance(check, SaltedCheck)
    assert check.reusable([1]) and check.observed(None, None) is None  # type: ignore[arg-type]
    write(tmp_path, FILES)
    first = run(tmp_path, check)
    assert first_line(first) == "incremental: full run: no earlier run to build on"
    assert former.planned == [("former",)] and first.metrics["total"] == 4
    write(tmp_path, {"src/calc/core.py": "def base(x):\n    y = x\n    return y\n"})
    second = run(tmp_path, check)
    assert second.metrics["ran"] == ["src/calc/core.py", "src/calc/mid.py"]
    assert second.metrics["total"] == 5
    former.salt = "two"  # its salt is part of what every file's result depends on
    third = run(tmp_path, check)
    assert first_line(third).startswith("incremental: full run") and len(third.metrics["ran"]) == 4


def test_only_what_a_check_defines_makes_it_planning_salted_or_incremental() -> None:
    class Plain(CheckBase):
        name: ClassVar[str] = "plain"

        def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
            return {}

        def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
            return pending_result(ctx, self.name)

        def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
            return result

    class Off(LineCount):
        incremental: ClassVar[bool] = False

    plain = Plain()
    assert isinstance(plain, Check)
    assert not isinstance(plain, (PlanningCheck, SaltedCheck, IncrementalCheck))
    assert not is_incremental(plain) and cache_salt(plain, None) == ""  # type: ignore[arg-type]
    assert is_incremental(LineCount()) and not is_incremental(Off())
    assert isinstance(Off(), IncrementalCheck)  # every member, yet turned off


class Reaching(LineCount):
    """A line count whose run is watched (``incremental_inputs = "runtime"``, as the tests'):
    each file's run is seen reaching what ``reached`` says, the run as a whole what ``shared``
    says; with ``record`` off the run cannot say what its files reached."""

    name: ClassVar[str] = "reaching"
    incremental_inputs: ClassVar[str] = RUNTIME

    def __init__(self) -> None:
        self.reached: dict[str, Reached] = {}
        self.shared = Reached()
        self.record = True
        self.unraisable: tuple[str, ...] = ()  # where a finalizer's exception failed a test

    def observed(self, ctx: CheckContext, result: CheckResult) -> Observed | None:
        if not self.record or not ctx.observe:
            return None
        ran: list[str] = result.metrics["ran"]  # a file no test ran in has no bucket
        return Observed(
            units={u: self.reached[u] for u in ran if u in self.reached},
            shared=self.shared,
            unraisable=self.unraisable,
        )


RUNTIME_FILES = {**FILES, "src/calc/table.csv": "1,2\n", "data/setup.txt": "on\n"}


def test_a_file_a_unit_was_seen_reading_runs_that_unit_again(tmp_path: Path) -> None:
    """A package data file no test was seen reading runs everything; one a file's run read
    runs that file again, and only it."""
    write(tmp_path, RUNTIME_FILES)
    check = Reaching()
    check.reached = {"src/calc/core.py": Reached(read=frozenset({"src/calc/table.csv"}))}
    assert run(tmp_path, check).metrics["observed"] is True  # its run is watched
    write(tmp_path, {"src/calc/table.csv": "1,2,3\n"})
    again = run(tmp_path, check)
    assert again.metrics["ran"] == ["src/calc/core.py"]
    assert (again.metrics["files_rerun"], again.metrics["files_reused"]) == (1, 3)
    assert again.metrics["total"] == 4 and again.metrics["observed"] is True
    write(tmp_path, {"README.md": "unrelated\n"})
    assert run(tmp_path, check).metrics.get("ran") is None  # what it read did not change
    check.reached = {}
    write(tmp_path, {"src/calc/core.py": "def base(x):\n    return x + 0\n"})
    assert run(tmp_path, check).metrics["ran"] == ["src/calc/core.py"]  # a body: not mid.py
    # core.py's run no longer reads the table: nobody does
    write(tmp_path, {"src/calc/table.csv": "1\n"})
    blind = run(tmp_path, check)
    assert len(blind.metrics["ran"]) == 4
    assert first_line(blind).startswith("incremental: full run: src/calc/table.csv changed")


def test_what_the_run_reached_outside_any_file_runs_everything_when_it_changes(
    tmp_path: Path,
) -> None:
    write(tmp_path, RUNTIME_FILES)
    check = Reaching()
    check.shared = Reached(read=frozenset({"src/calc/table.csv"}))  # package data: not blind
    run(tmp_path, check)
    write(tmp_path, {"README.md": "unrelated\n"})
    assert run(tmp_path, check).metrics.get("ran") is None  # 0 of 4 run again
    write(tmp_path, {"src/calc/table.csv": "3\n"})
    whole = run(tmp_path, check)
    assert len(whole.metrics["ran"]) == 4
    assert first_line(whole).startswith(
        "incremental: full run: src/calc/table.csv changed: code that runs outside any one test "
        "file"
    )
    write(tmp_path, {"src/calc/other.py": "X = 5\n"})
    partial = run(tmp_path, check)  # the shared read is still known after a partial run
    assert partial.metrics["ran"] == ["src/calc/other.py"]
    write(tmp_path, {"src/calc/table.csv": "4\n"})
    assert len(run(tmp_path, check).metrics["ran"]) == 4


def test_a_run_that_cannot_say_what_it_reached_runs_whole(tmp_path: Path) -> None:
    write(tmp_path, RUNTIME_FILES)
    check = Reaching()
    run(tmp_path, check)
    check.record = False
    write(tmp_path, {"src/calc/other.py": "X = 5\n"})
    unrecorded = run(tmp_path, check)  # the partial run could not say: the whole run instead
    assert len(unrecorded.metrics["ran"]) == 4
    assert first_line(unrecorded) == (
        "incremental: full run: the run did not record what its tests reached; next runs are "
        "whole too"  # the same reason twice is said once
    )
    write(tmp_path, {"src/calc/other.py": "X = 6\n"})
    assert len(run(tmp_path, check).metrics["ran"]) == 4
    check.record = True
    write(tmp_path, {"src/calc/other.py": "X = 7\n"})
    assert len(run(tmp_path, check).metrics["ran"]) == 4  # the state is sound from here
    write(tmp_path, {"src/calc/other.py": "X = 8\n"})
    assert run(tmp_path, check).metrics["ran"] == ["src/calc/other.py"]


def test_a_file_whose_run_starts_a_process_runs_again_on_any_change(tmp_path: Path) -> None:
    write(tmp_path, RUNTIME_FILES)
    check = Reaching()
    check.reached = {
        "src/calc/other.py": Reached(spawned=("python -m calc",)),
        "src/calc/mid.py": Reached(spawned=("calc-cli",)),
    }
    run(tmp_path, check)
    write(tmp_path, {"README.md": "any change\n"})
    again = run(tmp_path, check)
    assert again.metrics["ran"] == ["src/calc/mid.py", "src/calc/other.py"]
    assert first_line(again) == (
        "incremental: 2 of 4 files run again, the others' results reused (run: src/calc/mid.py, "
        "src/calc/other.py); src/calc/mid.py (and 1 more) runs again on any change: it starts "
        "calc-cli, and what that runs is not tracked"
    )
    write(tmp_path, {"src/calc/core.py": "def base(x):\n    return x + 1\n"})
    third = run(tmp_path, check)  # core.py starts nothing, whatever its stored state says
    assert third.metrics["ran"] == ["src/calc/core.py", "src/calc/mid.py", "src/calc/other.py"]
    assert first_line(third).endswith(
        "; src/calc/mid.py (and 1 more) runs again on any change: it starts calc-cli, and what "
        "that runs is not tracked"
    )
    check.reached = {"src/calc/other.py": Reached(spawned=("python -m calc",))}
    write(tmp_path, {"src/calc/mid.py": "from calc.core import base\n\n"})
    run(tmp_path, check)  # mid.py no longer starts anything
    write(tmp_path, {"README.md": "one spawner\n"})
    single = run(tmp_path, check)
    assert single.metrics["ran"] == ["src/calc/other.py"]
    assert first_line(single).endswith(
        "(run: src/calc/other.py); src/calc/other.py runs again on any change: it starts "
        "python -m calc, and what that runs is not tracked"
    )


def test_a_graph_that_cannot_be_built_or_units_that_cannot_be_told_run_whole(
    tmp_path: Path,
) -> None:
    write(tmp_path, FILES)

    def broken(root: Path, digests: Mapping[str, str]) -> FileGraph:
        raise RuntimeError("parser crashed")

    whole = run(tmp_path, LineCount(), graph=broken)
    assert len(whole.metrics["ran"]) == 4 and whole.metrics["envs"] == []
    assert first_line(whole) == (
        "incremental: full run: the import graph could not be built (parser crashed)"
    )

    class NoUnits(LineCount):
        def units(self, ctx: CheckContext, files: ProjectFiles) -> list[str] | str:
            return "the check's paths are not files of the project"

        def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
            files = sorted(p.relative_to(ctx.root).as_posix() for p in ctx.root.rglob("src/*/*.py"))
            return super().run(replace(ctx, only_files=files), envs)

    untold = run(tmp_path, NoUnits())
    assert len(untold.metrics["ran"]) == 4 and untold.metrics["envs"] == []
    assert first_line(untold) == (
        "incremental: full run: the check's paths are not files of the project"
    )


class Failing(LineCount):
    """A line count that cannot check (ERROR) while ``broken`` is set."""

    name: ClassVar[str] = "failing"

    def __init__(self) -> None:
        self.broken = False

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        if self.broken:
            return error_result(ctx, self.name, "the tool crashed")
        return super().run(ctx, envs)


def test_a_run_that_could_not_check_keeps_no_state(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = Failing()
    check.broken = True
    first = run(tmp_path, check)
    assert first.status is Status.ERROR
    assert first_line(first) == "incremental: full run: no earlier run to build on"
    check.broken = False
    assert first_line(run(tmp_path, check)) == "incremental: full run: no earlier run to build on"
    write(tmp_path, {"src/calc/other.py": "X = 2\n"})
    check.broken = True
    partial = run(tmp_path, check)
    assert partial.status is Status.ERROR and "total" not in partial.metrics
    assert partial.output == "incremental: 1 of 4 files run again"
    check.broken = False
    assert run(tmp_path, check).metrics["ran"] == ["src/calc/other.py"]  # still to be run


def test_a_partial_run_that_disowns_its_files_runs_whole(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    run(tmp_path, check)
    check.disown = True
    write(tmp_path, {"src/calc/other.py": "X = 2\n"})
    result = run(tmp_path, check)
    assert len(result.metrics["ran"]) == 4
    assert first_line(result).startswith(
        "incremental: full run: the partial run disowned its files: the tool checked other files"
    )


def test_the_note_names_at_most_three_files_run_again(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    run(tmp_path, check)
    write(tmp_path, {"src/calc/core.py": "def base(x):\n    return -x\n", "src/calc/other.py": ""})
    three = run(tmp_path, check)
    assert first_line(three).endswith("(run: src/calc/core.py, src/calc/mid.py, src/calc/other.py)")
    write(tmp_path, {name: text + "\n" for name, text in FILES.items() if name.endswith(".py")})
    result = run(tmp_path, check)
    assert len(result.metrics["ran"]) == 4
    assert first_line(result) == (
        "incremental: 4 of 4 files run again, the others' results reused (run: "
        "src/calc/__init__.py, src/calc/core.py, src/calc/mid.py, ...)"
    )


class Partly(LineCount):
    """A line count that keeps nothing of the files in ``unkept``: they run again next time."""

    name: ClassVar[str] = "partly"

    def __init__(self) -> None:
        self.unkept: set[str] = set()

    def cache_salt(self, ctx: CheckContext) -> str:
        return f"partly for {ctx.python}"

    def unit_results(
        self, ctx: CheckContext, result: CheckResult, units: Sequence[str]
    ) -> dict[str, Any] | str:
        lines: dict[str, int] = result.metrics["lines"]
        return {u: None if u in self.unkept else lines[u] for u in units}


def test_a_file_that_kept_nothing_runs_again(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = Partly()
    check.unkept = {"src/calc/__init__.py"}  # the first: the files after it are kept
    run(tmp_path, check)
    assert run(tmp_path, check).metrics["ran"] == ["src/calc/__init__.py"]
    check.unkept = set()
    assert run(tmp_path, check).metrics["ran"] == ["src/calc/__init__.py"]
    assert run(tmp_path, check).metrics.get("ran") is None


def test_no_cache_does_not_read_the_stored_state(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    run(tmp_path, check)
    FileStateStore(tmp_path).path("linecount", "3.11").write_text("{not json")
    forced = run(tmp_path, check, use=False)
    assert first_line(forced) == (
        "incremental: full run: --no-cache (the per-file state is refreshed)"
    )


def test_an_added_context_file_runs_everything_and_is_named_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, FILES)
    check = LineCount()
    run(tmp_path, check)
    monkeypatch.setenv("CALC_MODE", "fast")
    assert first_line(run(tmp_path, check)) == (
        "incremental: full run: environment variables changed"
    )
    monkeypatch.setenv("CALC_MODE", "slow")
    write(tmp_path, {"src/calc/py.typed": ""})  # a file and a setting: the file is told
    assert first_line(run(tmp_path, check)) == (
        "incremental: full run: src/calc/py.typed was added: the type checker's configuration"
    )


def test_a_run_that_disowns_its_files_says_so_even_when_it_recorded_nothing(
    tmp_path: Path,
) -> None:
    write(tmp_path, RUNTIME_FILES)
    check = Reaching()
    check.disown, check.record = True, False
    assert first_line(run(tmp_path, check)).endswith(
        "next runs are whole too: the tool checked other files than counted"
    )


def test_a_data_file_is_no_input_of_a_check_of_types(tmp_path: Path) -> None:
    write(tmp_path, RUNTIME_FILES)
    check = LineCount()
    run(tmp_path, check)
    write(tmp_path, {"src/calc/table.csv": "9\n"})  # a type checker never reads it
    assert run(tmp_path, check).metrics.get("ran") is None


class Sharded(LineCount):
    """A line count that runs tests, so it is given the run's shard."""

    name: ClassVar[str] = "sharded"
    runs_tests: ClassVar[bool] = True


def test_another_shard_runs_everything_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    check = Sharded()
    run(tmp_path, check, shard=Shard(1, 2))
    assert run(tmp_path, check, shard=Shard(1, 2)).metrics.get("ran") is None
    other = run(tmp_path, check, shard=Shard(2, 2))
    assert len(other.metrics["ran"]) == 4
    assert first_line(other) == "incremental: full run: shard changed"


def test_a_run_in_which_a_finalizer_failed_a_test_keeps_nothing_and_the_next_is_whole(
    tmp_path: Path,
) -> None:
    """An object left open fails whichever test runs when it is collected: a partial run that
    saw one is made whole (a kept file's result may be the one it would have failed), and the
    run after it is whole too, until a run has none."""
    write(tmp_path, RUNTIME_FILES)
    check = Reaching()
    run(tmp_path, check)
    check.unraisable = ("tests/test_b.py::test_other (call)",)
    write(tmp_path, {"src/calc/other.py": "X = 5\n"})
    leaked = run(tmp_path, check)
    assert len(leaked.metrics["ran"]) == 4
    reason = (
        "an exception raised in a finalizer surfaced in tests/test_b.py::test_other (call): an "
        "object left open (a process, a socket, a file) fails whichever test runs when it is "
        "garbage-collected, not one that reached it, so runs are whole until one has none "
        "(close what the tests open to make them incremental again)"
    )
    assert first_line(leaked) == f"incremental: full run: {reason}; next runs are whole too"
    check.unraisable = ("the end of the session", "tests/test_c.py::test_c (teardown)")
    write(tmp_path, {"src/calc/other.py": "X = 6\n"})
    again = run(tmp_path, check)
    assert len(again.metrics["ran"]) == 4
    assert "surfaced in the end of the session (and 1 more): an object" in first_line(again)
    check.unraisable = ()
    write(tmp_path, {"src/calc/other.py": "X = 7\n"})
    assert len(run(tmp_path, check).metrics["ran"]) == 4  # the state before was not sound
    write(tmp_path, {"src/calc/other.py": "X = 8\n"})
    assert run(tmp_path, check).metrics["ran"] == ["src/calc/other.py"]
