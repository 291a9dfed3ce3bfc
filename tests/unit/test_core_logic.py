"""Gates, tiers, project facts, Python discovery and tool-output parsing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ci_sessions.config.project import load_project
from ci_sessions.config.pythons import declared_versions
from ci_sessions.config.tiers import expand_tier, tiers_of
from ci_sessions.gates import apply_gates, at_least, at_most
from ci_sessions.results import CheckResult, Finding, Status, worst


def test_gates_compare_and_describe() -> None:
    assert at_most("findings", 0, 0).status is Status.PASS
    failed = at_most("findings", 3, 0)
    assert failed.status is Status.FAIL
    assert failed.describe() == "findings 3 > 0"
    coverage = at_least("coverage", 91.2, 85.0)
    assert coverage.status is Status.PASS
    assert coverage.describe() == "coverage 91.20 >= 85.00"
    assert at_least("coverage", 60.0, 85.0).describe() == "coverage 60.00 < 85.00"


def test_status_is_the_worst_gate_and_error_stays_error() -> None:
    result = CheckResult(check="lint", session="lint", status=Status.PASS)
    apply_gates(result, [at_most("a", 0, 0), at_most("b", 1, 0)])
    assert result.status is Status.FAIL
    errored = CheckResult(check="lint", session="lint", status=Status.ERROR)
    apply_gates(errored, [at_most("a", 0, 0)])
    assert errored.status is Status.ERROR
    assert worst([Status.PASS, Status.WARN, Status.SKIP]) is Status.WARN
    assert worst([Status.FAIL, Status.ERROR]) is Status.ERROR


def test_result_round_trips_through_json() -> None:
    result = CheckResult(
        check="tests", session="essential", status=Status.FAIL, python="3.12", per_python=True,
        findings=[Finding("pytest", "test-failure", "boom", "tests/test_a.py", 3, 1)],
        gates=[at_most("failed tests", 1, 0)], metrics={"tests": 4},
    )  # fmt: skip
    again = CheckResult.from_json(result.to_json())
    assert again == result
    assert again.label == "tests-3.12"


def test_tiers_expand_nested_tiers_in_order_without_repeats() -> None:
    tiers = {
        "essential": ["lint", "format", "typecheck", "tests"],
        "extended": ["essential", "sast", "lint"],
        "full": ["extended", "coverage"],
    }
    assert expand_tier(tiers, "full") == [
        "lint",
        "format",
        "typecheck",
        "tests",
        "sast",
        "coverage",
    ]
    tier_map = {name: expand_tier(tiers, name) for name in tiers}
    assert tiers_of(tier_map, "sast") == ["extended", "full"]
    assert tiers_of(tier_map, "lint") == ["essential", "extended", "full"]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def test_layouts_and_packages(tmp_path: Path) -> None:
    src = write(
        tmp_path / "src_proj",
        {"src/pkg/__init__.py": "", "tests/test_x.py": "", "pyproject.toml": ""},
    )
    assert load_project(src).packages == ["src/pkg"]
    assert load_project(src).test_dirs == ["tests"]
    flat = write(
        tmp_path / "flat", {"pkg/__init__.py": "", "docs/conf.py": "", "tests/__init__.py": ""}
    )
    assert load_project(flat).packages == ["pkg"]
    single = write(tmp_path / "single", {"tool.py": "", "setup.py": "", "noxfile.py": ""})
    assert load_project(single).packages == ["tool.py"]


def test_test_dependencies_are_discovered(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "p"
                version = "1"
                [project.optional-dependencies]
                testing = ["hypothesis"]
                docs = ["mkdocs"]
                [dependency-groups]
                test = ["pytest>=8", "six"]
                dev = [{include-group = "test"}, "ipython"]
                """,
            "requirements-test.txt": "freezegun\n",
        },
    )
    deps = load_project(root).test_deps([], [], [], [])
    assert deps.requirements == ("pytest>=8", "six")  # the narrow group, not dev
    assert deps.extras == ("testing",)
    assert deps.requirement_files == ("requirements-test.txt",)
    explicit = load_project(root).test_deps(["dev"], [], [], ["extra-pkg"])
    assert explicit.requirements == ("extra-pkg", "pytest>=8", "six", "ipython")


def test_tox_deps_are_used_when_nothing_else_declares_test_deps(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "setup.py": "",
            "tox.ini": """
                [testenv]
                deps =
                    pytest
                    mock>=5  # comment
                    py38: oldthing
                    -r{toxinidir}/requirements.txt
                commands = pytest
                """,
        },
    )
    assert load_project(root).test_deps([], [], [], []).requirements == (
        "pytest", "mock>=5", "-r", "./requirements.txt",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                ".pre-commit-config.yaml": "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.6.9\n  hooks: [{id: ruff}]\n"
            },
            ("ruff==0.6.9", ".pre-commit-config.yaml"),
        ),
        (
            {
                ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n  - id: r\n    additional_dependencies: ['ruff==0.5.0']\n"
            },
            ("ruff==0.5.0", ".pre-commit-config.yaml"),
        ),
        (
            {"pyproject.toml": '[dependency-groups]\nlint = ["ruff>=0.8,<0.9"]\n'},
            ("ruff>=0.8,<0.9", "pyproject.toml [dependency-groups] lint"),
        ),
        (
            {"requirements-dev.txt": "Ruff==0.4.2  # pinned\n"},
            ("ruff==0.4.2", "requirements-dev.txt"),
        ),
        ({"requirements-dev.txt": "ruffus==2.0\n"}, None),
    ],
)
def test_tool_pins_are_found(
    tmp_path: Path, files: dict[str, str], expected: tuple[str, str] | None
) -> None:
    root = write(tmp_path, files)
    assert load_project(root).tool_pin("ruff") == expected


def test_declared_python_versions() -> None:
    classifiers = {
        "project": {
            "classifiers": [
                "Programming Language :: Python :: 3",
                "Programming Language :: Python :: 3.12",
                "Programming Language :: Python :: 3.10",
            ]
        }
    }
    assert declared_versions([], classifiers) == (["3.10", "3.12"], "classifiers")
    assert declared_versions(["3.13", "3.11"], classifiers)[0] == ["3.11", "3.13"]


@pytest.mark.parametrize(
    ("rule", "selected"),
    [
        ("F401", True),
        ("FLY002", False),
        ("E902", True),
        ("E501", False),
        ("F", True),
        ("FA100", False),
    ],
)
def test_zero_tolerance_uses_ruff_selector_semantics(rule: str, selected: bool) -> None:
    from ci_sessions.checks.ruff import _in_rule_set  # pyright: ignore[reportPrivateUsage]

    assert _in_rule_set(rule, ("F", "E9")) is selected


NEW_STYLE = """invalid-syntax: Expected a parameter or the end of the parameter list
 --> src/bad.py:1:7
  |
1 | def f(:
  |

unformatted: File would be reformatted
 --> src/ugly.py:1:2
  |
  - x=1
1 + x = 1
  |

unformatted: File would be reformatted
 --> README.md:3:1

1 file would be reformatted, 1 file already formatted
"""
OLD_STYLE = "Would reformat: src/ugly.py\nWould reformat: README.md\n2 files would be reformatted\n"


@pytest.mark.parametrize(
    ("stdout", "code", "expected"),
    [
        (NEW_STYLE, 2, [("syntax-error", "src/bad.py", 1), ("format", "src/ugly.py", 0)]),
        (OLD_STYLE, 1, [("format", "src/ugly.py", 0)]),
        ("", 0, []),
    ],
)
def test_format_output_of_old_and_new_ruff_is_read(
    tmp_path: Path, stdout: str, code: int, expected: list[tuple[str, str, int]]
) -> None:
    from ci_sessions.checks.base import ToolRun
    from ci_sessions.checks.ruff import _parse_format  # pyright: ignore[reportPrivateUsage]

    ctx = _ctx(tmp_path)
    findings = _parse_format(ctx, ToolRun(["ruff"], code, stdout, "", 0.1), ["*.py", "*.pyi"])
    assert findings is not None
    assert [(f.rule, f.path, f.line) for f in findings] == expected


@pytest.mark.parametrize(("stdout", "code"), [("1 file would be reformatted\n", 1), ("", 2)])
def test_format_failure_without_a_named_file_is_never_a_pass(
    tmp_path: Path, stdout: str, code: int
) -> None:
    from ci_sessions.checks.base import ToolRun
    from ci_sessions.checks.ruff import _parse_format  # pyright: ignore[reportPrivateUsage]

    assert _parse_format(_ctx(tmp_path), ToolRun(["ruff"], code, stdout, "", 0.1), ["*.py"]) is None


def _ctx(root: Path):  # type: ignore[no-untyped-def]
    from ci_sessions.checks.base import CheckContext
    from ci_sessions.config import load_config

    return CheckContext(root, load_config(root, environ={}), load_project(root), "3.11", "format")
