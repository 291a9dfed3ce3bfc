"""Generated projects for the speed benchmarks (issue 14): an imported module graph and big suites.

``make_graph_project``: 200 modules in 10 subpackages with real imports between them (each
module imports its subpackage's ``base`` and the module at half its index), and 1,000 tests in
one test file per module. Editing a module reaches the modules that import it, transitively, and
their test files: what incremental typecheck and tests must rerun.

``make_flat_suite``: one module and ``tests`` tiny tests spread over files, some parametrized,
with skewed durations when asked (the shard and overhead benchmarks).
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

from harness import NOXFILE, demo_pyproject

PACKAGES = 10
PER_PACKAGE = 20
TESTS_PER_MODULE = 5


#: the rest of each module: the kind of code a library holds (the type checker's real work)
LIBRARY_CODE = """

class Kind{name}(enum.Enum):
    SMALL = "small"
    LARGE = "large"


class Sink{name}(Protocol):
    def put(self, key: str, value: float) -> None: ...


@dataclass
class Ledger{name}:
    entries: dict[str, list[float]] = field(default_factory=dict[str, list[float]])

    def add(self, key: str, value: float) -> None:
        self.entries.setdefault(key, []).append(value)

    def mean(self, key: str) -> float | None:
        values = self.entries.get(key)
        if not values:
            return None
        return sum(values) / len(values)

    def kinds(self) -> dict[str, Kind{name}]:
        return {
            key: Kind{name}.LARGE if sum(values) > 10 else Kind{name}.SMALL
            for key, values in self.entries.items()
        }

    def flush(self, sink: Sink{name}) -> int:
        count = 0
        for key, values in sorted(self.entries.items()):
            for value in values:
                sink.put(key, value)
                count += 1
        self.entries.clear()
        return count


T{name} = TypeVar("T{name}")


def first_{name}(items: Sequence[T{name}], wanted: Callable[[T{name}], bool]) -> T{name} | None:
    for item in items:
        if wanted(item):
            return item
    return None


def parse_{name}(text: str) -> dict[str, int]:
    result: dict[str, int] = {}
    for line in text.splitlines():
        key, _, raw = line.partition("=")
        if key.strip() and raw.strip().lstrip("-").isdigit():
            result[key.strip()] = int(raw)
    return result


def window_{name}(values: Iterable[float], size: int) -> Iterator[tuple[float, ...]]:
    buffer: deque[float] = deque(maxlen=size)
    for value in values:
        buffer.append(value)
        if len(buffer) == size:
            yield tuple(buffer)
"""


def graph_module(package: int, index: int) -> str:
    """Module ``pkg{package}.m{index}``: a dataclass and functions over the modules it imports."""
    imports = []
    uses = []
    if index > 0:
        imports.append(f"from demo.pkg{package}.m0 import scale_{package}_0")
        uses.append(f"scale_{package}_0(value)")
    half = index // 2
    if 0 < half < index:
        imports.append(f"from demo.pkg{package}.m{half} import scale_{package}_{half}")
        uses.append(f"scale_{package}_{half}(value)")
    body = " + ".join(uses) if uses else "value * 2"
    name = f"{package}_{index}"
    header = "".join(line + "\n" for line in imports) + "\n\n" if imports else "\n"
    return (
        f'"""Module {name}: a little real work for the type checker and the tests."""\n\n'
        "from __future__ import annotations\n\n"
        "import enum\n"
        "from collections import deque\n"
        "from collections.abc import Callable, Iterable, Iterator, Sequence\n"
        "from dataclasses import dataclass, field\n"
        "from typing import Protocol, TypeVar\n\n"
        f"{header}"
        "@dataclass(frozen=True)\n"
        f"class Item{name}:\n"
        "    key: str\n"
        "    weight: int\n\n"
        f"    def heavier(self, extra: int) -> Item{name}:\n"
        f"        return Item{name}(self.key, self.weight + extra)\n\n\n"
        f"def scale_{name}(value: int) -> int:\n"
        f"    return {body}\n\n\n"
        f"def total_{name}(items: list[Item{name}]) -> int:\n"
        f"    return sum(scale_{name}(item.weight) for item in items)\n"
        + LIBRARY_CODE.replace("{name}", name)
    )


def graph_test(package: int, index: int) -> str:
    name = f"{package}_{index}"
    return textwrap.dedent(
        f"""
        import pytest

        from demo.pkg{package}.m{index} import Item{name}, scale_{name}, total_{name}


        def test_heavier_{name}() -> None:
            assert Item{name}("a", 1).heavier(2).weight == 3


        def test_total_{name}() -> None:
            items = [Item{name}("a", 1), Item{name}("b", 2)]
            assert total_{name}(items) == scale_{name}(1) + scale_{name}(2)


        @pytest.mark.parametrize("value", [0, 1, 7])
        def test_scale_{name}(value: int) -> None:
            assert isinstance(scale_{name}(value), int)
        """
    ).lstrip("\n")


def make_graph_project(root: Path) -> Path:
    """The 200-module, 1,000-test project (10 subpackages x 20 modules, 5 tests per module)."""
    if root.exists():
        shutil.rmtree(root)
    package = root / "src" / "demo"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(demo_pyproject())
    (root / "noxfile.py").write_text(NOXFILE)
    (package / "__init__.py").write_text('"""Demo package."""\n')
    for p in range(PACKAGES):
        (package / f"pkg{p}").mkdir()
        (package / f"pkg{p}" / "__init__.py").write_text("")
        (root / "tests" / f"pkg{p}").mkdir(parents=True)
        for i in range(PER_PACKAGE):
            (package / f"pkg{p}" / f"m{i}.py").write_text(graph_module(p, i))
            (root / "tests" / f"pkg{p}" / f"test_m{p}_{i}.py").write_text(graph_test(p, i))
    (root / ".gitignore").write_text(".nox/\n.ci-sessions/\n.handvenv/\n__pycache__/\n")
    _git_init(root)
    return root


def flat_test_file(
    file_index: int, tests: int, *, skew: bool = False, params: int = 4, sleep_unit: float = 0.0
) -> str:
    """``tests`` tests: plain ones and a parametrized one; with ``skew`` durations differ a lot."""
    lines = ["import time", "", "import pytest", ""]
    plain = tests - params
    for t in range(plain):
        delay = 0.0
        if skew:
            # a few slow files, most fast: file i's tests sleep (i % 7) ** 2 units
            delay = sleep_unit * ((file_index % 7) ** 2) * (1 + t % 3)
        body = f"    time.sleep({delay!r})\n" if delay else ""
        lines.append(f"def test_f{file_index}_{t}() -> None:\n{body}    assert {t} + 1 > {t}\n")
    if params:
        ids = ", ".join(f'"p{p}"' for p in range(params))
        lines.append(
            f'@pytest.mark.parametrize("case", [{ids}])\n'
            f"def test_param_{file_index}(case: str) -> None:\n    assert case.startswith('p')\n"
        )
    return "\n\n".join(lines) + "\n"


def make_flat_suite(
    root: Path,
    tests: int,
    *,
    per_file: int = 100,
    skew: bool = False,
    sleep_unit: float = 0.0,
    extra_pyproject: str = "",
) -> Path:
    """A project whose suite is ``tests`` tests over ``tests // per_file`` files."""
    if root.exists():
        shutil.rmtree(root)
    (root / "src" / "flat").mkdir(parents=True)
    (root / "src" / "flat" / "__init__.py").write_text("VALUE = 1\n")
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        demo_pyproject(extra_pyproject).replace('name = "demo"', 'name = "flat"')
    )
    (root / "noxfile.py").write_text(NOXFILE)
    files = max(1, tests // per_file)
    for f in range(files):
        count = per_file if f < files - 1 else tests - per_file * (files - 1)
        params = min(4, count)
        (root / "tests" / f"test_f{f}.py").write_text(
            flat_test_file(f, count, skew=skew, params=params, sleep_unit=sleep_unit)
        )
    (root / ".gitignore").write_text(".nox/\n.ci-sessions/\n.handvenv/\n__pycache__/\n")
    _git_init(root)
    return root


def _git_init(root: Path) -> None:
    env_args = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", *env_args, "commit", "-q", "-m", "generated"], cwd=root, check=True)
