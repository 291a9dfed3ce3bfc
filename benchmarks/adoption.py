"""Adoption on the real-project corpus, with zero edits, every count compared with the tools by hand.

For each project of ``benchmarks/corpus.toml`` (a fresh copy: one commit, its version tag) this
does what a new user does, timed: ``ci-sessions init``, a commit, ``nox -s essential``, then
``nox -s extended`` and ``nox -s coverage``. Then, in the environments ci-sessions built
(``.nox/ci-sessions/``), it runs each tool by hand with the project's own configuration and
compares every count: files and findings (ruff check, ruff format, pyright, bandit,
detect-secrets), tests passed/failed/skipped/xfailed (the project's own test command), coverage.
ci-sessions' findings are counted before the baseline (the accepted plus the remaining ones).

The time ci-sessions itself costs is ``init`` + the first ``essential`` minus what the same work
takes by hand in a fresh copy: ``uv venv`` + ``uv pip install`` of the project with its test
dependencies and of each tool (same pins), then ruff check, ruff format --check, pyright, pytest,
bandit and detect-secrets, once each.

    python benchmarks/adoption.py [NAME ...] [--quick] [--write] [--table]

``--write`` keeps the results in ``benchmarks/adoption-results.json``; ``--table`` prints the
Markdown table ``docs/adoption.md`` holds (from that file). Every difference between ci-sessions
and the tools by hand is either listed in ``EXPLAINED`` (with the reason the page gives) or shown
as unexplained.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import IDENTITY, PROJECTS, QUICK, Project, fresh_copy, parse_summary  # noqa: E402

from ci_sessions.checks.pyright_runner import runner_packages_visible  # noqa: E402

RESULTS = HERE / "adoption-results.json"
PAGE = HERE.parent / "docs" / "adoption.md"
START, END = "<!-- adoption-table:start -->", "<!-- adoption-table:end -->"
TARGET_SECONDS = 60.0
BIN = Path(sys.executable).parent
#: the counts compared, per check: (what ci-sessions says, what the tool says by hand)
FIELDS = (
    "lint.files", "lint.findings", "format.files", "format.unformatted", "typecheck.files",
    "typecheck.problems", "tests.passed", "tests.failed", "tests.skipped", "tests.xfailed",
    "sast.files", "sast.findings", "secrets.files", "secrets.findings", "coverage.percent",
)  # fmt: skip
#: differences the page explains: (project, field) -> why; a difference not listed is a finding
#: ruff format on ``.`` formats the Python blocks of Markdown files too (ruff 0.17)
_MARKDOWN = (
    "ruff 0.17 run on `.` also formats the Python blocks of Markdown files (README.md, docs/*.md); "
    "the format check gives ruff the project's Python files, as ruff's own pre-commit hook does "
    "(types python, pyi)"
)
EXPLAINED: dict[tuple[str, str], str] = {
    ("msgpack", "format.unformatted"): _MARKDOWN,
    ("click", "format.unformatted"): _MARKDOWN,
    ("humanize", "format.unformatted"): _MARKDOWN,
    ("werkzeug", "format.unformatted"): _MARKDOWN,
}


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_SESSIONS_", "PYTEST"))}
    for name in ("CI", "GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "VIRTUAL_ENV"):
        env.pop(name, None)
    env.update({"UV_PYTHON_DOWNLOADS": "never", "COLUMNS": "160", **IDENTITY})
    env.update(extra or {})
    return env


def _run(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 3600
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(argv), cwd=cwd, env=dict(env or _env()), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:  # a command missing here: its output
        done = subprocess.CompletedProcess(list(argv), 127, "", f"{argv[0]}: {exc}")
    return done, time.perf_counter() - started


def _cpu() -> float:
    """CPU seconds of the finished child processes (and theirs): load from other work on the
    machine stretches wall time, much less this."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _results(root: Path) -> dict[str, Any]:
    path = root / ".ci-sessions" / "reports" / "results.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"results": []}


def _rows(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(r["check"]): r for r in results.get("results", [])}


# --------------------------------------------------------------------------- ci-sessions


def adopt(project: Project, work: Path) -> dict[str, Any]:
    """init, commit, essential, extended, coverage: timings, verdicts and ci-sessions' counts."""
    root = fresh_copy(project, work / "adopted")
    out: dict[str, Any] = {"verdicts": {}, "seconds": {}, "ours": {}}
    cpu = _cpu()
    init, out["seconds"]["init"] = _run([str(BIN / "ci-sessions"), "init"], root)
    out["init_exit"] = init.returncode
    out["init_baseline"] = next(
        (ln.strip() for ln in init.stdout.splitlines() if ln.startswith("baseline")), ""
    )
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=_env())
    subprocess.run(["git", "commit", "-qm", "adopt ci-sessions"], cwd=root, check=True, env=_env())
    by_session: dict[str, dict[str, dict[str, Any]]] = {}
    for session in ("essential", "extended", "coverage"):
        done, seconds = _run([sys.executable, "-m", "nox", "-s", session], root)
        out["seconds"][session] = round(seconds, 1)
        out["verdicts"][session] = done.returncode
        found = _rows(_results(root))
        by_session[session] = found
        if session == "essential":
            out["cpu_init_plus_essential"] = round(_cpu() - cpu, 1)
        out[f"{session}_rows"] = {r["label"]: r["status"] for r in found.values()}
        out[f"{session}_durations"] = {
            r["label"]: round(float(r.get("duration", 0.0)), 1) for r in found.values()
        }
        out[f"{session}_summaries"] = {
            r["label"]: r["summary"] for r in found.values() if r["status"] != "PASS"
        }
    # each count from the run that first made it: essential's tests, extended's security rows,
    # the coverage session's coverage
    rows = {**by_session["extended"], **by_session["essential"]}
    if "coverage" in by_session["coverage"]:
        rows["coverage"] = by_session["coverage"]["coverage"]
    out["ours"] = ours(rows)
    out["root"] = str(root)
    out["python"] = next(
        (r["python"] for r in rows.values() if r["check"] == "tests" and r.get("python")), ""
    )
    return out


def _raw_findings(row: Mapping[str, Any]) -> int:
    return len(row.get("findings", [])) + int(row.get("metrics", {}).get("baselined", 0) or 0)


def _checked(row: Mapping[str, Any]) -> int | None:
    checked = row.get("checked")
    return int(checked["count"]) if checked else None


def ours(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """ci-sessions' counts from its rows (findings before the baseline)."""
    got: dict[str, Any] = {}
    if "lint" in rows:
        got["lint.files"] = _checked(rows["lint"])
        got["lint.findings"] = _raw_findings(rows["lint"])
    if "format" in rows:
        got["format.files"] = _checked(rows["format"])
        got["format.unformatted"] = _raw_findings(rows["format"])
    if "typecheck" in rows:
        got["typecheck.files"] = _checked(rows["typecheck"])
        got["typecheck.problems"] = _raw_findings(rows["typecheck"])  # errors and warnings
    if "tests" in rows:
        metrics = rows["tests"].get("metrics", {})
        got["tests.passed"] = metrics.get("passed")
        got["tests.failed"] = int(metrics.get("failed", 0)) + int(metrics.get("errors", 0))
        got["tests.skipped"] = metrics.get("skipped")
        got["tests.xfailed"] = metrics.get("xfailed", 0)
    for check in ("sast", "secrets"):
        if check in rows and rows[check]["status"] not in ("ERROR",):
            got[f"{check}.files"] = _checked(rows[check])
            got[f"{check}.findings"] = _raw_findings(rows[check])
    if "coverage" in rows:
        percent = rows["coverage"].get("metrics", {}).get("percent")
        got["coverage.percent"] = round(float(percent), 1) if percent is not None else None
    return got


# --------------------------------------------------------------------------- by hand


def _env_of(root: Path, name: str) -> Path | None:
    found = sorted(p for p in (root / ".nox" / "ci-sessions").glob(f"{name}-3.*") if p.is_dir())
    return found[0] if found else None


def by_hand(project: Project, root: Path) -> dict[str, Any]:
    """Each tool run by hand with the project's configuration, in the environments ci-sessions
    built; the tests with the project's own command."""
    from ci_sessions.config.project import load_project

    facts = load_project(root)
    got: dict[str, Any] = {}
    ruff_env = _env_of(root, "ruff")
    if ruff_env is not None:
        ruff = str(ruff_env / "bin" / "ruff")
        select = [] if facts.has_ruff_config else ["--select", "E4,E7,E9,F"]
        listed, _ = _run([ruff, "check", "--show-files", *select], root)
        got["lint.files"] = len([ln for ln in listed.stdout.splitlines() if ln.strip()])
        found, _ = _run([ruff, "check", "--output-format", "json", "--exit-zero", *select], root)
        got["lint.findings"] = len(json.loads(found.stdout or "[]"))
        formatted, _ = _run([ruff, "format", "--check"], root)
        counts = re.findall(
            r"(\d+) files? (?:would be reformatted|already formatted)", formatted.stdout
        )
        got["format.files"] = sum(int(c) for c in counts)
        unformatted = re.search(r"(\d+) files? would be reformatted", formatted.stdout)
        got["format.unformatted"] = int(unformatted.group(1)) if unformatted else 0
    pyright_env, project_env = _env_of(root, "pyright"), _env_of(root, "project")
    if pyright_env is not None and project_env is not None:
        paths = [] if facts.has_pyright_config else list(facts.packages)
        # by hand means in a development environment that runs nox: nox and ci_sessions are
        # there (the noxfile imports them), as ci-sessions shows them to pyright
        with runner_packages_visible(project_env) as extra:
            checked, _ = _run([str(pyright_env / "bin" / "pyright"), "--outputjson", "--pythonpath",
                               str(project_env / "bin" / "python"), *paths], root,
                              _env(extra))  # fmt: skip
        summary = json.loads(checked.stdout)["summary"]
        got["typecheck.files"] = summary["filesAnalyzed"]
        got["typecheck.problems"] = summary["errorCount"] + summary["warningCount"]
    if project_env is not None:
        got.update(_tests_by_hand(project, root, project_env))
    bandit_env = _env_of(root, "bandit")
    if bandit_env is not None and facts.packages:
        excludes = ",".join(f"*/{d}/*,{d}/*" for d in ("tests", "test", "testing"))
        scanned, _ = _run([str(bandit_env / "bin" / "bandit"), "-r", *facts.packages, "-q",
                           "-x", excludes, "-f", "json"], root)  # fmt: skip
        report = json.loads(scanned.stdout or "{}")
        got["sast.files"] = len([k for k in report.get("metrics", {}) if k != "_totals"])
        got["sast.findings"] = len(report.get("results", []))
    secrets_env = _env_of(root, "detect-secrets")
    if secrets_env is not None:
        argv = [str(secrets_env / "bin" / "detect-secrets"), "-v", "scan"]
        for pattern in (r"^\.ci-sessions/", r"^\.nox/", r"^\.venv/", r"^\.tox/",
                        r"(^|/)node_modules/", r"^\.secrets\.baseline$",
                        r"^ci-sessions-baseline\.json$"):  # fmt: skip
            argv += ["--exclude-files", pattern]
        scanned, _ = _run(argv, root)
        got["secrets.files"] = len(
            set(re.findall(r"Checking file: (.+?)\s*$", scanned.stderr, re.M))
        )
        got["secrets.findings"] = sum(
            len(v) for v in json.loads(scanned.stdout)["results"].values()
        )
    return got


def _tests_by_hand(project: Project, root: Path, env_dir: Path) -> dict[str, Any]:
    """The project's own test command in the project environment; then under coverage, in the
    coverage environment, for the total percent."""
    env = _env({"PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                "VIRTUAL_ENV": str(env_dir)})  # fmt: skip
    for command in project.setup:
        _run(command, root, env)
    argv = [*project.test, "-p", "no:cacheprovider"]
    done, _seconds = _run(argv, root, env)
    counts = parse_summary(done.stdout)
    got: dict[str, Any] = {
        "tests.passed": counts["passed"] + counts["xpassed"],
        "tests.failed": counts["failed"] + counts["errors"],
        "tests.skipped": counts["skipped"],
        "tests.xfailed": counts["xfailed"],
        "tests.summary": next(
            (ln.strip("= ") for ln in reversed(done.stdout.splitlines()) if " in " in ln), ""
        ),
    }
    cov_env = _env_of(root, "project-cov")
    if cov_env is not None:
        env = _env({"PATH": f"{cov_env / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                    "VIRTUAL_ENV": str(cov_env), "COVERAGE_FILE": str(root / ".coverage-by-hand")})  # fmt: skip
        python = str(cov_env / "bin" / "python")
        pytest_args = (
            project.test[project.test.index("pytest") + 1 :] if "pytest" in project.test else []
        )
        _run(
            [
                python,
                "-m",
                "coverage",
                "run",
                "-m",
                "pytest",
                *pytest_args,
                "-p",
                "no:cacheprovider",
            ],
            root,
            env,
        )
        total, _ = _run(
            [python, "-m", "coverage", "report", "--format=total", "--precision=1"], root, env
        )
        try:
            got["coverage.percent"] = round(float(total.stdout.strip()), 1)
        except ValueError:
            got["coverage.percent"] = None
        (root / ".coverage-by-hand").unlink(missing_ok=True)
    return got


# --------------------------------------------------------------------------- time by hand


def time_by_hand(
    project: Project, work: Path, python: str, pins: Mapping[str, str]
) -> tuple[float, float]:
    """What the work of init + the first essential takes by hand, in a fresh copy: the venvs,
    the installs (same pins), and each tool once (ruff check, ruff format --check, pyright,
    pytest; bandit and detect-secrets, whose findings init records)."""
    root = fresh_copy(project, work / "by-hand")
    uv = shutil.which("uv") or "uv"
    started, cpu = time.perf_counter(), _cpu()
    venvs = work / "venvs"
    for name, requirements in (
        ("project", list(project.install)),
        ("ruff", [pins["ruff"]]),
        ("pyright", [pins["pyright"]]),
        ("bandit", [pins["bandit"]]),
        ("detect-secrets", [pins["detect-secrets"]]),
    ):
        target = venvs / name
        _run([uv, "venv", "-q", "-p", python, str(target)], root)
        _run([uv, "pip", "install", "-q", "--python", str(target / "bin" / "python"), *requirements], root)  # fmt: skip
    env = _env({"PATH": f"{venvs / 'project' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                "VIRTUAL_ENV": str(venvs / "project")})  # fmt: skip
    _run([str(venvs / "ruff" / "bin" / "ruff"), "check", "--exit-zero"], root)
    _run([str(venvs / "ruff" / "bin" / "ruff"), "format", "--check"], root)
    with runner_packages_visible(venvs / "project") as extra:
        _run([str(venvs / "pyright" / "bin" / "pyright"), "--pythonpath", str(venvs / "project" / "bin" / "python")], root, _env(extra))  # fmt: skip
    for command in project.setup:
        _run(command, root, env)
    _run([*project.test, "-p", "no:cacheprovider"], root, env)
    _run([str(venvs / "bandit" / "bin" / "bandit"), "-r", ".", "-q", "-f", "json"], root)
    _run([str(venvs / "detect-secrets" / "bin" / "detect-secrets"), "scan"], root)
    return time.perf_counter() - started, _cpu() - cpu


def tool_pins(root: Path) -> dict[str, str]:
    """The pins ci-sessions used for this project (its config, else the packaged ones)."""
    from ci_sessions._interpreters import current
    from ci_sessions.checks.base import CheckContext
    from ci_sessions.checks.tooling import tool_requirement
    from ci_sessions.config import load_config
    from ci_sessions.config.project import load_project

    ctx = CheckContext(root, load_config(root), load_project(root), current(), "bench")
    return {t: tool_requirement(ctx, t)[0] for t in ("ruff", "pyright", "bandit", "detect-secrets")}


# --------------------------------------------------------------------------- comparing


def differences(
    name: str, ours_: Mapping[str, Any], hand: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Every field whose two counts differ, explained or not."""
    found: list[dict[str, Any]] = []
    for field in FIELDS:
        if field not in ours_ and field not in hand:
            continue
        mine, theirs = ours_.get(field), hand.get(field)
        if mine == theirs:
            continue
        if isinstance(mine, float) and isinstance(theirs, float) and abs(mine - theirs) < 0.15:
            continue
        why = EXPLAINED.get((name, field), "")
        found.append({"field": field, "ours": mine, "hand": theirs, "explained": why})
    return found


def run_project(project: Project, base: Path, *, timed: bool = True) -> dict[str, Any]:
    """Adopt one project and compare; ``timed``: also time the same work by hand."""
    work = base / project.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load = os.getloadavg()[0]
    adopted = adopt(project, work)
    root = Path(adopted.pop("root"))
    hand = by_hand(project, root)
    python = adopted.get("python") or f"{sys.version_info.major}.{sys.version_info.minor}"
    by_hand_seconds, by_hand_cpu = (
        time_by_hand(project, work, python, tool_pins(root)) if timed else (0.0, 0.0)
    )
    own = adopted["seconds"]["init"] + adopted["seconds"]["essential"] - by_hand_seconds
    own_cpu = adopted["cpu_init_plus_essential"] - by_hand_cpu
    result = {
        "project": project.name,
        "version": project.version,
        "shapes": list(project.shapes),
        "load_1min": round(load, 1),
        **adopted,
        "hand": hand,
        "seconds": {
            **adopted["seconds"],
            "init": round(adopted["seconds"]["init"], 1),
            "by_hand": round(by_hand_seconds, 1),
            "own": round(own, 1),
            "cpu_init_plus_essential": adopted["cpu_init_plus_essential"],
            "cpu_by_hand": round(by_hand_cpu, 1),
            "cpu_own": round(own_cpu, 1),
        },
        "differences": differences(project.name, adopted["ours"], hand),
    }
    shutil.rmtree(work, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- the table


def _pair(ours_: Any, hand: Any) -> str:
    return f"{ours_}" if ours_ == hand else f"{ours_} / {hand}"


def table(results: Iterable[Mapping[str, Any]]) -> str:
    """The Markdown table of docs/adoption.md: one row per project, ``ours / by hand`` where the
    two differ."""
    head = (
        "| project | essential | extended | lint files / findings | typecheck files / errors + warnings "
        "| tests passed, failed, skipped, xfailed | sast, secrets findings | coverage % "
        "| init + essential s (CPU) | by hand s (CPU) | own s (CPU) | differences |"
    )
    lines = [head, "|" + " --- |" * 12]
    for r in results:
        o, h = r["ours"], r["hand"]
        tests = ", ".join(_pair(o.get(f"tests.{k}"), h.get(f"tests.{k}"))
                          for k in ("passed", "failed", "skipped", "xfailed"))  # fmt: skip
        diffs = r["differences"]
        unexplained = [d for d in diffs if not d["explained"]]
        note = f"{len(diffs)} explained" if diffs and not unexplained else (
            f"**{len(unexplained)} unexplained**" if unexplained else "none")  # fmt: skip
        ext = (
            "green"
            if r["verdicts"].get("extended") == 0
            else "red: "
            + ", ".join(
                f"{k} {v}"
                for k, v in r.get("extended_rows", {}).items()
                if v not in ("PASS", "SKIP")
            )
        )
        lines.append(
            f"| {r['project']} {r['version']} | {'green' if r['verdicts'].get('essential') == 0 else 'red'} "
            f"| {ext} "
            f"| {_pair(o.get('lint.files'), h.get('lint.files'))} / {_pair(o.get('lint.findings'), h.get('lint.findings'))} "
            f"| {_pair(o.get('typecheck.files'), h.get('typecheck.files'))} / {_pair(o.get('typecheck.problems'), h.get('typecheck.problems'))} "
            f"| {tests} "
            f"| {_pair(o.get('sast.findings'), h.get('sast.findings'))}, {_pair(o.get('secrets.findings'), h.get('secrets.findings'))} "
            f"| {_pair(o.get('coverage.percent'), h.get('coverage.percent'))} "
            f"| {r['seconds']['init'] + r['seconds']['essential']:.1f} ({r['seconds']['cpu_init_plus_essential']:.1f}) "
            f"| {r['seconds']['by_hand']:.1f} ({r['seconds']['cpu_by_hand']:.1f}) "
            f"| {r['seconds']['own']:.1f} ({r['seconds']['cpu_own']:.1f}) | {note} |"
        )  # fmt: skip
    return "\n".join(lines) + "\n"


def explain(result: Mapping[str, Any]) -> dict[str, Any]:
    """A result with each difference's reason as ``EXPLAINED`` gives it now (the reasons are the
    page's prose; the numbers stay as measured)."""
    diffs = [
        {**d, "explained": EXPLAINED.get((str(result["project"]), str(d["field"])), "")}
        for d in result["differences"]
    ]
    return {**result, "differences": diffs}


def page_block(document: Mapping[str, Any]) -> str:
    """What docs/adoption.md holds between its markers: the table, the totals, and each
    difference with the reason the page gives (a unit test keeps the page equal to it)."""
    results = [explain(r) for r in document["projects"]]
    totals = {
        **document["totals"],
        "unexplained": sum(1 for r in results for d in r["differences"] if not d["explained"]),
    }
    lines = [START, "", table(results)]
    lines.append(
        f"Totals over {len(results)} projects (Python {document['python']}, {document['date']}): "
        f"init + first essential {totals['init_plus_essential']:.1f} s, the same work by hand "
        f"{totals['by_hand']:.1f} s, ci-sessions' own time {totals['own']:.1f} s "
        f"({totals['cpu_own']:.1f} s of CPU); the longest "
        f"own time {max(r['seconds']['own'] for r in results):.1f} s "
        f"(target: under {document['target_own_seconds']:.0f} s per project); "
        f"unexplained differences: {totals['unexplained']}."
    )
    diffs = [(r["project"], d) for r in results for d in r["differences"]]
    if diffs:
        lines += ["", "Differences (ci-sessions / by hand):", ""]
        for project, d in diffs:
            why = d["explained"] or "**not explained**"
            lines.append(f"- {project}, `{d['field']}`: {d['ours']} / {d['hand']}: {why}")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def _document(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "date": time.strftime("%Y-%m-%d"),
        "load_1min_mean": round(sum(r["load_1min"] for r in results) / max(1, len(results)), 1),
        "target_own_seconds": TARGET_SECONDS,
        "projects": results,
        "totals": {
            "init_plus_essential": round(sum(r["seconds"]["init"] + r["seconds"]["essential"] for r in results), 1),
            "by_hand": round(sum(r["seconds"]["by_hand"] for r in results), 1),
            "own": round(sum(r["seconds"]["own"] for r in results), 1),
            "cpu_own": round(sum(r["seconds"]["cpu_own"] for r in results), 1),
            "unexplained": sum(1 for r in results for d in r["differences"] if not d["explained"]),
        },
    }  # fmt: skip


def _with_earlier(out: Path, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's rows, and the rows of the results file for the projects it did not adopt:
    a run of some projects replaces their rows and never drops the others."""
    mine = {r["project"] for r in results}
    earlier: list[dict[str, Any]] = []
    if out.exists():
        earlier = [r for r in json.loads(out.read_text(encoding="utf-8"))["projects"]
                   if r["project"] not in mine]  # fmt: skip
    order = {name: index for index, name in enumerate(PROJECTS)}
    return sorted([*earlier, *results], key=lambda r: order.get(r["project"], len(order)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="corpus projects (default: all)")
    parser.add_argument("--quick", action="store_true", help="the corpus' quick subset")
    parser.add_argument("--write", action="store_true", help=f"keep the results in {RESULTS.name}")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where --write keeps them")
    parser.add_argument(
        "--table", action="store_true", help="print the table from the results file"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(page_block(json.loads(RESULTS.read_text(encoding="utf-8"))), end="")
        return 0
    names = args.names or (list(QUICK) if args.quick else list(PROJECTS))
    base = Path(tempfile.mkdtemp(prefix="ci-sessions-adoption-"))
    results: list[dict[str, Any]] = []
    try:
        for name in names:
            print(f"adopting {name} ...", file=sys.stderr, flush=True)
            try:
                results.append(run_project(PROJECTS[name], base))
            except Exception as exc:  # one project's failure is a row, the others still run
                print(f"  {name}: the script failed: {exc!r}", file=sys.stderr, flush=True)
                raise
            if args.write:  # kept after each project: a long run that stops keeps the rest
                kept = _document(_with_earlier(args.out, results))
                args.out.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
            r = results[-1]
            print(f"  {name}: init+essential {r['seconds']['init'] + r['seconds']['essential']:.1f} s, "
                  f"own {r['seconds']['own']:.1f} s, {len(r['differences'])} difference(s)",
                  file=sys.stderr, flush=True)  # fmt: skip
    finally:
        shutil.rmtree(base, ignore_errors=True)
    document = _document(results)
    if args.write:
        kept = _document(_with_earlier(args.out, results))
        args.out.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
    print(table(results), end="")
    print(json.dumps(document["totals"]))
    return 1 if document["totals"]["unexplained"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
