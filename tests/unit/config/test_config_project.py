"""Project facts: layouts, packages, test dependencies and tool pins read from files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ci_sessions.config.project import load_project


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
            ("ruff<0.9,>=0.8", "pyproject.toml [dependency-groups] lint"),
        ),
        (
            {"requirements-dev.txt": "Ruff==0.4.2  # pinned\n"},
            ("ruff==0.4.2", "requirements-dev.txt"),
        ),
        ({"requirements-dev.txt": "ruffus==2.0\n"}, None),
        (
            {
                "pyproject.toml": '[project.optional-dependencies]\ndev = ["pytest", "ruff==0.3.1"]\n'
            },
            ("ruff==0.3.1", "pyproject.toml optional-dependencies dev"),
        ),
        ({"requirements/lint.txt": "ruff==0.2.0\n"}, ("ruff==0.2.0", "requirements/lint.txt")),
        # the first place in the order wins: pre-commit, groups, extras, requirements files
        (
            {
                ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n  - id: r\n    additional_dependencies: ['ruff==0.5.0']\n",
                "pyproject.toml": '[dependency-groups]\nlint = ["ruff==0.8.0"]\n',
            },
            ("ruff==0.5.0", ".pre-commit-config.yaml"),
        ),
        (
            {
                "pyproject.toml": '[dependency-groups]\nlint = ["ruff==0.8.0"]\n'
                '[project.optional-dependencies]\ndev = ["ruff==0.3.1"]\n',
                "requirements.txt": "ruff==0.1.0\n",
            },
            ("ruff==0.8.0", "pyproject.toml [dependency-groups] lint"),
        ),
        (
            {
                "pyproject.toml": '[project.optional-dependencies]\ndev = ["ruff==0.3.1"]\n',
                "requirements.txt": "ruff==0.1.0\n",
            },
            ("ruff==0.3.1", "pyproject.toml optional-dependencies dev"),
        ),
        # a pre-commit config without the tool falls through to the next place
        (
            {
                ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks: [{id: x}]\n",
                "requirements.txt": "ruff==0.1.0\n",
            },
            ("ruff==0.1.0", "requirements.txt"),
        ),
    ],
)
def test_tool_pins_are_found(
    tmp_path: Path, files: dict[str, str], expected: tuple[str, str] | None
) -> None:
    root = write(tmp_path, files)
    assert load_project(root).tool_pin("ruff") == expected


def test_a_project_that_compiles_something_is_recognised(tmp_path: Path) -> None:

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'c'\nversion = '1'\n")
    (tmp_path / "src" / "c").mkdir(parents=True)
    (tmp_path / "src" / "c" / "__init__.py").write_text("")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "helper.c").write_text("")  # test fixtures are not the package
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("")
    pure = load_project(tmp_path)
    assert not pure.compiled
    assert pure.package_files == ("pyproject.toml", "src/c/__init__.py")
    (tmp_path / "src" / "c" / "_speed.c").write_text("")
    assert load_project(tmp_path).compiled
    (tmp_path / "src" / "c" / "_speed.c").unlink()
    (tmp_path / "pyproject.toml").write_text(
        "[build-system]\nrequires = ['maturin']\nbuild-backend = 'maturin'\n"
    )
    assert load_project(tmp_path).compiled


def test_a_lock_for_an_old_python_beside_the_general_one_is_left_out(tmp_path: Path) -> None:
    """jinja2 ships requirements/tests.txt and requirements/tests37.txt (pins for Python 3.7):
    installing both is no solution (uv: "No solution found when resolving dependencies")."""
    root = write(tmp_path / "p", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n',
        "requirements/tests.txt": "pytest==8.3.4\n",
        "requirements/tests37.txt": "pytest==7.4.4\n",
        "requirements/tests-py38.txt": "pytest==8.0\n",
        "requirements/typing.txt": "mypy\n",
    })  # fmt: skip
    deps = load_project(root).test_deps([], [], [], [])
    assert deps.requirement_files == ("requirements/tests.txt",)
    only_versioned = write(tmp_path / "q", {
        "pyproject.toml": '[project]\nname = "q"\nversion = "1"\n',
        "requirements/tests37.txt": "pytest==7.4.4\n",
    })  # fmt: skip
    assert load_project(only_versioned).test_deps([], [], [], []).requirement_files == (
        "requirements/tests37.txt",
    )  # the only one there is: used
