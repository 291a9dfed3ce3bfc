"""`ci-sessions init` then `nox -s essential` on three kinds of projects, with no manual edit.

Pre-existing files are never changed (pyproject.toml only gains tables at its end); findings the
project already had are baselined; a new finding fails the tier.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fixture_projects import nox_env, run_nox, write_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PY = f"{sys.version_info.major}.{sys.version_info.minor}"

SRC_WITH_TOX = {
    "pyproject.toml": f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "toxdemo"  # comment kept
        version = "0.1.0"
        requires-python = ">={PY}"

        [tool.ruff]
        line-length = 100
        """,
    "tox.ini": """
        [tox]
        envlist = py3

        [testenv]
        deps = pytest
        commands = pytest {posargs} tests
        """,
    "src/toxdemo/__init__.py": '''
        """Demo with findings the project never gated on."""
        import os


        def add(a: int, b: int) -> int:
            return a + b


        def label() -> int:
            return "not an int"
        ''',
    "tests/test_add.py": """
        from toxdemo import add


        def test_add():
            assert add(2, 3) == 5
        """,
}

FLAT_WITH_MAKEFILE = {
    "setup.py": 'from setuptools import setup\n\nsetup(name="makedemo", version="0.1", py_modules=["makedemo"])\n',
    "Makefile": "test:\n\tpytest tests\n",
    "makedemo.py": "def double(x):\n    return x*2\n",  # unformatted: baselined
    "tests/test_double.py": "from makedemo import double\n\n\ndef test_double():\n    assert double(2) == 4\n",
}

OWN_PRECOMMIT_AND_WORKFLOW = {
    "pyproject.toml": f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "owndemo"
        version = "0.1.0"
        requires-python = ">={PY}"
        """,
    ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks:\n      - id: own\n        name: own\n        entry: 'true'\n        language: system\n",
    ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n",
    "src/owndemo/__init__.py": "def one() -> int:\n    return 1\n",
    "tests/test_one.py": "from owndemo import one\n\n\ndef test_one() -> None:\n    assert one() == 1\n",
}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".nox" not in p.parts and ".ci-sessions" not in p.parts
    }


def _init(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(root, "init", str(root), *args)


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ci_sessions.cli", *args],
        cwd=root,
        env=nox_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _adopt(tmp_path: Path, files: dict[str, str]) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path / "project"
    write_files(root, files)
    before = _snapshot(root)
    done = _init(root)
    assert done.returncode == 0, done.stdout + done.stderr
    after = _snapshot(root)
    for name, content in before.items():
        if name == "pyproject.toml":
            assert after[name].startswith(content), (
                "pyproject.toml must only gain tables at its end"
            )
        else:
            assert after[name] == content, f"init changed the pre-existing {name}"
    rerun = _init(root)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _snapshot(root) == after, "a second init must change nothing"
    return root, after


def test_src_layout_with_tox(tmp_path: Path) -> None:
    root, _ = _adopt(tmp_path, SRC_WITH_TOX)
    essential = run_nox(root, "-s", "essential")
    assert essential.returncode == 0, essential.output
    assert essential.result("lint")["metrics"]["baselined"] == 1
    assert essential.result("typecheck")["metrics"]["baselined"] == 1
    # the module also needs reformatting (no blank line after its docstring): accepted too
    assert essential.result("format")["metrics"]["baselined"] == 1
    # a NEW unused import fails the tier
    module = root / "src" / "toxdemo" / "__init__.py"
    module.write_text("import json\n" + module.read_text(encoding="utf-8"), encoding="utf-8")
    failing = run_nox(root, "-s", "essential")
    assert failing.returncode != 0
    assert failing.status("lint") == "FAIL"
    assert "F401" in [f["rule"] for f in failing.result("lint")["findings"]]
    # the baseline only shrinks: accepting the new import needs --allow-growth
    baseline_file = root / "ci-sessions-baseline.json"
    accepted = baseline_file.read_text(encoding="utf-8")
    refused = _cli(root, "baseline", "--update")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "refusing to grow the baseline" in refused.stderr
    assert "+ lint F401 src/toxdemo/__init__.py" in refused.stderr
    assert baseline_file.read_text(encoding="utf-8") == accepted
    # fixing findings shrinks it without any flag
    module.write_text(
        module.read_text(encoding="utf-8").replace("import json\n", "").replace("import os\n", "")
    )
    shrunk = _cli(root, "baseline", "--update")
    assert shrunk.returncode == 0, shrunk.stdout + shrunk.stderr
    # removing `import os` fixes both the F401 and the formatting finding of that module
    assert "(+0 / -2)" in shrunk.stdout
    assert '"F401"' not in baseline_file.read_text(encoding="utf-8")


def test_flat_layout_with_makefile(tmp_path: Path) -> None:
    root, after = _adopt(tmp_path, FLAT_WITH_MAKEFILE)
    assert b"[tool.ci-sessions]" in after["pyproject.toml"]  # created: the project had none
    essential = run_nox(root, "-s", "essential")
    assert essential.returncode == 0, essential.output
    assert essential.status(f"tests-{PY}") == "PASS"


def test_project_with_its_own_precommit_and_workflow(tmp_path: Path) -> None:
    root, after = _adopt(tmp_path, OWN_PRECOMMIT_AND_WORKFLOW)
    assert ".pre-commit-config.yaml.ci-sessions-new" in after
    assert ".github/workflows/ci.yml.ci-sessions-new" in after
    essential = run_nox(root, "-s", "essential")
    assert essential.returncode == 0, essential.output
    forced = _init(root, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (root / ".pre-commit-config.yaml").read_bytes() == after[
        ".pre-commit-config.yaml.ci-sessions-new"
    ]


# -- file modes, ignore files, the project's own lint settings (issue 12 items 7, 17, 23) ------


def _init_with_umask(root: Path, umask: int, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    def set_umask() -> None:
        os.umask(umask)

    return subprocess.run(
        [sys.executable, "-m", "ci_sessions.cli", "init", str(root), *args],
        cwd=root,
        env=nox_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        preexec_fn=set_umask,  # a umask only, before exec
    )


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_init_keeps_modes_and_owner_and_new_files_follow_the_umask(
    tmp_path: Path, umask: int
) -> None:
    import os
    import stat

    root = tmp_path / "project"
    write_files(root, SRC_WITH_TOX)
    pyproject = root / "pyproject.toml"
    pyproject.chmod(0o640)
    owner = (os.stat(pyproject).st_uid, os.stat(pyproject).st_gid)
    if os.geteuid() == 0:
        os.chown(pyproject, 4321, 4321)
        owner = (4321, 4321)
    done = _init_with_umask(root, umask, "--no-baseline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[tool.ci-sessions]" in pyproject.read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(pyproject).st_mode) == 0o640
    assert (os.stat(pyproject).st_uid, os.stat(pyproject).st_gid) == owner
    for created in (".pre-commit-config.yaml", ".github/workflows/ci.yml", ".gitignore"):
        assert stat.S_IMODE(os.stat(root / created).st_mode) == 0o666 & ~umask, created
    # the noxfile is a script (shebang, __main__ block): executable where it is readable
    assert stat.S_IMODE(os.stat(root / "noxfile.py").st_mode) == 0o777 & ~umask


def test_adopted_hatchling_project_builds_without_what_the_tool_writes(tmp_path: Path) -> None:
    root = tmp_path / "project"
    pyproject = SRC_WITH_TOX["pyproject.toml"].replace(
        'version = "0.1.0"', 'version = "0.1.0"\n        readme = "README.md"'
    )
    files = {"pyproject.toml": pyproject, "README.md": "# toxdemo\n", ".gitignore": "dist/\n"}
    write_files(root, {**SRC_WITH_TOX, **files})
    done = _init(root, "--no-baseline")
    assert done.returncode == 0, done.stdout + done.stderr
    ignore = (root / ".gitignore").read_text(encoding="utf-8")
    assert ignore.startswith("dist/\n")  # the project's lines stay, ours are appended
    assert ".ci-sessions/\n" in ignore and ".nox/\n" in ignore
    assert run_nox(root, "-s", "lint").results is not None  # .ci-sessions/ and .nox/ now exist
    build = run_nox(root, "-s", "build")
    assert build.status("build") == "PASS", build.output
    assert _init(root, "--no-baseline").returncode == 0
    assert (root / ".gitignore").read_text(encoding="utf-8") == ignore  # a re-run adds nothing


STRICT_LINT = {
    **SRC_WITH_TOX,
    "pyproject.toml": SRC_WITH_TOX["pyproject.toml"].replace(
        "line-length = 100\n",
        """line-length = 50

        [tool.ruff.lint]
        select = ["E", "W", "F", "I", "D", "UP", "B", "ERA", "EXE", "INP", "PGH", "RUF"]
        ignore = ["D203", "D213"]

        [tool.ruff.lint.isort]
        lines-after-imports = 2

        [tool.ruff.format]
        quote-style = "single"

        [tool.pyright]
        typeCheckingMode = "strict"
        reportUnnecessaryTypeIgnoreComment = "error"
        """,
    ),
}


def test_files_init_writes_pass_the_projects_own_lint_and_typecheck_config(
    tmp_path: Path,
) -> None:
    """Issue 21, item 2: E501 at a short line-length, many rule families, and a pyright config
    without ``include`` (so pyright checks noxfile.py, where nox and ci_sessions are not
    resolvable): the rendered noxfile has no finding, and nothing of it is baselined."""
    root = tmp_path / "project"
    write_files(root, STRICT_LINT)
    done = _init(root)
    assert done.returncode == 0, done.stdout + done.stderr
    noxfile = (root / "noxfile.py").read_text(encoding="utf-8")
    assert "import ci_sessions\nimport nox\n\n\nnox.needs_version = '>=2025.2'" in noxfile
    assert "NOT accepted" not in done.stdout, done.stdout
    baseline = (root / "ci-sessions-baseline.json").read_text(encoding="utf-8")
    assert "noxfile.py" not in baseline
    assert "src/toxdemo/__init__.py" in baseline  # the project's own findings are accepted
    run = run_nox(root, "-s", "lint", "format", "typecheck")
    assert run.returncode == 0, run.output
    for check in ("lint", "format", "typecheck"):
        assert run.status(check) == "PASS", run.output
    assert run.result("typecheck")["checked"]["count"] >= 3  # noxfile.py included
    # by hand, with the project's ruff and pyright: the noxfile alone, zero findings, whether
    # nox and ci_sessions are resolvable (this interpreter has them) or not (the project's env)
    envs = root / ".nox" / "ci-sessions"
    ruff = next(envs.glob("ruff-3.*")) / "bin" / "ruff"
    pyright = next(envs.glob("pyright-3.*")) / "bin" / "pyright"
    project_python = next(envs.glob("project-3.*")) / "bin" / "python"
    linted = subprocess.run([str(ruff), "check", "noxfile.py"], cwd=root, env=nox_env(),
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert linted.returncode == 0, linted.stdout
    for python in (project_python, Path(sys.executable)):
        checked = subprocess.run(
            [str(pyright), "--pythonpath", str(python), "noxfile.py"],
            cwd=root, env=nox_env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert checked.returncode == 0, (python, checked.stdout)
        assert "0 errors, 0 warnings" in checked.stdout


OWN_NOXFILE = {
    "pyproject.toml": f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "noxdemo"
        version = "0.1.0"
        requires-python = ">={PY}"
        """,
    "noxfile.py": '''
        """Sessions of noxdemo."""

        import nox


        @nox.session
        def unit(session: nox.Session) -> None:
            """Run the tests."""
            session.install("pytest", ".")
            session.run("pytest")
        ''',
    "src/noxdemo/__init__.py": "import os\n",  # a finding the project already has
    "tests/test_noxdemo.py": "import noxdemo\n\n\ndef test_import() -> None:\n    assert noxdemo\n",
}


def test_next_steps_after_init_on_a_project_with_its_own_noxfile_work_as_printed(
    tmp_path: Path,
) -> None:
    """init's `next:` lines, followed literally, end in a passing essential tier."""
    from ci_sessions.scaffold.init import ADD_REGISTER

    root = tmp_path / "project"
    write_files(root, OWN_NOXFILE)
    done = _init(root)
    assert done.returncode == 0, done.stdout + done.stderr
    tail = done.stdout[done.stdout.index("\nnext: ") + 1 :].splitlines()
    assert tail[0] == f"next: {ADD_REGISTER}", done.stdout
    then = tail[1].strip()
    assert then.startswith("then: "), done.stdout
    # the first step, as it says: the import among the noxfile's imports, the call below them
    noxfile = root / "noxfile.py"
    text = noxfile.read_text(encoding="utf-8")
    noxfile.write_text(
        text.replace("import nox\n", "import ci_sessions\nimport nox\n", 1)
        + "\n\nci_sessions.register()\n",
        encoding="utf-8",
    )
    for command in then.removeprefix("then: ").split("; "):
        program, *args = command.split()
        if program == "nox":
            ran = run_nox(root, *args)
            assert ran.returncode == 0, f"$ {command}\n{ran.output}"
        else:
            assert program == "ci-sessions", command
            step = _cli(root, *args)
            assert step.returncode == 0, f"$ {command}\n{step.stdout}{step.stderr}"
