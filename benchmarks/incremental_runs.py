"""Running ci-sessions on a real project for the incremental benchmarks: set it up, run the
typecheck and tests sessions incrementally or whole, and read back what each run concluded, down
to each test's outcome and each file's diagnostics.

The whole run is the truth: the same sessions, in the same environments, with the per-file state
neither read nor written (``CI_SESSIONS_INCREMENTAL=never``) and the result cache bypassed.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import NOXFILE, bench_env, nox_argv

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
HASH_SEED = "0"


@dataclass
class CheckView:
    """What one check's row of one run says, in the detail a comparison needs."""

    status: str
    failing: set[str] = field(default_factory=set[str])
    outcomes: dict[str, str] = field(default_factory=dict[str, str])
    findings: set[tuple[str, int, int, str, str]] = field(
        default_factory=set[tuple[str, int, int, str, str]]
    )
    tests: int = 0
    files_rerun: int | None = None
    files: int | None = None
    note: str = ""
    cached: bool = False
    interrupted: bool = False
    #: a failing test -> the first line of its failure, as the check's finding says it (last,
    #: so the fields before it keep their positions)
    failures: dict[str, str] = field(default_factory=dict[str, str])


@dataclass
class RunView:
    seconds: float
    checks: dict[str, CheckView]
    returncode: int
    output: str = ""
    timed_out: bool = False


def machine_facts(
    tests_python: str, load_start: tuple[float, float, float], started: float
) -> dict[str, Any]:
    """The facts of one run of a script on the corpus: when, where, under what load, how long,
    and the commit of ci-sessions it measured."""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=Path(__file__).resolve().parent, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "commit": commit or "unknown",
        "code": code_tree(commit or "HEAD"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "tests_python": tests_python,
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def code_tree(commit: str) -> str:
    """The git tree of ``ci_sessions/`` at ``commit``: the code a run measured (runs of two
    commits that differ only in the benchmarks measured the same code)."""
    return subprocess.run(
        ["git", "rev-parse", f"{commit}:ci_sessions"],
        cwd=Path(__file__).resolve().parent, capture_output=True, text=True, check=False,
    ).stdout.strip() or "unknown"  # fmt: skip


def tests_settings(install: tuple[str, ...], test: tuple[str, ...]) -> dict[str, list[str]]:
    """``[tool.ci-sessions.tests]`` from how a person installs and runs the project's tests
    (``uv pip install ARGS``; the test command)."""
    settings: dict[str, list[str]] = {"groups": [], "extras": [], "requirements": [], "deps": []}
    words = list(install)
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("--group", "-r") and i + 1 < len(words):
            settings["groups" if word == "--group" else "requirements"].append(words[i + 1])
            i += 2
            continue
        if word.startswith(".[") and word.endswith("]"):
            settings["extras"] += [e.strip() for e in word[2:-1].split(",")]
        elif word not in (".", "-e") and not word.startswith("-"):
            settings["deps"].append(word)
        i += 1
    command = list(test)
    if "pytest" in command:
        after = command[command.index("pytest") + 1 :]
        settings["paths"] = [w for w in after if not w.startswith("-")]
    return {k: v for k, v in settings.items() if v}


def configure(root: Path, python: str, tests: dict[str, list[str]]) -> None:
    """The three-line noxfile and ``[tool.ci-sessions]`` (the Python, the test settings),
    committed: the edits start from a clean work tree."""
    if not (root / "noxfile.py").exists():
        (root / "noxfile.py").write_text(NOXFILE)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    lines: list[str] = []
    if "[tool.ci-sessions]" not in text:  # a project set up already keeps its own
        lines += ["", "[tool.ci-sessions]", f'python = ["{python}"]']
    if tests and "[tool.ci-sessions.tests]" not in text:
        lines += ["", "[tool.ci-sessions.tests]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in sorted(tests.items())]
    pyproject.write_text(text + "\n".join(lines) + "\n")
    ignore = root / ".gitignore"
    ignored = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    ignore.write_text(ignored + "\n.nox/\n.ci-sessions/\n")
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run([*GIT, "commit", "-q", "--no-verify", "-m", "ci-sessions"], cwd=root, check=True)


def restore(root: Path) -> None:
    """Back to the committed tree (ignored files, environments and state kept)."""
    subprocess.run([*GIT, "checkout", "-q", "--", "."], cwd=root, check=True)
    subprocess.run([*GIT, "clean", "-fdq"], cwd=root, check=True)


#: seconds one run may take: a mutant that makes a loop endless (h11's reader) runs forever
RUN_TIMEOUT = 300


def run(root: Path, python: str, *, whole: bool, timeout: int = RUN_TIMEOUT) -> RunView:
    """``nox -s typecheck tests-PY``: incrementally, or whole (the truth). A run past
    ``timeout`` is ended with every process it started (its own session) and gives no
    results, returncode -9 and ``timed_out``."""
    # one hash seed for every run: a project's test ids can come from iterating a set of
    # strings (structlog parametrizes over ``{"thread", "module", ...}``), and then the same id
    # names another case in each process; the edit, not the seed, is what runs must differ by
    extra = {"PYTHONHASHSEED": HASH_SEED}
    if whole:
        extra["CI_SESSIONS_INCREMENTAL"] = "never"
    argv = nox_argv("-R", "-s", "typecheck", f"tests-{python}")
    if whole:
        argv += ["--", "--no-cache"]
    results = root / ".ci-sessions" / "reports" / "results.json"
    results.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=root, env=bench_env(extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        seconds = time.perf_counter() - started
        return RunView(seconds, {}, -9, f"timed out after {timeout} s\n" + output[-3000:], True)
    seconds = time.perf_counter() - started
    checks: dict[str, CheckView] = {}
    if results.exists():
        document = json.loads(results.read_text(encoding="utf-8"))
        for row in document.get("results", []):
            checks[str(row["label"])] = view(root, row, python, incremental=not whole)
    return RunView(seconds, checks, process.returncode, output[-4000:])


def view(root: Path, row: dict[str, Any], python: str, *, incremental: bool) -> CheckView:
    metrics = row.get("metrics", {})
    found = CheckView(
        status=str(row["status"]),
        tests=int(metrics.get("tests", 0) or 0),
        files_rerun=metrics.get("files_rerun"),
        files=(metrics.get("files_rerun") or 0) + (metrics.get("files_reused") or 0)
        if "files_rerun" in metrics
        else None,
        note=str(metrics.get("incremental", "")),
        cached=bool(row.get("cached_at")),
        interrupted=int(metrics.get("exit_code", 0) or 0) in (2, 3, 4),
    )
    for item in row.get("findings", []):
        if item.get("rule") in ("test-failure", "flaky-test"):
            test, _, failure = str(item.get("message", "")).partition(": ")
            found.failures[test] = failure  # a known flaky test's says what failed it first
            if item.get("rule") == "test-failure":
                found.failing.add(test)
        elif item.get("tool") == "pyright":
            found.findings.add(
                (
                    str(item.get("path")),
                    int(item.get("line", 0)),
                    int(item.get("column", 0)),
                    str(item.get("rule")),
                    str(item.get("message")),
                )
            )
    if str(row["label"]).startswith("tests-"):
        found.outcomes = _outcomes(root, row, python, incremental=incremental)
    return found


def _outcomes(root: Path, row: dict[str, Any], python: str, *, incremental: bool) -> dict[str, str]:
    """Every test's outcome: this run's, plus (incremental) the kept files' from the state."""
    outcomes: dict[str, str] = {}
    if incremental:
        state = root / ".ci-sessions" / "cache" / "files" / f"tests-{python}.json"
        if state.exists():
            document = json.loads(state.read_text(encoding="utf-8"))
            for entry in document.get("units", {}).values():
                for test_id, outcome, *_rest in entry[1]:
                    outcomes[str(test_id)] = str(outcome)
    path = row.get("artifacts", {}).get("outcomes")
    if path and (root / path).exists():
        document = json.loads((root / path).read_text(encoding="utf-8"))
        for node, outcome, *_rest in document.get("tests", []):
            outcomes[str(node)] = str(outcome)
    return outcomes


def differences(
    incremental: RunView,
    whole: RunView,
    flaky: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """How the incremental run's conclusions differ from the whole run's: per row, per test,
    per diagnostic (tests in ``flaky`` left out)."""
    found: list[str] = []
    for label, truth in sorted(whole.checks.items()):
        ours = incremental.checks.get(label)
        if ours is None:
            found.append(f"{label}: no row in the incremental run")
            continue
        if ours.status != truth.status:
            found.append(f"{label}: status {ours.status} where the whole run says {truth.status}")
        if ours.cached:
            continue  # a PASS served from the result cache holds no detail
        if ours.failing - flaky != truth.failing - flaky:
            extra = sorted(ours.failing - truth.failing - flaky)[:5]
            missing = sorted(truth.failing - ours.failing - flaky)[:5]
            found.append(
                f"{label}: failing tests differ (only incremental: {extra}; only whole: {missing})"
            )
        both = (set(ours.outcomes) & set(truth.outcomes)) - flaky
        changed = sorted(t for t in both if ours.outcomes[t] != truth.outcomes[t])
        if changed:
            shown = [f"{t}: {ours.outcomes[t]} vs {truth.outcomes[t]}" for t in changed[:5]]
            found.append(f"{label}: {len(changed)} test outcome(s) differ: {shown}")
        if not (ours.interrupted or truth.interrupted) and label.startswith("tests-"):
            only = sorted(set(truth.outcomes) - set(ours.outcomes) - flaky)
            if only:
                found.append(
                    f"{label}: {len(only)} test(s) have no incremental outcome: {only[:5]}"
                )
        if ours.findings != truth.findings:
            extra_f = sorted(ours.findings - truth.findings)[:3]
            missing_f = sorted(truth.findings - ours.findings)[:3]
            found.append(
                f"{label}: diagnostics differ (only incremental: {extra_f}; only whole: {missing_f})"
            )
    return found


#: how pytest names the failure of a test in which a finalizer's exception surfaced
UNRAISABLE = "PytestUnraisableExceptionWarning"


def placed_by_the_collector(incremental: RunView, whole: RunView) -> set[str]:
    """Tests that failed in only one of two full runs, on an exception raised in a finalizer.

    An object left open (a process, a socket) fails whichever test runs when the garbage
    collector frees it; tracking what each test reaches shifts when that is, and pytest by hand
    places it elsewhere again. When the incremental run reused nothing (its row ran every file:
    ci-sessions makes a run whole once a finalizer's exception surfaces), no kept result can be
    the cause, so such a test is listed apart and left out, like a flaky one.
    """
    found: set[str] = set()
    for label, ours in incremental.checks.items():
        truth = whole.checks.get(label)
        if truth is None or ours.files is None or ours.files_rerun != ours.files:
            continue  # no row to compare, or a partial run: a kept result could be the cause
        outcomes = set(ours.outcomes) & set(truth.outcomes)
        differ = {t for t in outcomes if ours.outcomes[t] != truth.outcomes[t]}
        for test in (ours.failing ^ truth.failing) | differ:
            failure = ours.failures.get(test) or truth.failures.get(test, "")
            if UNRAISABLE in failure:
                found.add(test)
    return found


def flaky_between(first: RunView, second: RunView) -> set[str]:
    """Tests whose outcome two whole runs of one tree disagree on."""
    found: set[str] = set()
    for label, one in first.checks.items():
        two = second.checks.get(label)
        if two is None:
            continue
        for test in set(one.outcomes) | set(two.outcomes):
            if one.outcomes.get(test) != two.outcomes.get(test):
                found.add(test)
    return found
