"""The result cache: keys change with every input, only PASS is stored, bad entries are never trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from ci_sessions.checks.base import CheckBase, CheckContext, Environment, EnvSpec, Shard
from ci_sessions.config import Config, load_config
from ci_sessions.config.project import load_project
from ci_sessions.engine.cache import (
    FORMAT_VERSION,
    RACY_NS,
    ResultCache,
    TreeHasher,
    cacheable,
    compute_key,
    digest_of,
    environment_digest,
    list_files,
)
from ci_sessions.engine.environments import EnvManager
from ci_sessions.engine.runner import Invocation, RunOptions, run_checks
from ci_sessions.results import Checked, CheckResult, Status


def _config(root: Path) -> Config:
    """The project's config; tier members other helpers have not registered yet are tolerated."""
    import yaml

    from ci_sessions._fs import config_file
    from ci_sessions.checks.registry import CHECKS

    tiers = yaml.safe_load(config_file("quality-tiers.yaml").read_text())["tiers"]
    members = {m for ms in tiers.values() for m in ms} - set(tiers)
    return load_config(root, known_checks={*CHECKS, *members})


def _project(root: Path, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n' + extra
    )
    (root / "src" / "demo").mkdir(parents=True, exist_ok=True)
    (root / "src" / "demo" / "__init__.py").write_text("X = 1\n")
    return root


def _env(root: Path, requirement: str) -> Environment:
    location = root / ".nox" / "ci-sessions" / "ruff-3.11"
    (location / "bin").mkdir(parents=True, exist_ok=True)
    (location / "pyvenv.cfg").write_text("version_info = 3.11.7\n")
    spec = EnvSpec("ruff", "3.11", (requirement,))
    return Environment(spec, location, location / "bin" / "python")


def _key(
    root: Path,
    *,
    requirement: str = "ruff==0.17.6",
    python: str = "3.11",
    shard: Shard | None = None,
) -> str:
    config = _config(root)
    ctx = CheckContext(
        root=root, config=config, project=load_project(root), python=python, session="s",
        shard=shard,
    )  # fmt: skip
    envs = {"ruff": _env(root, requirement)}
    tree = TreeHasher(root).digest()
    return compute_key(check=_Lint(), ctx=ctx, envs=envs, tree_digest=tree)


def test_key_changes_with_source_config_tool_version_and_python(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    first = _key(root)
    assert _key(root) == first  # stable when nothing changed
    (root / "src" / "demo" / "__init__.py").write_text("X = 2\n")
    after_edit = _key(root)
    assert after_edit != first
    _project(root, "\n[tool.ci-sessions.lint]\nmax-findings = 3\n")
    (root / "src" / "demo" / "__init__.py").write_text("X = 2\n")
    after_config = _key(root)
    assert after_config != after_edit
    assert _key(root, requirement="ruff==0.17.5") != after_config
    assert _key(root, python="3.12") != after_config


def test_key_changes_with_the_shard_and_the_durations_that_split_it(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    whole = _key(root)
    first = _key(root, shard=Shard(1, 2))
    assert len({whole, first, _key(root, shard=Shard(2, 2))}) == 3  # a part is not the whole
    assert _key(root, shard=Shard(1, 2, {"tests/t.py::a": 1.0})) != first  # another split


def test_tree_hash_sees_a_same_size_edit_with_restored_mtime(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    module = root / "src" / "demo" / "__init__.py"
    old = module.stat()
    os.utime(module, ns=(old.st_atime_ns, old.st_mtime_ns - 10_000_000_000))  # not racy
    hasher = TreeHasher(root)
    first = hasher.digest()
    assert hasher.digest() == first  # served from the stat index
    stat = module.stat()
    module.write_text("X = 9\n")  # same size
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # mtime put back, ctime moves
    assert hasher.digest() != first


def test_tree_hash_ignores_environments_caches_and_gitignored_files(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".gitignore").write_text("build/\n")
    before = TreeHasher(root).digest()
    for noise in (".nox/x/lib.py", ".venv/a.py", "src/demo/__pycache__/m.pyc", "build/out.txt",
                  ".ruff_cache/0.1/c", ".ci-sessions/reports/results.json"):  # fmt: skip
        (root / noise).parent.mkdir(parents=True, exist_ok=True)
        (root / noise).write_text("noise")
    assert TreeHasher(root).digest() == before
    (root / "src" / "demo" / "new.py").write_text("Y = 1\n")  # untracked but not ignored: an input
    assert "src/demo/new.py" in list_files(root)
    assert TreeHasher(root).digest() != before


def test_the_work_tree_is_the_truth_unstaged_renames_and_deletions(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    (root / "src" / "demo" / "old.py").write_text("X = 1\n")
    (root / "src" / "demo" / "gone.py").write_text("Y = 1\n")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]):  # fmt: skip
        subprocess.run(["git", *args], cwd=root, check=True)
    (root / "src" / "demo" / "old.py").rename(root / "src" / "demo" / "new.py")
    (root / "src" / "demo" / "gone.py").unlink()
    unstaged = list_files(root), TreeHasher(root).digest()
    assert "src/demo/old.py" not in unstaged[0] and "src/demo/gone.py" not in unstaged[0]
    assert "src/demo/new.py" in unstaged[0]
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    assert (list_files(root), TreeHasher(root).digest()) == unstaged


def _pass(check: str = "lint") -> CheckResult:
    return CheckResult(
        check=check, session="s", status=Status.PASS, summary="clean", python="3.11",
        checked=Checked("files", 1),
    )  # fmt: skip


def test_only_pass_is_stored_and_a_hit_is_marked_cached(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    for status in (Status.FAIL, Status.ERROR, Status.SKIP, Status.WARN):
        cache.store("lint", "3.11", "k" * 64, CheckResult("lint", "s", status))
        assert cache.lookup("lint", "3.11", "k" * 64) is None
    cache.store("lint", "3.11", "k" * 64, _pass())
    hit = cache.lookup("lint", "3.11", "k" * 64)
    assert hit is not None and hit.cached and hit.status is Status.PASS and hit.summary == "clean"
    assert cache.lookup("lint", "3.11", "j" * 64) is None


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        "[]",
        json.dumps({"format": 1, "key": "other", "result": _pass().to_json()}),
        json.dumps(
            {"format": 1, "key": "k" * 64, "result": {**_pass().to_json(), "status": "FAIL"}}
        ),
        json.dumps({"format": 1, "key": "k" * 64, "result": {"status": "PASS"}}),
        # entries of this format, each wrong in one way only: another format, another key,
        # a FAIL of this check, a PASS of another check
        json.dumps({"format": 1, "key": "k" * 64, "result": _pass().to_json(), "artifacts": {}}),
        json.dumps({"format": 2, "key": "j" * 64, "result": _pass().to_json(), "artifacts": {}}),
        json.dumps(
            {"format": 2, "key": "k" * 64, "result": {**_pass().to_json(), "status": "FAIL"}}
        ),
        json.dumps({"format": 2, "key": "k" * 64, "result": _pass("tests").to_json()}),
    ],
)
def test_corrupted_entry_is_ignored_removed_and_rebuilt(tmp_path: Path, content: str) -> None:
    cache = ResultCache(tmp_path)
    path = cache.path("lint", "3.11", "k" * 64)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    assert cache.lookup("lint", "3.11", "k" * 64) is None
    assert not path.exists()
    cache.store("lint", "3.11", "k" * 64, _pass())
    assert cache.lookup("lint", "3.11", "k" * 64) is not None


def test_corrupted_stat_index_is_ignored(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    first = TreeHasher(root).digest()
    index = root / ".ci-sessions" / "cache" / "files-index.json"
    index.write_text(
        '{"format": 1, "files": {"src/demo/__init__.py": [1, 2, 3, 4, "bad", 99999999999999999999]}}'
    )
    assert TreeHasher(root).digest() == first
    index.write_text("garbage")
    assert TreeHasher(root).digest() == first


def test_concurrent_stores_never_leave_a_torn_entry(tmp_path: Path) -> None:
    """Once an entry exists, a reader always finds it whole while others rewrite it.

    lookup() drops an entry it cannot parse, so "hit is None or PASS" would hold even for a
    plain non-atomic write; here a miss or an unparsable file is itself the failure.
    """
    cache = ResultCache(tmp_path)
    big = _pass()
    big.output = "x" * 400_000
    key = "k" * 64
    cache.store("lint", "3.11", key, big)
    path = cache.path("lint", "3.11", key)
    done = threading.Event()

    def writer() -> None:
        while not done.is_set():
            cache.store("lint", "3.11", key, big)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(300):
            json.loads(path.read_text(encoding="utf-8"))  # never empty, never half written
            hit = cache.lookup("lint", "3.11", key)
            assert hit is not None and hit.status is Status.PASS
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert not list(cache.directory.glob("*.tmp"))


class _Tests(CheckBase):
    name: ClassVar[str] = "tests"
    per_python: ClassVar[bool] = True


class _Lint(CheckBase):
    name: ClassVar[str] = "lint"


class _Coverage(CheckBase):
    name: ClassVar[str] = "coverage"
    after: ClassVar[tuple[str, ...]] = ("tests",)


class _Audit(CheckBase):
    name: ClassVar[str] = "audit"
    cacheable: ClassVar[bool] = False


def test_checks_with_side_effects_others_need_are_never_cached() -> None:
    assert cacheable(_Tests(), [_Tests(), _Lint()])
    assert not cacheable(_Tests(), [_Tests(), _Coverage()])  # coverage reads the tests' data
    assert not cacheable(_Coverage(), [_Tests(), _Coverage()])
    assert not cacheable(_Audit(), [_Audit()])


class _Sleepy(CheckBase):
    """A check that meets the others at a barrier: it only passes when they run at the same time."""

    def __init__(self, name: str, barrier: threading.Barrier, status: Status) -> None:
        self.name = name  # type: ignore[misc]
        self.barrier = barrier
        self.status = status

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        self.barrier.wait(timeout=10)
        return CheckResult(
            self.name, ctx.session, self.status, summary=self.status.value, output=self.name,
            checked=Checked("files", 1),
        )  # fmt: skip

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return result


def test_a_tier_with_one_failing_check_runs_and_reports_the_others_concurrently(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path / "p")
    barrier = threading.Barrier(3)
    checks = [
        _Sleepy("one", barrier, Status.PASS),
        _Sleepy("two", barrier, Status.FAIL),
        _Sleepy("three", barrier, Status.PASS),
    ]
    printed: list[str] = []
    results = run_checks(
        root=root,
        config=_config(root),
        project=load_project(root),
        session="tier",
        invocations=[Invocation(c, "3.11") for c in checks],  # type: ignore[arg-type]
        options=RunOptions(jobs=3, use_cache=False),
        manager=EnvManager(root, backend="virtualenv"),
        emit=printed.append,
    )
    # the barrier only opens when all three run at once; a sequential run would time out (ERROR)
    assert [(r.check, r.status) for r in results] == [
        ("one", Status.PASS),
        ("two", Status.FAIL),
        ("three", Status.PASS),
    ]
    # each output printed whole, in the tier's order
    assert [block.splitlines()[0].split()[1] for block in printed] == ["one", "two", "three"]


def test_a_hit_needs_its_artifacts_unchanged(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    report = tmp_path / ".ci-sessions" / "reports" / "junit.xml"
    report.parent.mkdir(parents=True)
    report.write_text("<testsuite tests='1'/>")
    result = _pass("tests")
    result.artifacts["junit"] = ".ci-sessions/reports/junit.xml"
    cache.store("tests", "3.11", "k" * 64, result)
    assert cache.lookup("tests", "3.11", "k" * 64) is not None
    report.write_text("<testsuite tests='2'/>")  # another run overwrote it
    assert cache.lookup("tests", "3.11", "k" * 64) is None
    report.unlink()
    assert cache.lookup("tests", "3.11", "k" * 64) is None


def test_a_package_inside_a_repository_lists_its_own_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("dist/\n")
    package = _project(tmp_path / "packages" / "a")
    (package / "dist").mkdir()
    (package / "dist" / "a.whl").write_text("built")
    (tmp_path / "other.py").write_text("X = 1\n")
    assert list_files(package) == ["pyproject.toml", "src/demo/__init__.py"]


def test_the_environment_is_part_of_the_key_except_volatile_variables(tmp_path: Path) -> None:
    from ci_sessions.engine.cache import environment_digest

    base = {"HOME": "/home/u", "PATH": "/usr/bin:/bin", "FLIP": "0"}
    digest = environment_digest(base, {})
    assert environment_digest({**base, "FLIP": "1"}, {}) != digest  # a test may read it
    assert environment_digest(base, {"FLIP": "1"}) != digest  # what the check sets counts too
    volatile = {"PWD": "/x", "OLDPWD": "/y", "SHLVL": "3", "TERM": "xterm", "COLUMNS": "80",
                "LINES": "40", "_": "/usr/bin/nox", "SSH_TTY": "/dev/pts/1", "TMUX": "t",
                "PRE_COMMIT": "1", "VIRTUAL_ENV": "/v", "CI_SESSIONS_LINT_MAX_FINDINGS": "3",
                # what git exports to a commit's hooks: the date differs at every commit
                "GIT_AUTHOR_DATE": "@1796049317 +0000", "GIT_AUTHOR_NAME": "n",
                "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_DATE": "@1796049318 +0000"}  # fmt: skip
    assert environment_digest({**base, **volatile}, {}) == digest
    assert environment_digest({**base, "MY_NOISE": "1"}, {}, ["MY_*"]) == digest  # the setting
    # the same tools, whichever virtual environment launched nox (a pre-commit hook, a venv)
    venv = tmp_path / "hook-env"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    launched = {**base, "PATH": f"{venv / 'bin'}:/usr/bin:/bin:/usr/bin"}
    assert environment_digest(launched, {}) == digest
    assert environment_digest({**base, "PATH": "/opt/other/bin:/usr/bin:/bin"}, {}) != digest


def test_a_cached_row_says_when_it_was_stored() -> None:
    import time

    from ci_sessions.reports.table import plain_rows, status_label

    fresh = _pass()
    assert status_label(fresh) == "PASS"
    cached = _pass()
    cached.cached, cached.cached_at = True, time.mktime((2026, 3, 1, 14, 2, 0, 0, 0, -1))
    assert status_label(cached) == "PASS (cached 2026-03-01 14:02)"
    cached.cached_at = time.time()
    assert status_label(cached) == f"PASS (cached {time.strftime('%H:%M')})"
    assert plain_rows([fresh])[0].startswith("PASS | lint | files 1 | ")


def _key_with(
    root: Path,
    environ: Mapping[str, str],
    check: CheckBase | None = None,
    *,
    env: Environment | None = None,
    extra: tuple[str, ...] = (),
) -> str:
    """The key with settings given as ``CI_SESSIONS_*`` overrides: the tree stays the same, so
    only the configuration part of the key can tell the runs apart."""
    from ci_sessions.checks.registry import CHECKS

    config = load_config(root, environ=environ, known_checks=set(CHECKS))
    ctx = CheckContext(root=root, config=config, project=load_project(root), python="3.11",
                       session="s")  # fmt: skip
    tree = TreeHasher(root).digest()
    envs = {"ruff": env or _env(root, "ruff==0.17.6")}
    return compute_key(check=check or _Lint(), ctx=ctx, envs=envs, tree_digest=tree, extra=extra)


def _check_from_file(folder: Path, name: str, body: str) -> CheckBase:
    """A project's own check, defined in a module file of its own (as a third-party check is)."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    module_file = folder / f"{name}.py"
    module_file.write_text(
        "from typing import ClassVar\n\nfrom ci_sessions.checks.base import CheckBase\n\n\n"
        f"class Lint(CheckBase):\n    name: ClassVar[str] = 'lint'\n{body}"
    )
    spec = importlib.util.spec_from_file_location(name, module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: inspect finds its file through it
    spec.loader.exec_module(module)
    check: CheckBase = module.Lint()
    return check


def test_key_changes_with_every_setting_that_changes_a_verdict_and_the_checks_code(
    tmp_path: Path,
) -> None:
    """Overrides do not touch the tree: a key that missed the check's section, the shared
    settings or the check's own code would hand back a PASS judged by other rules."""
    root = _project(tmp_path / "p")
    base = _key_with(root, {})
    assert _key_with(root, {}) == base
    assert _key_with(root, {"CI_SESSIONS_LINT_MAX_FINDINGS": "3"}) != base  # its section
    assert _key_with(root, {"CI_SESSIONS_SECURITY_LEVEL": "critical"}) != base  # shared
    assert _key_with(root, {"CI_SESSIONS_USE_BASELINE": "false"}) != base  # shared
    plugins = tmp_path / "plugins"
    one = _key_with(root, {}, _check_from_file(plugins, "own_a", "    LIMIT = 1\n"))
    other = _key_with(root, {}, _check_from_file(plugins, "own_b", "    LIMIT = 2\n"))
    assert one != other  # the check's code


def test_key_changes_with_the_baseline_file_even_outside_the_hashed_tree(tmp_path: Path) -> None:
    root = _project(
        tmp_path / "p", '\n[tool.ci-sessions]\nbaseline = ".ci-sessions/accepted.json"\n'
    )
    accepted = root / ".ci-sessions" / "accepted.json"  # ci-sessions' own folder: not in the tree
    accepted.parent.mkdir(parents=True, exist_ok=True)
    accepted.write_text('{"findings": []}\n')
    first = _key_with(root, {})
    accepted.write_text('{"findings": [{"rule": "F401"}]}\n')
    assert _key_with(root, {}) != first


def test_every_fact_of_the_key_has_the_reason_an_incremental_run_gives(tmp_path: Path) -> None:
    """An incremental run compares the key's facts one by one and names the one that changed
    (docs/incremental.md); a fact the reasons do not know would be shown by its bare key. The
    tree is not compared: the per-file keys replace it."""
    from ci_sessions.engine.incremental import _CONTEXT_REASONS, context_facts

    root = _project(tmp_path / "p")
    ctx = CheckContext(root=root, config=_config(root), project=load_project(root),
                       python="3.11", session="s")  # fmt: skip
    facts = context_facts(_Lint(), ctx, {"ruff": _env(root, "ruff==0.17.6")})
    # "shard" has no sentence of its own (shards are CI cells, incremental runs are local): its
    # reason is the fallback "shard changed"
    assert set(facts) == {*_CONTEXT_REASONS, "shard"}
    assert "tree" not in facts


def test_key_changes_with_what_the_environments_hold(tmp_path: Path) -> None:
    """The environments live in .nox (outside the hashed tree): their build fingerprint, their
    interpreter and each installed distribution are inputs; other files in site-packages are not."""
    root = _project(tmp_path / "p")
    env = _env(root, "ruff==0.17.6")
    site = env.location / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    keys = [_key_with(root, {}, env=env)]
    (site / "helper.py").write_text("X = 1\n")  # not a distribution
    assert _key_with(root, {}, env=env) == keys[0]
    changes = [
        (env.location / ".ci-sessions-env.json", '{"fingerprint": "a"}'),
        (env.location / ".ci-sessions-env.json", '{"fingerprint": "b"}'),
        (env.location / "pyvenv.cfg", "version_info = 3.11.8\n"),
        (site / "ruff-0.17.6.dist-info" / "METADATA", "Name: ruff\n"),
        (site / "legacy-1.0.egg-info" / "PKG-INFO", "Name: legacy\n"),
    ]
    for path, text in changes:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        keys.append(_key_with(root, {}, env=env))
    # the Windows layout of an environment: Lib/site-packages
    windows = env.location / "Lib" / "site-packages" / "colorama-0.4.6.dist-info"
    windows.mkdir(parents=True)
    keys.append(_key_with(root, {}, env=env))
    assert len(set(keys)) == len(keys)


def test_an_environment_file_that_is_not_utf8_still_gives_a_key(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    env = _env(root, "ruff==0.17.6")
    first = _key_with(root, {}, env=env)
    (env.location / "pyvenv.cfg").write_bytes(b"home = /opt/caf\xe9/bin\n")  # latin-1
    assert _key_with(root, {}, env=env) != first


def test_key_changes_with_each_item_of_a_list_setting(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    default = _key_with(root, {})  # zero-tolerance: [F, E9]
    assert _key_with(root, {"CI_SESSIONS_LINT_ZERO_TOLERANCE": "F,E4"}) != default


def test_the_cache_ignore_env_setting_takes_variables_out_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "p")
    ignoring = {"CI_SESSIONS_CACHE_IGNORE_ENV": "MY_*"}
    monkeypatch.setenv("MY_NOISE", "1")
    counted, ignored = _key_with(root, {}), _key_with(root, ignoring)
    monkeypatch.setenv("MY_NOISE", "2")
    assert _key_with(root, {}) != counted  # a variable counts unless the project says otherwise
    assert _key_with(root, ignoring) == ignored


def test_key_changes_with_the_checks_other_inputs(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    assert _key_with(root, {}, extra=("salt-a",)) != _key_with(root, {}, extra=("salt-b",))


def test_a_digest_does_not_depend_on_key_order_and_takes_any_value() -> None:
    assert digest_of({"a": 1, "b": [2, 3]}) == digest_of({"b": [2, 3], "a": 1})
    assert digest_of({"path": Path("src/x.py")}) == digest_of({"path": "src/x.py"})


def test_only_path_drops_repeats_and_virtual_environments() -> None:
    """PATH is cleaned of repeats; any other variable counts as it is."""
    assert environment_digest({"PATH": "/a:/a"}, {}) == environment_digest({"PATH": "/a"}, {})
    plain = environment_digest({"PYTHONPATH": "/a"}, {})
    assert environment_digest({"PYTHONPATH": "/a:/a"}, {}) != plain


@pytest.mark.parametrize("git", [True, False], ids=["git", "walk"])
def test_a_file_name_that_is_not_utf8_is_an_input(tmp_path: Path, git: bool) -> None:
    root = _project(tmp_path / "p")
    if git:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    odd = os.fsdecode(b"caf\xe9.py")  # a latin-1 name, as an old archive may hold
    (root / odd).write_text("X = 1\n")
    assert odd in list_files(root)
    first = TreeHasher(root).digest()
    (root / odd).write_text("X = 2\n")
    assert TreeHasher(root).digest() != first


def test_committed_files_of_environments_caches_and_builds_are_not_inputs(tmp_path: Path) -> None:
    """git lists tracked files whatever --exclude says: the listing drops them by name."""
    root = _project(tmp_path / "p")
    tracked = [".benchmarks/run.json", "src/demo.egg-info/PKG-INFO", "legacy.pyc",
               "web/node_modules/x/index.js"]  # fmt: skip
    for name in tracked:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    listed = subprocess.run(
        ["git", "ls-files"], cwd=root, check=True, capture_output=True, text=True
    )
    assert set(tracked) <= set(listed.stdout.splitlines())  # all four are committed
    assert list_files(root) == ["pyproject.toml", "src/demo/__init__.py"]


def _aged_index(root: Path, digest: str | None = None, hashed_at: int | None = None) -> None:
    """Rewrite the stat index: every entry hashed ``hashed_at`` (default: just past the racy
    window of its timestamps), the package module's recorded digest replaced by ``digest``."""
    index = root / ".ci-sessions" / "cache" / "files-index.json"
    data = json.loads(index.read_text())
    for name, entry in data["files"].items():
        entry[5] = max(entry[2:4]) + RACY_NS + 1 if hashed_at is None else hashed_at
        if digest is not None and name == "src/demo/__init__.py":
            entry[4] = digest
    index.write_text(json.dumps(data))


def test_an_unchanged_file_is_served_from_the_stat_index_it_wrote(tmp_path: Path) -> None:
    """A recorded digest is trusted when the file's size, inode, mtime and ctime are the ones
    recorded (here the recorded digest is a marker, so a file hashed again shows)."""
    root = _project(tmp_path / "p")
    hasher = TreeHasher(root)
    hasher.digest()
    real = hasher.files["src/demo/__init__.py"]
    index = json.loads(hasher.index_path.read_text())
    assert index["format"] == FORMAT_VERSION
    assert index["files"]["src/demo/__init__.py"][4] == real
    _aged_index(root, digest="f" * 64)
    for _ in range(2):  # the second time from the index the first one left
        hasher.digest()
        assert hasher.files["src/demo/__init__.py"] == "f" * 64
    (root / "src" / "demo" / "__init__.py").write_text("X = 3\n")  # same size, new ctime
    hasher.digest()
    assert hasher.files["src/demo/__init__.py"] not in ("f" * 64, real)


def test_a_file_touched_close_to_its_hashing_is_hashed_again(tmp_path: Path) -> None:
    """Timestamps are coarse: a digest recorded within two seconds of the file's mtime or ctime
    may predate a same-second edit, so it is not trusted."""
    root = _project(tmp_path / "p")
    module = root / "src" / "demo" / "__init__.py"
    hasher = TreeHasher(root)
    hasher.digest()
    real = hasher.files["src/demo/__init__.py"]
    stat = module.stat()
    newest = max(stat.st_mtime_ns, stat.st_ctime_ns)
    for hashed_at in (newest, newest + RACY_NS):
        _aged_index(root, digest="f" * 64, hashed_at=hashed_at)
        hasher.digest()
        assert hasher.files["src/demo/__init__.py"] == real
    # an mtime set in the future (an archive, a clock skew) counts as much as the ctime
    os.utime(module, ns=(stat.st_atime_ns, stat.st_ctime_ns + 10 * RACY_NS))
    hasher.digest()
    ctime = module.stat().st_ctime_ns
    _aged_index(root, digest="f" * 64, hashed_at=ctime + RACY_NS + 1)
    hasher.digest()
    assert hasher.files["src/demo/__init__.py"] == real


def test_a_stat_index_entry_of_another_layout_is_ignored(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    hasher = TreeHasher(root)
    first = hasher.digest()
    index = json.loads(hasher.index_path.read_text())
    entry = index["files"]["src/demo/__init__.py"]
    index["files"]["src/demo/__init__.py"] = entry[:5]  # no hashing time
    hasher.index_path.write_text(json.dumps(index))
    assert hasher.digest() == first


def test_a_hit_says_when_it_was_stored(tmp_path: Path) -> None:
    import time

    cache = ResultCache(tmp_path)
    before = time.time()
    cache.store("lint", "3.11", "k" * 64, _pass())
    hit = cache.lookup("lint", "3.11", "k" * 64)
    assert hit is not None and hit.cached_at is not None
    assert before <= hit.cached_at <= time.time()
    path = cache.path("lint", "3.11", "k" * 64)
    entry = json.loads(path.read_text())
    entry["stored"] = 1_700_000_000.0
    path.write_text(json.dumps(entry))
    hit = cache.lookup("lint", "3.11", "k" * 64)
    assert hit is not None and hit.cached_at == 1_700_000_000.0
    shown = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(1_700_000_000.0))
    assert shown in hit.output


def test_nothing_but_a_fresh_pass_is_written(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    for status in (Status.FAIL, Status.ERROR, Status.SKIP, Status.WARN):
        cache.store("lint", "3.11", "k" * 64, CheckResult("lint", "s", status))
        assert not cache.path("lint", "3.11", "k" * 64).exists()
    cache.store("lint", "3.11", "k" * 64, _pass())
    path = cache.path("lint", "3.11", "k" * 64)
    entry = json.loads(path.read_text())
    entry["stored"] = 1_700_000_000.0
    path.write_text(json.dumps(entry))
    hit = cache.lookup("lint", "3.11", "k" * 64)
    assert hit is not None
    cache.store("lint", "3.11", "k" * 64, hit)  # a hit is not a new PASS: its date stays
    assert json.loads(path.read_text())["stored"] == 1_700_000_000.0


def test_the_entries_used_last_are_kept(tmp_path: Path) -> None:
    import time

    cache = ResultCache(tmp_path)
    old = time.time() - 1000
    keys = [str(i) * 64 for i in range(10)]
    for i, key in enumerate(keys):
        cache.store("lint", "3.11", key, _pass())
        os.utime(cache.path("lint", "3.11", key), (old + i, old + i))
    cache.store("tests", "3.11", "k" * 64, _pass("tests"))  # another check: pruned apart
    kept = {p.name for p in cache.directory.glob("lint-3.11-*.json")}
    assert kept == {cache.path("lint", "3.11", key).name for key in keys[2:]}
    assert cache.lookup("lint", "3.11", keys[2]) is not None  # used now: the newest
    cache.store("lint", "3.11", "n" * 64, _pass())
    kept = {p.name for p in cache.directory.glob("lint-3.11-*.json")}
    assert cache.path("lint", "3.11", keys[2]).name in kept
    assert cache.path("lint", "3.11", keys[3]).name not in kept
    assert cache.path("tests", "3.11", "k" * 64).exists()


def test_a_cache_folder_that_cannot_be_written_or_pruned_is_not_an_error(tmp_path: Path) -> None:
    """Storing is best effort: a run never fails because its cache could not be kept."""
    cache = ResultCache(tmp_path)
    cache.directory.mkdir(parents=True)
    (cache.directory / "lint-3.11-gone.json").symlink_to("nowhere")  # removed by another run
    stuck = cache.directory / "lint-3.11-stuck.json"  # cannot be unlinked: a folder
    stuck.mkdir()
    os.utime(stuck, (1, 1))
    for i in range(9):
        cache.store("lint", "3.11", str(i) * 64, _pass())
    assert stuck.is_dir()
    blocked = ResultCache(tmp_path / "other")
    blocked.directory.parent.mkdir(parents=True, exist_ok=True)
    blocked.directory.write_text("not a folder")
    blocked.store("lint", "3.11", "k" * 64, _pass())
    assert blocked.lookup("lint", "3.11", "k" * 64) is None


def test_a_tree_whose_stat_index_cannot_be_written_still_gets_its_digest(tmp_path: Path) -> None:
    (tmp_path / ".ci-sessions").mkdir()
    (tmp_path / ".ci-sessions" / "cache").write_text("not a folder")
    (tmp_path / "x.py").write_text("X = 1\n")
    hasher = TreeHasher(tmp_path)
    assert hasher.digest() and list(hasher.files) == ["x.py"]
