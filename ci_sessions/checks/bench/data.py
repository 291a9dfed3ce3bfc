"""Benchmark runs on disk: pytest-benchmark JSON in, baselines in ``.ci-sessions/benchmarks/`` out.

A baseline is a normalised run (raw rounds, machine, commit, branch, Python) kept in a directory
that a CI cache or artifact can carry from the main branch to pull requests. Thresholds per
benchmark come from ``configs/performance-thresholds.yaml`` and ``[tool.ci-sessions.bench]``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from ci_sessions._fs import atomic_write_text, state_dir
from ci_sessions.checks import tooljson
from ci_sessions.checks.bench.significance import seed_for, thin
from ci_sessions.errors import ConfigError

RUN_KIND = "ci-sessions-bench-run"
SCHEMA_VERSION = 1
_MACHINE_KEYS = ("node", "machine", "system", "release", "python_implementation", "python_version")


class SavedBenchmark(TypedDict):
    name: str
    fullname: str
    group: str
    rounds: list[float]  # seconds per call, as measured (thinned to max-rounds)


class SavedRun(TypedDict):
    """A run as ci-sessions saves it (a baseline)."""

    kind: str  # RUN_KIND
    schema: int
    commit: str
    branch: str
    python: str
    datetime: str
    machine: dict[str, str]
    timer: str
    benchmarks: list[SavedBenchmark]


@dataclass(frozen=True)
class Benchmark:
    """One benchmark's raw rounds (seconds per call) and its identity."""

    name: str
    fullname: str
    rounds: tuple[float, ...]
    group: str = ""

    @property
    def path(self) -> str:
        """The test file, relative to the project root (``benchmarks/test_x.py``)."""
        return self.fullname.split("::", 1)[0] if "::" in self.fullname else ""


@dataclass(frozen=True)
class BenchRun:
    """A run of the benchmarks with the facts needed to judge a comparison."""

    benchmarks: tuple[Benchmark, ...]
    commit: str = ""
    branch: str = ""
    python: str = ""
    datetime: str = ""
    machine: Mapping[str, str] = field(default_factory=dict[str, str])
    timer: str = ""  # pytest-benchmark's timer: process_time (CPU) or perf_counter (wall)

    def by_name(self) -> dict[str, Benchmark]:
        return {b.fullname or b.name: b for b in self.benchmarks}

    def machine_label(self) -> str:
        cpu = self.machine.get("cpu", "")
        return f"{self.machine.get('system', '?')} {self.machine.get('machine', '')} {cpu}".strip()

    def to_json(self) -> SavedRun:
        return SavedRun(
            kind=RUN_KIND,
            schema=SCHEMA_VERSION,
            commit=self.commit,
            branch=self.branch,
            python=self.python,
            datetime=self.datetime,
            machine=dict(self.machine),
            timer=self.timer,
            benchmarks=[
                SavedBenchmark(
                    name=b.name, fullname=b.fullname, group=b.group, rounds=list(b.rounds)
                )
                for b in self.benchmarks
            ],
        )


def _benchmarks(data: Mapping[str, object]) -> list[tooljson.JsonObject]:
    """The entries of ``benchmarks``: one that is not an object is a ``ValueError``."""
    value: object = data.get("benchmarks") or []
    items = tooljson.as_list(value, "benchmarks")
    return [tooljson.as_object(item, f"benchmarks[{n}]") for n, item in enumerate(items)]


def _rounds(value: object, where: str) -> list[float]:
    """Seconds per call: anything but numbers is a ``ValueError`` (a round read as 0 would be
    a speed-up)."""
    items = tooljson.as_list(value, where)
    rounds = [float(v) for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(rounds) != len(items):
        raise ValueError(f"{where}: expected numbers (seconds per round)")
    return rounds


def from_pytest_benchmark(
    data: Mapping[str, object], *, commit: str = "", branch: str = "", max_rounds: int = 0
) -> BenchRun:
    """Normalise ``pytest --benchmark-json`` output; ``stats.data`` holds the raw rounds."""
    machine_raw = tooljson.member(data, "machine_info")
    machine = {key: tooljson.text(machine_raw, key) for key in _MACHINE_KEYS}
    cpu = machine_raw.get("cpu")
    if tooljson.is_object(cpu):
        machine["cpu"] = tooljson.text(cpu, "brand_raw")
        machine["cpu_count"] = tooljson.text(cpu, "count")
    benchmarks: list[Benchmark] = []
    timer = ""
    for n, item in enumerate(_benchmarks(data)):
        timer = timer or tooljson.text(tooljson.member(item, "options"), "timer")
        fullname = tooljson.text(item, "fullname") or tooljson.text(item, "name")
        rounds = tooljson.member(item, "stats").get("data")
        raw = _rounds(rounds, f"benchmarks[{n}].stats.data") if rounds else []
        if not raw:
            raise ValueError(
                f"benchmark {tooljson.text(item, 'name', '?')!r} has no raw rounds (stats.data); "
                "was it saved with pytest-benchmark's --benchmark-json?"
            )
        benchmarks.append(
            Benchmark(
                name=tooljson.text(item, "name", fullname),
                fullname=fullname,
                rounds=tuple(thin(raw, max_rounds, seed_for(fullname))),
                group=tooljson.text(item, "group"),
            )
        )
    commit_info = tooljson.member(data, "commit_info")
    return BenchRun(
        benchmarks=tuple(benchmarks),
        commit=commit or tooljson.text(commit_info, "id"),
        branch=branch or tooljson.text(commit_info, "branch"),
        python=machine.get("python_version", ""),
        datetime=tooljson.text(data, "datetime"),
        machine=machine,
        timer=timer,
    )


def run_from_json(data: Mapping[str, object]) -> BenchRun:
    """A run saved by ci-sessions, or raw pytest-benchmark JSON (auto-detected)."""
    if data.get("kind") != RUN_KIND:
        return from_pytest_benchmark(data)
    benchmarks: list[Benchmark] = []
    for n, item in enumerate(_benchmarks(data)):
        name = item.get("name")
        if not isinstance(name, str):
            raise ValueError(f"benchmarks[{n}]: no name")
        benchmarks.append(
            Benchmark(
                name=name,
                fullname=tooljson.text(item, "fullname", name),
                rounds=tuple(_rounds(item.get("rounds"), f"benchmarks[{n}].rounds")),
                group=tooljson.text(item, "group"),
            )
        )
    machine = tooljson.member(data, "machine")
    return BenchRun(
        benchmarks=tuple(benchmarks),
        commit=tooljson.text(data, "commit"),
        branch=tooljson.text(data, "branch"),
        python=tooljson.text(data, "python"),
        datetime=tooljson.text(data, "datetime"),
        machine={key: tooljson.text(machine, key) for key in machine},
        timer=tooljson.text(data, "timer"),
    )


def load_run(path: Path) -> BenchRun:
    """Read a saved run or a pytest-benchmark JSON file; ValueError names the file."""
    try:
        data = tooljson.load(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read benchmark file {path}: {exc}") from None
    if not tooljson.is_object(data) or "benchmarks" not in data:
        raise ValueError(f"{path} is not a benchmark run (no 'benchmarks' key)")
    try:
        return run_from_json(data)
    except ValueError as exc:
        raise ValueError(f"{path} is not a valid benchmark run: {exc}") from None


def save_run(path: Path, run: BenchRun) -> None:
    save_json(path, run.to_json())


def save_json(path: Path, data: Mapping[str, object]) -> None:
    """Atomically, so a CI cache never carries half a baseline."""
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


# -- baselines ------------------------------------------------------------------------------------


def baselines_dir(root: Path) -> Path:
    """``.ci-sessions/benchmarks/``: one ``<branch>.json`` per saved baseline."""
    directory = state_dir(root) / "benchmarks"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def baseline_path(root: Path, ref: str) -> Path:
    """Where the baseline of a branch lives; ``/`` and odd characters become ``_``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", ref.strip()) or "baseline"
    return baselines_dir(root) / f"{safe}.json"


def resolve_reference(root: Path, ref: str) -> Path | None:
    """``--compare REF|FILE``: an existing file wins, else the saved baseline of branch REF."""
    candidate = Path(ref)
    if not candidate.is_absolute():
        candidate = root / candidate
    if candidate.is_file():
        return candidate
    stored = baseline_path(root, ref)
    return stored if stored.is_file() else None


# -- thresholds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Allowed slowdown per benchmark: the first matching pattern wins, else the default."""

    default: float = 0.10
    patterns: tuple[tuple[str, float], ...] = ()

    def for_benchmark(self, name: str, fullname: str = "") -> float:
        for pattern, value in self.patterns:
            if fnmatch.fnmatchcase(name, pattern) or (
                fullname and fnmatch.fnmatchcase(fullname, pattern)
            ):
                return value
        return self.default


def parse_fraction(value: object, source: str, key: str) -> float:
    """``"10%"``, ``0.1`` -> 0.1; anything else is a ConfigError naming the key."""
    number: float | None = None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1]) / 100
        except ValueError:
            number = None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not 0 < number <= 10:
        raise ConfigError(
            source,
            key,
            f"invalid threshold {value!r}",
            expected='a slowdown like "10%" or 0.10 (greater than 0)',
            fix='write the allowed slowdown as a percentage, e.g. "15%"',
        )
    return number


def load_thresholds(packaged: Path, project: Mapping[str, str]) -> Thresholds:
    """Packaged file, then the project's ``bench.thresholds`` (its ``"*"`` sets the default)."""
    import yaml

    source = f"configs/{packaged.name}"
    try:
        data: object = yaml.safe_load(packaged.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(source, "", f"cannot read: {exc}") from None
    if not tooljson.is_mapping(data):
        raise ConfigError(source, "", "must be a mapping with keys default and benchmarks")
    table = data
    unknown = {str(key) for key in table} - {"default", "benchmarks"}
    if unknown:
        raise ConfigError(source, sorted(unknown)[0], "unknown key", expected="default, benchmarks")
    default = parse_fraction(table.get("default", "10%"), source, "default")
    raw_patterns: object = table.get("benchmarks") or {}
    if not tooljson.is_mapping(raw_patterns):
        raise ConfigError(source, "benchmarks", "must be a mapping of pattern -> threshold")
    patterns = [
        (str(k), parse_fraction(v, source, f"benchmarks.{k}")) for k, v in raw_patterns.items()
    ]
    project_source = "pyproject.toml [tool.ci-sessions]"
    own: list[tuple[str, float]] = []
    for pattern, value in project.items():
        fraction = parse_fraction(value, project_source, f"bench.thresholds.{pattern}")
        if pattern == "*":
            default = fraction
        else:
            own.append((pattern, fraction))
    return Thresholds(default=default, patterns=(*own, *patterns))
