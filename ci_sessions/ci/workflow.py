"""Load a workflow file into a small model that remembers the line of every value.

The file is read as GitHub reads it (:mod:`ci_sessions._github_yaml`, the one workflow loader:
YAML 1.2 scalars, ``on``/``yes``/``no`` are strings); a mapping loads as :class:`YamlMap` (a dict
that also knows where each value starts) so an error anywhere, even one found while the run is
under way, names the file, the line and the key.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from pathlib import Path

from ci_sessions._github_yaml import Value, YamlList, YamlMap, parse
from ci_sessions.ci import contain
from ci_sessions.errors import ConfigError, YamlError, close_match


@dataclass(frozen=True)
class Where:
    """A place in the workflow file: for messages and for expression errors."""

    file: str
    line: int
    key: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.key})"

    def error(self, problem: str, *, fix: str = "") -> ConfigError:
        return ConfigError(self.file, f"line {self.line}: {self.key}", problem, fix=fix)


@dataclass(frozen=True)
class Step:
    index: int
    raw: YamlMap
    job_id: str
    file: str

    def where(self, key: str = "") -> Where:
        label = f"jobs.{self.job_id}.steps[{self.index}]" + (f".{key}" if key else "")
        line = self.raw.line_of(key) if key else self.raw.line
        return Where(self.file, line, label)

    @property
    def id(self) -> str | None:
        value = self.raw.get("id")
        return str(value) if value is not None else None

    @property
    def uses(self) -> str | None:
        value = self.raw.get("uses")
        return str(value) if value is not None else None

    @property
    def run(self) -> str | None:
        value = self.raw.get("run")
        return None if value is None else str(value)

    def label(self) -> str:
        """The step's name as written (before expressions), or what GitHub would show."""
        name = self.raw.get("name")
        if isinstance(name, str) and name:
            return name
        if self.uses:
            return f"Run {self.uses}"
        first = (self.run or "").strip().splitlines()
        return f"Run {first[0]}" if first else f"step {self.index + 1}"


@dataclass(frozen=True)
class Job:
    id: str
    raw: YamlMap
    file: str
    steps: tuple[Step, ...]
    needs: tuple[str, ...]

    def where(self, key: str = "") -> Where:
        label = f"jobs.{self.id}" + (f".{key}" if key else "")
        return Where(self.file, self.raw.line_of(key) if key else self.raw.line, label)

    def get(self, key: str) -> Value:
        return self.raw.get(key)

    def section(self, key: str) -> YamlMap:
        value = self.raw.get(key)
        return value if isinstance(value, YamlMap) else YamlMap(self.raw.line_of(key))


@dataclass(frozen=True)
class Workflow:
    path: Path
    file: str  # as shown in messages (relative to the project root)
    raw: YamlMap
    jobs: dict[str, Job]

    def where(self, key: str) -> Where:
        return Where(self.file, self.raw.line_of(key), key)

    def section(self, key: str) -> YamlMap:
        value = self.raw.get(key)
        return value if isinstance(value, YamlMap) else YamlMap(self.raw.line_of(key))

    @property
    def name(self) -> str:
        value = self.raw.get("name")
        return str(value) if value else self.file

    def triggers(self) -> dict[str, Value]:
        """The ``on:`` events: a string, a list or a mapping in the file, a mapping here."""
        value = self.raw.get("on")
        if isinstance(value, str):
            return {value: None}
        if isinstance(value, list):
            return {str(v): None for v in value}
        if isinstance(value, dict):
            return dict(value)
        return {}

    def order(self) -> list[str]:
        """Job ids in an order where every job comes after the jobs it needs."""
        sorter = graphlib.TopologicalSorter({j.id: set(j.needs) for j in self.jobs.values()})
        return list(sorter.static_order())

    def closure(self, job_id: str) -> list[str]:
        """A job and everything it needs, transitively, in needs order."""
        wanted: set[str] = set()
        todo = [job_id]
        while todo:
            current = todo.pop()
            if current not in wanted:
                wanted.add(current)
                todo.extend(self.jobs[current].needs)
        return [j for j in self.order() if j in wanted]

    def ancestors(self, job_id: str) -> set[str]:
        return set(self.closure(job_id)) - {job_id}


def load(path: Path, root: Path) -> Workflow:
    """Read and check the structure of a workflow file; errors name the file, line and key."""
    try:
        shown = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(shown, "", f"cannot read the workflow: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            shown, "", f"is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start})", fix="save the workflow as UTF-8, as GitHub reads it",
        ) from None  # fmt: skip
    try:
        data = parse(text)
    except YamlError as error:
        line = f"line {error.line}" if error.line else ""
        raise ConfigError(shown, line, f"not valid YAML: {error.message}") from None
    if not isinstance(data, YamlMap):
        raise ConfigError(shown, "", "a workflow must be a mapping with `on:` and `jobs:`")
    deep = _too_deep(data)
    if deep is not None:
        raise ConfigError(
            shown, f"line {deep}", f"nested more than {MAX_NESTING} levels deep",
            fix="flatten the value (no workflow needs this depth)",
        )  # fmt: skip
    _check_text(data, Where(shown, data.line, ""))
    return _model(path, shown, data)


#: how deep mappings and lists may nest in a workflow (every walk over the values recurses)
MAX_NESTING = 64


def _too_deep(data: YamlMap) -> int | None:
    """The line of a value nested deeper than :data:`MAX_NESTING`, or None (no recursion here)."""
    todo: list[tuple[Value, int, int]] = [(data, 1, data.line)]
    while todo:
        value, depth, line = todo.pop()
        if depth > MAX_NESTING:
            return line
        if isinstance(value, YamlMap):
            todo.extend((item, depth + 1, value.line_of(key)) for key, item in value.items())
        elif isinstance(value, YamlList):
            todo.extend((item, depth + 1, value.line_of(i)) for i, item in enumerate(value))
    return None


def _check_text(value: Value, where: Where) -> None:
    """Refuse text no step could be given: a NUL byte, a lone surrogate (YAML's ``\\0`` and
    ``\\ud800`` escapes make both), in any key or value."""
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            raise where.error(problem, fix="remove the escape sequence from the value")
    elif isinstance(value, YamlMap):
        for key, item in value.items():
            inner = Where(where.file, value.line_of(key), f"{where.key}.{key}".lstrip("."))
            _check_text(key, inner)
            _check_text(item, inner)
    elif isinstance(value, YamlList):
        for index, item in enumerate(value):
            _check_text(item, Where(where.file, value.line_of(index), f"{where.key}[{index}]"))


def _text_problem(text: str) -> str:
    if "\0" in text:
        return "holds a NUL byte, which no program's argument or environment can carry"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return (
            f"is not valid Unicode: a lone surrogate {text[error.start]!r} at position "
            f"{error.start} (a step's script is written as UTF-8)"
        )
    return ""


def _model(path: Path, shown: str, data: YamlMap) -> Workflow:
    if "on" not in data:
        raise ConfigError(shown, "on", "the workflow has no `on:` trigger")
    jobs_raw = data.get("jobs")
    if not isinstance(jobs_raw, YamlMap) or not jobs_raw:
        raise ConfigError(shown, f"line {data.line_of('jobs')}: jobs", "no jobs to run")
    jobs: dict[str, Job] = {}
    for job_id, raw in jobs_raw.items():
        where = Where(shown, jobs_raw.line_of(job_id), f"jobs.{job_id}")
        problem = contain.job_id_problem(job_id)
        if problem:
            raise Where(shown, jobs_raw.line_of(job_id), "jobs").error(
                problem, fix="rename the job (ci-sessions names a folder after it)"
            )
        if not isinstance(raw, YamlMap):
            raise where.error("a job must be a mapping")
        if "uses" in raw:
            jobs[job_id] = Job(job_id, raw, shown, (), _needs(raw, job_id, shown))
            continue
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, YamlList) or not steps_raw:
            raise Where(shown, raw.line_of("steps"), f"jobs.{job_id}.steps").error(
                "a job needs a list of steps"
            )
        steps: list[Step] = []
        for index, step_raw in enumerate(steps_raw):
            step_where = Where(shown, steps_raw.line_of(index), f"jobs.{job_id}.steps[{index}]")
            if not isinstance(step_raw, YamlMap):
                raise step_where.error("a step must be a mapping")
            if ("run" in step_raw) == ("uses" in step_raw):
                raise step_where.error("a step has exactly one of `run:` and `uses:`")
            steps.append(Step(index, step_raw, job_id, shown))
        jobs[job_id] = Job(job_id, raw, shown, tuple(steps), _needs(raw, job_id, shown))
    for job in jobs.values():
        for need in job.needs:
            if need not in jobs:
                hint = close_match(need, jobs)
                raise job.where("needs").error(
                    f"needs unknown job {need!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                    fix=f"name one of: {', '.join(jobs)}",
                )
    workflow = Workflow(path, shown, data, jobs)
    try:
        workflow.order()
    except graphlib.CycleError as error:
        cycle: list[str] = list(error.args[1])
        raise ConfigError(
            shown, "jobs", f"the needs of {' -> '.join(cycle)} form a cycle"
        ) from None
    return workflow


def _needs(raw: YamlMap, job_id: str, shown: str) -> tuple[str, ...]:
    value = raw.get("needs")
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(str(v) for v in value)
    raise Where(shown, raw.line_of("needs"), f"jobs.{job_id}.needs").error(
        "needs is a job id or a list of job ids"
    )
