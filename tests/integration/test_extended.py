"""The extended tier's security checks through real nox, bandit, pip-audit, detect-secrets and
pre-commit on fixture projects (git repositories made in tmp_path)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_projects import NoxRun, pyproject, write_files
from gitrepo import git

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Make = Callable[..., Path]
Run = Callable[..., NoxRun]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
FAKE_AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"  # split, so this file itself holds no key
DEBUG = '"""Debugging."""\n\n\ndef stop() -> None:\n    """Stop."""\n    breakpoint()\n'

#: a local hook (pygrep needs no install and no network) that fails on a leftover breakpoint()
PRECOMMIT = """
repos:
- repo: local
  hooks:
  - id: no-breakpoint
    name: no breakpoints
    language: pygrep
    entry: 'breakpoint\\(\\)'
    types: [python]
  - id: ci-sessions-lint
    name: lint through nox (the tier runs lint itself, so this hook is skipped)
    language: system
    entry: nox -s lint
    pass_filenames: false
"""
#: a hook that rewrites a file, as formatters do: the check reports it and puts the file back
TOUCHING_HOOK = """
  - id: touch-debug
    name: touch debug.py
    language: system
    entry: python3 -c "import sys; [open(f, chr(97)).write(chr(10)) for f in sys.argv[1:]]"
    files: ^src/demo/debug[.]py$
"""
#: an advisory for six < 1.17 in the OSV format of the PyPA advisory database
SIX_ADVISORY = {
    "id": "PYSEC-2099-17",
    "aliases": ["CVE-2099-0017"],
    "summary": "test advisory for six",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "six"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.17.0"}]}],
        }
    ],
}


def security_project(
    root: Path,
    *,
    dependencies: str,
    extra: str = "",
    files: dict[str, str] | None = None,
    audit: str = 'service = "none"',
) -> Path:
    """A committed src-layout project with a local advisory directory and a `security` tier."""
    config = f"""
        dependencies = [{dependencies}]

        [tool.ci-sessions]
        python = ["{PYTHON}"]

        [tool.ci-sessions.tiers]
        security = ["sast", "audit", "secrets", "precommit"]

        [tool.ci-sessions.audit]
        {audit}
        advisories = "advisories"
        {extra}
        """
    write_files(
        root,
        {
            "pyproject.toml": pyproject("demo", extra=config),
            ".pre-commit-config.yaml": PRECOMMIT,
            ".gitignore": ".nox/\n",
            "advisories/six/PYSEC-2099-17.json": json.dumps(SIX_ADVISORY, indent=2),
            **(files or {}),
        },
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "fixture")
    return root


def test_clean_project_passes_the_extended_tier(make_project: Make, nox_runner: Run) -> None:
    root = security_project(make_project(), dependencies='"six>=1.17"')
    run = nox_runner(root, "-s", "extended")
    assert run.returncode == 0, run.output
    statuses = {r["label"]: r["status"] for r in run.results["results"]} if run.results else {}
    assert [label for label in statuses if not label.startswith("tests")] == [
        "lint", "format", "typecheck", "sast", "audit", "secrets", "precommit",
    ]  # fmt: skip
    assert set(statuses.values()) == {"PASS"}, run.output
    assert run.result("audit")["metrics"]["packages"] >= 2  # six and pytest at least
    assert "vulnerabilities 0 <= 0" in run.stdout
    assert "hooks calling nox): ci-sessions-lint" in run.stdout
    sarif = root / run.result("sast")["artifacts"]["sarif"]
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
        ).stdout
        == ""
    )


def test_insecure_project_fails_every_security_check_and_never_shows_the_key(
    make_project: Make, nox_runner: Run
) -> None:
    root = security_project(
        make_project(),
        dependencies='"six==1.16.0"',
        extra="""
        [[tool.ci-sessions.sast.allow]]
        id = "B404"
        reason = "subprocess is how this tool works"
        expires = "2099-01-01"

        [[tool.ci-sessions.sast.allow]]
        id = "B602"
        reason = "was going to be fixed last year"
        expires = "2020-01-01"
        """,
        files={
            "src/demo/shell.py": '''
                """Runs commands."""
                import subprocess


                def run(x: str) -> int:
                    """Run x."""
                    return subprocess.call(x, shell=True)
                ''',
            "deploy/settings.ini": f"[aws]\nregion = eu-west-1\naws_access_key_id = {FAKE_AWS_KEY}\n",
            "src/demo/debug.py": DEBUG,
            ".pre-commit-config.yaml": PRECOMMIT + TOUCHING_HOOK,
        },
    )
    run = nox_runner(root, "-s", "security")
    assert run.returncode == 1, run.output

    sast = run.result("sast")
    assert sast["status"] == "FAIL"
    assert [(f["rule"], f["path"], f["line"], f["severity"]) for f in sast["findings"]] == [
        ("B602", "src/demo/shell.py", 7, "error")
    ]  # B404 is allowed by an active entry; B602's entry expired and hides nothing
    gates = {g["name"]: g for g in sast["gates"]}
    assert gates["blocking findings"]["status"] == "FAIL"
    assert gates["expired allow-list entries"]["status"] == "FAIL"
    assert "B602" in gates["expired allow-list entries"]["message"]
    assert "2020-01-01" in gates["expired allow-list entries"]["message"]

    audit = run.result("audit")
    assert audit["status"] == "FAIL"
    assert [f["rule"] for f in audit["findings"]] == ["PYSEC-2099-17"]
    declared = 1 + (root / "pyproject.toml").read_text().splitlines().index(
        'dependencies = ["six==1.16.0"]'
    )
    assert (audit["findings"][0]["path"], audit["findings"][0]["line"]) == (
        "pyproject.toml",
        declared,
    )
    assert "fixed in 1.17.0" in audit["findings"][0]["message"]
    assert "PYSEC-2099-17" in run.stdout

    secrets = run.result("secrets")
    assert secrets["status"] == "FAIL"
    assert [(f["rule"], f["path"], f["line"]) for f in secrets["findings"]] == [
        ("AWSKeyDetector", "deploy/settings.ini", 3)
    ]

    precommit = run.result("precommit")
    assert precommit["status"] == "FAIL"
    assert [(f["rule"], f["path"]) for f in precommit["findings"]] == [
        ("no-breakpoint", ".pre-commit-config.yaml"),
        ("touch-debug", ".pre-commit-config.yaml"),  # pre-commit fails a hook that modifies files
        ("modified-by-hook", "src/demo/debug.py"),
    ]
    assert (root / "src/demo/debug.py").read_text() == DEBUG  # put back as it was
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
        ).stdout
        == ""
    )

    assert FAKE_AWS_KEY not in run.output
    leaks = [
        p
        for p in (root / ".ci-sessions").rglob("*")
        if p.is_file() and FAKE_AWS_KEY.encode() in p.read_bytes()
    ]
    assert leaks == []


def test_unreachable_vulnerability_source_is_error_never_pass(
    make_project: Make, nox_runner: Run
) -> None:
    root = security_project(
        make_project(),
        dependencies='"six>=1.17"',
        audit='service = "osv"\nosv-url = "http://127.0.0.1:9/v1/query"\ntimeout = 5',
    )
    run = nox_runner(root, "-s", "audit")
    assert run.returncode == 1, run.output
    audit = run.result("audit")
    assert audit["status"] == "ERROR"
    packages = audit["metrics"]["packages"]
    assert packages >= 2
    assert audit["summary"] == f"vulnerability data unreachable for {packages} packages"

    warned = nox_runner(root, "-s", "audit", env={"CI_SESSIONS_AUDIT_UNREACHABLE": "warn"})
    audit = warned.result("audit")
    assert audit["status"] == "WARN", warned.output
    assert any(
        g["status"] == "WARN" and g["name"] == "packages not audited" for g in audit["gates"]
    )
