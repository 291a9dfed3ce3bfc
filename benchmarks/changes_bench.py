"""Benchmarks for change detection and affected-test selection.

1. ``changes``: a generated repository of 10,000 files and 1,000 commits whose last 10 commits
   touch 500 files (edits, renames, deletions). ``ci-sessions changes --json`` runs as a fresh
   process (what CI pays) and is compared with the bare ``git diff`` it is built on. Target: < 1 s.
2. ``affected``: real release pairs of a third-party project (sdists from PyPI, which ship their
   tests). Each pair becomes a git repository with the old release then the new one as two
   commits; the selection is compared with a full pytest run: test files and tests run against
   all, and whether a failing test was missed. Then mutations are planted in modules of the new
   release, one at a time, and every test file that fails in a full run must be selected.

Usage: python benchmarks/changes_bench.py [--part changes|affected|all] [--project packaging]
       [--versions 24.1 24.2 25.0] [--mutations 4] [--workdir DIR] [--out FILE]

Writes benchmarks/changes-results.json (atomically, once every part asked for was measured): the
part ``changes`` and one part ``affected:<project>`` per project, each with the facts of its own
run (machine, load, niceness); a part run alone replaces that part and keeps the others.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_file import load_average, merge_parts, run_facts, write_atomic

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "changes-results.json"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(root: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, env=GIT_ENV, input=stdin, capture_output=True, check=True
    )
    return done.stdout.decode()


# -- 1. changes on a generated repository --------------------------------------------------------


def _blob(text: str) -> bytes:
    data = text.encode()
    return b"data %d\n" % len(data) + data + b"\n"


def generate_repo(
    dest: Path, files: int = 10_000, commits: int = 1_000, diff_files: int = 500
) -> None:
    """A repository with ``files`` files and ``commits`` commits; HEAD~10..HEAD touches ``diff_files``."""
    rng = random.Random(20261122)  # noqa: S311 - reproducible data, not crypto
    paths: list[str] = []
    for i in range(files - 1):
        kind = i % 20
        if kind < 13:
            paths.append(f"src/app/pkg{i % 50}/mod{i}.py")
        elif kind < 16:
            paths.append(f"tests/unit/pkg{i % 50}/test_mod{i}.py")
        elif kind < 18:
            paths.append(f"docs/section{i % 30}/page{i}.md")
        else:
            paths.append(f"assets/data{i % 10}/file{i}.json")
    paths.append("pyproject.toml")
    stream = bytearray()
    stamp = 1_700_000_000

    def commit(message: str, ops: list[bytes]) -> None:
        nonlocal stamp
        stamp += 60
        stream.extend(b"commit refs/heads/main\n")
        stream.extend(b"committer bench <bench@example.invalid> %d +0000\n" % stamp)
        stream.extend(_blob(message))
        for op in ops:
            stream.extend(op)

    def modify(path: str, text: str) -> bytes:
        return f"M 100644 inline {path}\n".encode() + _blob(text)

    first = [modify(p, f"# {p}\nVALUE = 0\n") for p in paths[:-1]]
    first.append(modify("pyproject.toml", '[project]\nname = "generated"\nversion = "1"\n'))
    commit("initial import", first)
    live = paths[:-1]
    for n in range(1, commits - 10):
        commit(f"commit {n}", [modify(p, f"# {p}\nVALUE = {n}\n") for p in rng.sample(live, 5)])
    final = rng.sample(live, diff_files)
    renames, deletions, edits = final[:20], final[20:40], final[40:]
    chunks = [edits[i::10] for i in range(10)]
    for n in range(10):
        ops = [modify(p, f"# {p}\nVALUE = -{n}\n") for p in chunks[n]]
        ops += [
            f"R {p} {p.replace('.', '_renamed.', 1)}\n".encode() for p in renames[n * 2 : n * 2 + 2]
        ]
        ops += [f"D {p}\n".encode() for p in deletions[n * 2 : n * 2 + 2]]
        commit(f"feature {n}", ops)
    dest.mkdir(parents=True)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "fast-import", "--quiet", stdin=bytes(stream))
    git(dest, "checkout", "-q", "-f", "main")


def _time(argv: list[str], cwd: Path, runs: int) -> list[float]:
    times: list[float] = []
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def bench_changes(workdir: Path, runs: int = 7) -> tuple[bool, dict[str, Any]]:
    repo = workdir / "generated"
    start = time.perf_counter()
    generate_repo(repo)
    made = time.perf_counter() - start
    count = len(git(repo, "ls-files").splitlines())
    at_base = len(git(repo, "ls-tree", "-r", "--name-only", "HEAD~10").splitlines())
    history = int(git(repo, "rev-list", "--count", "HEAD").strip())
    diff = git(repo, "diff", "--name-status", "-M", "HEAD~10...HEAD").splitlines()
    print(
        f"generated repository: {at_base} files at the base ({count} at HEAD), {history} commits, {len(diff)}-file diff ({made:.1f} s to build)"
    )

    env_python = [sys.executable, "-m", "ci_sessions.cli", "changes", "--base", "HEAD~10", "--json"]
    ours = _time(env_python, repo, runs)
    raw = _time(["git", "diff", "--name-status", "-z", "-M", "HEAD~10...HEAD"], repo, runs)
    startup = _time([sys.executable, "-c", "pass"], repo, runs)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run(
        env_python, cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout
    files = out.count('"path"')
    best, median = min(ours), statistics.median(ours)
    print(
        f"  ci-sessions changes --json : best {best:.3f} s, median {median:.3f} s ({files} files listed)"
    )
    print(f"  git diff --name-status -M  : best {min(raw):.3f} s")
    print(f"  python startup alone       : best {min(startup):.3f} s")
    print(
        f"  ratio to git diff          : {best / min(raw):.1f}x; budget 1 s -> {'PASS' if median < 1 else 'FAIL'}"
    )
    figures = {
        "files_at_base": at_base,
        "files_at_head": count,
        "commits": history,
        "diff_files": len(diff),
        "files_listed": files,
        "runs": runs,
        "budget_seconds": 1.0,
        "met": median < 1.0,
        "seconds": {
            "changes_median": median,
            "changes_best": best,
            "git_diff_median": statistics.median(raw),
            "git_diff_best": min(raw),
            "python_startup_best": min(startup),
        },
        "samples": {"changes": ours, "git_diff": raw, "python_startup": startup},
    }
    return median < 1.0, figures


# -- 2. affected tests on real release pairs ----------------------------------------------------


def fetch_sdist(project: str, version: str, cache: Path) -> Path:
    """The unpacked sdist of ``project==version`` (downloaded once with pip)."""
    target = cache / f"{project}-{version}"
    if target.is_dir():
        return target
    download = cache / "downloads"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         f"{project}=={version}", "-d", str(download)],
        check=True, capture_output=True,
    )  # fmt: skip
    archive = next(p for p in download.glob("*.tar.gz") if f"-{version}.tar.gz" in p.name)
    with tarfile.open(archive) as tar:
        tar.extractall(cache / "unpacked", filter="data")
    unpacked = next(p for p in (cache / "unpacked").iterdir() if p.name.endswith(f"-{version}"))
    unpacked.rename(target)
    return target


def load_release(repo: Path, release: Path) -> None:
    """Replace the repository's files with a release's (PKG-INFO is sdist metadata, not source)."""
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(
        release, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("PKG-INFO", "*.egg-info")
    )


def test_env(workdir: Path, packages: list[str]) -> Path:
    venv = workdir / "venv"
    if not (venv / "bin" / "python").exists():
        uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
        subprocess.run([uv, "venv", "-q", str(venv), "-p", sys.executable], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *packages],
            check=True,
        )
    return venv / "bin" / "python"


def run_pytest(python: Path, repo: Path, files: list[str] | None) -> tuple[set[str], int, float]:
    """(test files with a failure, tests run, seconds) of a real pytest run."""
    env = {**os.environ, "PYTHONPATH": str(repo / "src" if (repo / "src").is_dir() else repo)}
    argv = [
        str(python),
        "-m",
        "pytest",
        "-q",
        "-rfE",
        "--tb=no",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
    ]
    start = time.perf_counter()
    done = subprocess.run(
        [*argv, *(files or [])], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    took = time.perf_counter() - start
    failing = set(re.findall(r"^(?:FAILED|ERROR) ([^\s:]+)", done.stdout, flags=re.MULTILINE))
    counts = re.findall(r"(\d+) (passed|failed|error|errors|skipped|xfailed|xpassed)", done.stdout)
    return failing, sum(int(n) for n, _ in counts), took


def _package_dir(repo: Path, project: str) -> Path:
    """The import package of ``project`` in src or flat layout."""
    name = project.replace("-", "_")
    return repo / "src" / name if (repo / "src" / name).is_dir() else repo / name


def mutate(path: Path) -> bool:
    """Plant a behaviour change: the first ``==`` becomes ``!=`` (or ``True`` becomes ``False``)."""
    text = path.read_text()
    for old, new in ((" == ", " != "), ("return True", "return False")):
        if old in text:
            path.write_text(text.replace(old, new, 1))
            return True
    return False


def _code_only(
    python: Path, repo: Path, all_failing: set[str], all_tests: int, all_time: float
) -> tuple[bool, dict[str, Any]]:
    """The selection had the release's packaging files (version bump) not forced a full run."""
    from ci_sessions.changes.affected import select_for_changes
    from ci_sessions.changes.detect import Rules
    from ci_sessions.changes.diff import changed_files

    rules = Rules.load(repo)
    changes = changed_files(repo, "HEAD~1")
    kept = [c for c in changes if not any(rules.run_all.match(p) for p in c.paths)]
    left_out = sorted({p for c in changes for p in c.paths} - {p for c in kept for p in c.paths})
    selection = select_for_changes(repo, kept)
    if selection.run_all:
        print(f"  ignoring {', '.join(left_out)}: still the whole suite ({selection.reason})")
        return True, {"ignored": left_out, "selection": "whole suite", "reason": selection.reason}
    _, tests, took = (
        run_pytest(python, repo, selection.test_files) if selection.test_files else (set(), 0, 0.0)
    )
    missed = all_failing - set(selection.test_files)
    print(
        f"  ignoring {', '.join(left_out)}: {len(selection.test_files)} test files, tests {tests}/{all_tests} "
        f"({took:.1f} s vs {all_time:.1f} s), missed {len(missed)}"
    )
    return not missed, {
        "ignored": left_out,
        "selection": selection.test_files,
        "tests_run": tests,
        "tests_all": all_tests,
        "seconds": took,
        "seconds_all": all_time,
        "missed": sorted(missed),
    }


def bench_affected(
    workdir: Path, project: str, versions: list[str], mutations: int
) -> tuple[bool, dict[str, Any]]:
    sys.path.insert(0, str(REPO_ROOT))
    from ci_sessions.changes.affected import select_affected_tests

    cache = workdir / "sdists"
    cache.mkdir(parents=True, exist_ok=True)
    python = test_env(workdir, ["pytest", "pretend"])
    ok = True
    rows: list[str] = []
    pairs: list[dict[str, Any]] = []
    for old, new in itertools.pairwise(versions):
        repo = workdir / f"{project}-{old}-{new}"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        for version in (old, new):
            load_release(repo, fetch_sdist(project, version, cache))
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", f"{project} {version}")
        start = time.perf_counter()
        selection = select_affected_tests(repo, "HEAD~1")
        took = time.perf_counter() - start
        all_failing, all_tests, all_time = run_pytest(python, repo, None)
        if selection.run_all:
            sel_tests, sel_time, missed = all_tests, all_time, set[str]()
            shown = f"whole suite ({selection.reason})"
        else:
            _, sel_tests, sel_time = (
                run_pytest(python, repo, selection.test_files)
                if selection.test_files
                else (set(), 0, 0.0)
            )
            missed = all_failing - set(selection.test_files)
            shown = f"{len(selection.test_files)} test files"
        ok &= not missed
        pair: dict[str, Any] = {
            "old": old,
            "new": new,
            "selection_seconds": took,
            "run_all": selection.run_all,
            "reason": selection.reason,
            "test_files": [] if selection.run_all else selection.test_files,
            "tests_run": sel_tests,
            "tests_all": all_tests,
            "seconds": sel_time,
            "seconds_all": all_time,
            "failing_files": sorted(all_failing),
            "missed": sorted(missed),
            "mutations": [],
        }
        pairs.append(pair)
        rows.append(
            f"{project} {old} -> {new}: selection {took:.2f} s, {shown}; tests {sel_tests}/{all_tests} "
            f"({sel_time:.1f} s vs {all_time:.1f} s); failing in full run {len(all_failing)}, missed {len(missed)}"
        )
        print(rows[-1])
        if selection.run_all:
            code_ok, pair["code_only"] = _code_only(python, repo, all_failing, all_tests, all_time)
            ok &= code_ok
        modules = sorted(
            p for p in _package_dir(repo, project).rglob("*.py") if p.name != "__init__.py"
        )
        random.Random(7).shuffle(modules)  # noqa: S311 - reproducible choice
        planted = 0
        for module in modules:
            if planted >= mutations:
                break
            if not mutate(module):
                continue
            planted += 1
            git(repo, "commit", "-q", "-am", f"mutate {module.name}")
            selection = select_affected_tests(repo, "HEAD~1")
            failing, _, _ = run_pytest(python, repo, None)
            missed = set() if selection.run_all else failing - set(selection.test_files)
            ok &= not missed
            rel = module.relative_to(repo).as_posix()
            what = (
                "whole suite"
                if selection.run_all
                else selection.reason.split(" reach")[0] + " selected"
            )
            print(
                f"  mutation in {rel}: {len(failing)} failing test files, {what}, missed {len(missed)}"
            )
            pair["mutations"].append({
                "module": rel,
                "failing_files": sorted(failing),
                "run_all": selection.run_all,
                "test_files": [] if selection.run_all else selection.test_files,
                "missed": sorted(missed),
            })  # fmt: skip
            git(repo, "reset", "-q", "--hard", "HEAD~1")
    return ok, {"project": project, "versions": versions, "ok": ok, "pairs": pairs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("changes", "affected", "all"), default="all")
    parser.add_argument("--project", default="packaging")
    parser.add_argument("--versions", nargs="+", default=["24.1", "24.2", "25.0"])
    parser.add_argument("--mutations", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS.name}")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="changes-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ok = True
    parts: dict[str, Any] = {}
    if args.part in ("changes", "all"):
        started, load = time.perf_counter(), load_average()
        part_ok, figures = bench_changes(workdir)
        parts["changes"] = {**figures, "run": run_facts(started, load)}
        ok &= part_ok
    if args.part in ("affected", "all"):
        started, load = time.perf_counter(), load_average()
        part_ok, found = bench_affected(workdir, args.project, args.versions, args.mutations)
        parts[f"affected:{args.project}"] = {
            **found,
            "mutations_per_pair": args.mutations,
            "run": run_facts(started, load),
        }
        ok &= part_ok
    print("RESULT:", "PASS" if ok else "FAIL", f"(work files in {workdir})")
    if not args.no_write:  # reached only when every part asked for was measured
        write_atomic(args.out, merge_parts(args.out, parts))
        print(f"written: {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
