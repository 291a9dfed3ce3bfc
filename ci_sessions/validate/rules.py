"""The rules of ``ci-sessions validate``: one small function per rule, each with its why and fix.

A rule returns ``None`` when it passes, a string saying what is wrong when it fails, or
:data:`SKIP` when it does not apply. The same rules are published to repo-review (entry point
``repo_review.checks``), so ``repo-review .`` runs them beside sp-repo-review's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

FAMILY = "ci-sessions"
DOCS = "https://ci-sessions.readthedocs.io/en/latest/validate/"
SKIP = "__skip__"
_SHA = re.compile(r"^[0-9a-f]{40}$")
_NOX_SESSION = re.compile(r"\bnox\b[^\n]*?\s-s\s+([^\n]+)")


@dataclass
class Repo:
    """What the rules read, loaded once: pyproject, noxfile, pre-commit config, workflows."""

    root: Path
    pyproject: dict[str, Any] = field(default_factory=dict[str, Any])
    pyproject_error: str = ""
    noxfile: str | None = None
    precommit: dict[str, Any] | None = None
    precommit_error: str = ""
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])
    workflow_errors: dict[str, str] = field(default_factory=dict[str, str])

    @classmethod
    def load(cls, root: Path) -> Repo:
        from ci_sessions.config import load_toml
        from ci_sessions.errors import ConfigError

        repo = cls(root=root)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            try:
                repo.pyproject = load_toml(pyproject)
            except ConfigError as exc:
                repo.pyproject_error = exc.problem
        noxfile = root / "noxfile.py"
        if noxfile.is_file():
            repo.noxfile = noxfile.read_text(encoding="utf-8", errors="replace")
        precommit = root / ".pre-commit-config.yaml"
        if precommit.exists() or precommit.is_symlink():
            data, repo.precommit_error = _read_yaml(precommit)
            repo.precommit = cast("dict[str, Any]", data) if isinstance(data, dict) else {}
            if not repo.precommit_error and not isinstance(data, dict):
                repo.precommit_error = "is not a mapping of `repos:`"
        workflows = root / ".github" / "workflows"
        if workflows.is_dir():
            for path in sorted(workflows.glob("*.y*ml")):
                rel = path.relative_to(root).as_posix()
                data, error = _read_yaml(path, workflow=True)
                if error:
                    repo.workflow_errors[rel] = error
                elif isinstance(data, dict):
                    repo.workflows[rel] = cast("dict[str, Any]", data)
        return repo

    # -- helpers --------------------------------------------------------------------------------

    def steps(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(workflow, job id, step) for every step of every workflow."""
        for rel, workflow in self.workflows.items():
            jobs = workflow.get("jobs")
            if not isinstance(jobs, dict):
                continue
            for job_id, job in cast("dict[str, Any]", jobs).items():
                if not isinstance(job, dict):
                    continue
                for step in cast("list[Any]", cast("dict[str, Any]", job).get("steps") or []):
                    if isinstance(step, dict):
                        yield rel, str(job_id), cast("dict[str, Any]", step)

    def jobs(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for rel, workflow in self.workflows.items():
            jobs = workflow.get("jobs")
            if isinstance(jobs, dict):
                for job_id, job in cast("dict[str, Any]", jobs).items():
                    if isinstance(job, dict):
                        yield rel, str(job_id), cast("dict[str, Any]", job)

    def hooks(self) -> list[dict[str, Any]]:
        hooks: list[dict[str, Any]] = []
        for repo in cast("list[Any]", (self.precommit or {}).get("repos") or []):
            if isinstance(repo, dict):
                for hook in cast("list[Any]", cast("dict[str, Any]", repo).get("hooks") or []):
                    if isinstance(hook, dict):
                        hooks.append(cast("dict[str, Any]", hook))
        return hooks

    def project_table(self) -> dict[str, Any]:
        table = self.pyproject.get("project")
        return cast("dict[str, Any]", table) if isinstance(table, dict) else {}


def _read_yaml(path: Path, *, workflow: bool = False) -> tuple[Any, str]:
    """A YAML file's data, or what is wrong with the file (with the line, for a syntax error).

    A workflow is read as GitHub reads it (YAML 1.2: ``on:`` is a key, ``yes`` is text); the
    pre-commit configuration as pre-commit reads it (PyYAML's YAML 1.1)."""
    import yaml

    from ci_sessions._github_yaml import parse
    from ci_sessions.errors import YamlError

    if path.is_dir():
        return None, "is a directory, not a file"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    if workflow:
        try:
            return parse(text), ""
        except YamlError as exc:
            where = f"line {exc.line}: " if exc.line else ""
            return None, f"is not valid YAML ({where}{exc.message.splitlines()[0]})"
    try:
        return yaml.safe_load(text), ""
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, f"is not valid YAML ({where}{problem})"
    except RecursionError:
        return None, "is not valid YAML (nested too deeply to read)"


def nox_sessions(command: str) -> list[str]:
    """Session names a ``nox -s a b`` command line runs (quotes and ``--`` handled)."""
    found: list[str] = []
    for match in _NOX_SESSION.finditer(command):
        for word in match.group(1).split():
            if word.startswith("-"):
                break
            found.append(word.strip("\"'"))
    return found


# -- the rules ----------------------------------------------------------------------------------


def _noxfile_registers(repo: Repo) -> str | None:
    if repo.noxfile is None:
        return "noxfile.py is missing"
    if "ci_sessions" not in repo.noxfile or "register(" not in repo.noxfile:
        return "noxfile.py does not call ci_sessions.register()"
    return None


def _noxfile_pins(repo: Repo) -> str | None:
    if repo.noxfile is None:
        return SKIP
    block = re.search(r"^# /// script\s*$(.*?)^# ///\s*$", repo.noxfile, re.S | re.M)
    if not block:
        return "noxfile.py has no `# /// script` block declaring its dependencies"
    body = block.group(1)
    match = re.search(r"[\"']ci[-_]sessions\s*(\[[^\]]*\])?\s*([<>=!~][^\"']*)?[\"']", body)
    if not match:
        return "the script block does not list ci-sessions"
    if not match.group(2):
        return 'ci-sessions is listed without a version constraint (e.g. "ci-sessions>=0.1")'
    return None


def _config_loads(repo: Repo) -> str | None:
    from ci_sessions.config import load_config
    from ci_sessions.errors import ConfigError

    if repo.pyproject_error:
        return SKIP  # CIS104 names the problem
    try:
        load_config(repo.root, environ={})
    except ConfigError as exc:
        return exc.render().replace("ci-sessions: ", "", 1)
    return None


def _essential_sessions(repo: Repo) -> list[str]:
    from ci_sessions.config import load_config
    from ci_sessions.config.tiers import expand_tier
    from ci_sessions.errors import ConfigError

    try:
        config = load_config(repo.root, environ={})
        checks = expand_tier(config.tiers, "essential")
    except (ConfigError, KeyError, ValueError):
        return ["lint", "format", "typecheck", "tests"]
    renames = config.top.str_map("session-names")
    excluded = set(config.top.str_list("exclude"))
    return [renames.get(c, c) for c in checks if c not in excluded]


def _files_parse(repo: Repo) -> str | None:
    broken: list[str] = []
    if repo.pyproject_error:
        broken.append(f"pyproject.toml: {repo.pyproject_error}")
    if repo.precommit_error:
        broken.append(f".pre-commit-config.yaml {repo.precommit_error}")
    broken += [f"{rel} {problem}" for rel, problem in repo.workflow_errors.items()]
    return "; ".join(broken) if broken else None


def _precommit_exists(repo: Repo) -> str | None:
    if repo.precommit is None:
        return ".pre-commit-config.yaml is missing"
    return None


def _precommit_matches_tier(repo: Repo) -> str | None:
    if repo.precommit is None or repo.precommit_error:
        return SKIP
    ran: set[str] = set()
    for hook in repo.hooks():
        ran.update(nox_sessions(str(hook.get("entry", ""))))
    if "essential" in ran:  # the tier session runs every check of the tier
        ran.update(_essential_sessions(repo))
    missing = [
        s
        for s in _essential_sessions(repo)
        if s not in ran and not any(r.startswith(f"{s}-") for r in ran)
    ]
    if missing:
        return "no hook runs " + ", ".join(f"`nox -s {m}`" for m in missing)
    return None


def _precommit_offline(repo: Repo) -> str | None:
    if repo.precommit is None or repo.precommit_error:
        return SKIP
    remote = [
        str(cast("dict[str, Any]", r).get("repo"))
        for r in cast("list[Any]", repo.precommit.get("repos") or [])
        if isinstance(r, dict)
        and str(cast("dict[str, Any]", r).get("repo")) not in ("local", "meta")
    ]
    if remote:
        return "hooks fetched from other repositories: " + ", ".join(remote)
    return None


def _workflow_runs_sessions(repo: Repo) -> str | None:
    if repo.workflow_errors and not repo.workflows:
        return SKIP  # CIS104 names the files that cannot be read
    if not repo.workflows:
        return "no workflow in .github/workflows/"
    for _rel, _job, step in repo.steps():
        if nox_sessions(str(step.get("run", ""))):
            return None
    return "no workflow step runs `nox -s ...`"


def _matrix_from_noxfile(repo: Repo) -> str | None:
    if not repo.workflows:
        return SKIP
    generates = any(
        "ci-sessions matrix" in str(step.get("run", "")) for _r, _j, step in repo.steps()
    )
    uses = False
    runs_cell = False
    for _rel, _job_id, job in repo.jobs():
        strategy = job.get("strategy")
        matrix = (
            cast("dict[str, Any]", strategy).get("matrix") if isinstance(strategy, dict) else None
        )
        if isinstance(matrix, str) and "fromJSON(" in matrix.replace(" ", ""):
            uses = True
            for step in cast("list[Any]", job.get("steps") or []):
                run = (
                    str(cast("dict[str, Any]", step).get("run", ""))
                    if isinstance(step, dict)
                    else ""
                )
                env = cast("dict[str, Any]", step).get("env") if isinstance(step, dict) else None
                env_text = (
                    " ".join(str(v) for v in cast("dict[str, Any]", env).values())
                    if isinstance(env, dict)
                    else ""
                )
                if nox_sessions(run) and ("matrix." in run or "matrix." in env_text):
                    runs_cell = True
    if not generates:
        return "no step runs `ci-sessions matrix` to derive the test matrix from the noxfile"
    if not uses:
        return "no job's strategy.matrix is fromJSON(...) of the generated matrix"
    if not runs_cell:
        return 'the matrix job does not run the cell\'s session (`nox -s "$SESSION"` with matrix.session)'
    return None


def _actions_pinned(repo: Repo) -> str | None:
    if not repo.workflows:
        return SKIP
    loose: list[str] = []
    for rel, _job, step in repo.steps():
        uses = str(step.get("uses", ""))
        if not uses or uses.startswith(("./", "docker://")):
            continue
        ref = uses.rpartition("@")[2]
        if not _SHA.match(ref):
            loose.append(f"{rel}: {uses}")
    return ("not pinned by commit SHA: " + ", ".join(sorted(set(loose)))) if loose else None


def _permissions_set(repo: Repo) -> str | None:
    if not repo.workflows:
        return SKIP
    missing = [
        rel
        for rel, workflow in repo.workflows.items()
        if "permissions" not in workflow
        and any("permissions" not in job for r, _j, job in repo.jobs() if r == rel)
    ]
    return (
        ("no `permissions:` (defaults to broad write access): " + ", ".join(missing))
        if missing
        else None
    )


def _checkout_no_credentials(repo: Repo) -> str | None:
    if not repo.workflows:
        return SKIP
    bad = sorted(
        {
            rel
            for rel, _job, step in repo.steps()
            if str(step.get("uses", "")).startswith("actions/checkout@")
            and cast("dict[str, Any]", step.get("with") or {}).get("persist-credentials")
            is not False
        }
    )
    return ("actions/checkout keeps the token in .git/config: " + ", ".join(bad)) if bad else None


def _run_pastes_untrusted_text(repo: Repo) -> str | None:
    """``run:`` scripts that paste untrusted text (zizmor's template injection): a branch name or
    a commit message with shell syntax in it would run as code."""
    from ci_sessions import _contexts

    if not repo.workflows:
        return SKIP
    found: list[str] = []
    for rel, workflow in repo.workflows.items():
        top = _env_of(workflow)
        tainted = _contexts.tainted_names(top)
        jobs = workflow.get("jobs")
        for job_id, job in cast("dict[str, Any]", jobs if isinstance(jobs, dict) else {}).items():
            if not isinstance(job, dict):
                continue
            job_map = cast("dict[str, Any]", job)
            job_tainted = tainted | _contexts.tainted_names(_env_of(job_map), tainted)
            steps = job_map.get("steps")
            for index, step in enumerate(
                cast("list[Any]", steps if isinstance(steps, list) else [])
            ):
                if not isinstance(step, dict):
                    continue
                step_map = cast("dict[str, Any]", step)
                if not isinstance(step_map.get("run"), str):
                    continue
                step_tainted = job_tainted | _contexts.tainted_names(_env_of(step_map), job_tainted)
                for expression in _EXPRESSION.findall(str(step_map["run"])):
                    read = _contexts.references(expression, step_tainted)
                    if read:
                        found.append(
                            f"{rel}: jobs.{job_id}.steps[{index}].run pastes "
                            f"`${{{{ {expression.strip()} }}}}` ({', '.join(read)})"
                        )
    return "; ".join(found) if found else None


_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _env_of(section: dict[str, Any]) -> dict[str, object]:
    env = section.get("env")
    return dict(cast("dict[str, object]", env)) if isinstance(env, dict) else {}


def _requires_python_agrees(repo: Repo) -> str | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from ci_sessions.config import load_config, pythons
    from ci_sessions.errors import ConfigError

    requires = repo.project_table().get("requires-python")
    if not isinstance(requires, str):
        return SKIP if "project" not in repo.pyproject else "[project] has no requires-python"
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier:
        return f"requires-python {requires!r} is not a valid specifier"
    try:
        config = load_config(repo.root, environ={})
    except ConfigError:
        return SKIP  # CIS103 reports it
    tested, origin = pythons.declared_versions(config.python, repo.pyproject)
    if origin.startswith("requires-python") or origin == "the running Python":
        return None  # the matrix is derived from requires-python itself
    outside = [
        v
        for v in tested
        if not spec.contains(f"{v}.0", prereleases=True) and not spec.contains(f"{v}.99")
    ]
    if outside:
        return f"tested Pythons {', '.join(outside)} (from {origin}) are outside requires-python {requires!r}"
    allowed = [v for v in pythons._expand_requires_python(requires) if v not in ("3.6", "3.7")]  # pyright: ignore[reportPrivateUsage]
    lowest = allowed[0] if allowed else None
    if lowest and tested and pythons.parse_version(tested[0]) > pythons.parse_version(lowest):
        return f"requires-python {requires!r} allows {lowest} but the matrix starts at {tested[0]} (from {origin})"
    return None


def _coverage_fail_under(repo: Repo) -> tuple[float, str] | None:
    """coverage.py's own ``fail_under`` and the file that sets it, if any."""
    import configparser

    tool = repo.pyproject.get("tool")
    coverage = cast("dict[str, Any]", tool).get("coverage") if isinstance(tool, dict) else None
    if isinstance(coverage, dict):
        report = cast("dict[str, Any]", coverage).get("report")
        value = (
            cast("dict[str, Any]", report).get("fail_under") if isinstance(report, dict) else None
        )
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value), "pyproject.toml [tool.coverage.report]"
    for name, section in (
        (".coveragerc", "report"),
        ("setup.cfg", "coverage:report"),
        ("tox.ini", "coverage:report"),
    ):
        path = repo.root / name
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(path, encoding="utf-8")
                if parser.has_option(section, "fail_under"):
                    return float(parser.get(section, "fail_under")), f"{name} [{section}]"
            except (configparser.Error, UnicodeDecodeError, ValueError):
                continue
    return None


def _coverage_threshold(repo: Repo) -> str | None:
    """The gate always has a minimum (coverage.min, 85 by default, else coverage's fail_under);
    only two explicit minimums that disagree are worth a warning."""
    from ci_sessions.config import load_config
    from ci_sessions.errors import ConfigError

    try:
        config = load_config(repo.root, environ={})
    except ConfigError:
        return SKIP  # CIS103 reports it
    own = _coverage_fail_under(repo)
    if own is None:
        return None  # one minimum applies: coverage.min
    if config.is_default("coverage.min") and own[1].startswith("pyproject.toml"):
        return None  # [tool.coverage.report] fail_under is the gate's minimum too
    gate = config.section("coverage").float("min")
    if own[0] != gate:
        return (
            f"coverage.min = {gate:g} ({config.source_of('coverage.min')}) gates the tier, "
            f"but {own[1]} fail_under = {own[0]:g} fails `coverage report` run by hand"
        )
    return None


def _baseline_valid(repo: Repo) -> str | None:
    from ci_sessions import baseline
    from ci_sessions.config import load_config
    from ci_sessions.errors import ConfigError

    try:
        config = load_config(repo.root, environ={})
    except ConfigError:
        return SKIP
    path = baseline.baseline_path(repo.root, config)
    if not path.is_file():
        return SKIP
    try:
        baseline.load(path)
    except ConfigError as exc:
        return exc.render().replace("ci-sessions: ", "", 1)
    return None


@dataclass(frozen=True)
class Rule:
    """One repository rule: an id, what it checks, why it matters, how to fix it."""

    id: str
    name: str
    why: str
    fix: str
    required: bool
    check: Callable[[Repo], str | None]


RULES: tuple[Rule, ...] = (
    Rule("CIS101", "noxfile.py registers the ci-sessions sessions",
         "the same sessions run locally, in pre-commit and in CI only if the noxfile defines them",
         "run `ci-sessions init`, or add `import ci_sessions; ci_sessions.register()` to noxfile.py",
         True, _noxfile_registers),
    Rule("CIS102", "noxfile.py declares ci-sessions with a version constraint",
         "nox installs the declared version (PEP 723 script block), so every machine runs the same checks",
         'start noxfile.py with `# /// script` / `# dependencies = ["nox>=2025.2", "ci-sessions>=0.1"]` / `# ///`',
         True, _noxfile_pins),
    Rule("CIS103", "[tool.ci-sessions] is valid",
         "a typo in the configuration silently changes what is gated",
         "correct the key named in the message (docs/configuration.md lists every key)",
         True, _config_loads),
    Rule("CIS104", "the configuration files can be read",
         "a file its own tool cannot parse stops that tool (pre-commit, GitHub Actions) outright",
         "correct the file named in the message (the line is given for a syntax error)",
         True, _files_parse),
    Rule("CIS111", "a pre-commit configuration exists",
         "the essential tier on every commit catches findings before CI does",
         "run `ci-sessions init` (writes .pre-commit-config.yaml), then `pre-commit install`",
         False, _precommit_exists),
    Rule("CIS112", "pre-commit hooks run the essential tier's sessions",
         "hooks that run other commands than CI drift apart from it",
         "give each essential session a local hook with `entry: nox -s <session>` (see templates/)",
         True, _precommit_matches_tier),
    Rule("CIS113", "pre-commit hooks are local",
         "hooks fetched from other repositories pin tools separately from the sessions and need network",
         "use `repo: local` hooks that run `nox -s ...`",
         False, _precommit_offline),
    Rule("CIS121", "a GitHub workflow runs the nox sessions",
         "CI must run the same sessions as a laptop, not its own copy of the commands",
         "run `ci-sessions init` (writes .github/workflows/ci.yml)",
         True, _workflow_runs_sessions),
    Rule("CIS122", "the CI test matrix is generated from the noxfile",
         "a hand-written matrix drifts from the Pythons the project declares",
         "compute `ci-sessions matrix --tag tests` in a job, use `strategy.matrix: ${{ fromJSON(...) }}` "
         "and run `nox -s \"$SESSION\"` with SESSION = matrix.session",
         True, _matrix_from_noxfile),
    Rule("CIS123", "workflow actions are pinned by commit SHA",
         "a tag can be moved to malicious code; a commit SHA cannot",
         "pin `uses: owner/action@<40-hex sha> # vX.Y.Z` (dependabot keeps the pins current)",
         True, _actions_pinned),
    Rule("CIS124", "workflows declare least-privilege permissions",
         "without `permissions:` the token may get write access to the repository",
         "add `permissions: {}` at the top and grant each job only what it needs (e.g. contents: read)",
         True, _permissions_set),
    Rule("CIS125", "checkout does not persist credentials",
         "a persisted token is readable by every later step and artifact",
         "add `with: persist-credentials: false` to actions/checkout",
         False, _checkout_no_credentials),
    Rule("CIS126", "run: scripts do not paste untrusted text",
         "GitHub pastes ${{ }} into the script before the shell reads it: a branch name, a commit "
         "message or a pull request title holding shell syntax runs as code (template injection)",
         "pass the value through the step's env: (`env: HEAD_REF: ${{ github.head_ref }}`) and "
         'read the variable in the script (`echo "$HEAD_REF"`)',
         True, _run_pastes_untrusted_text),
    Rule("CIS131", "requires-python agrees with the tested Pythons",
         "a supported Python that no CI cell tests is a promise nobody checks",
         "make the classifiers / [tool.ci-sessions] python cover the lower bound of requires-python",
         True, _requires_python_agrees),
    Rule("CIS141", "the coverage minimums agree",
         "coverage.min gates the tier (85 unless set; fail_under stands in for it when only that is "
         "set); a different fail_under makes `coverage report` by hand disagree with the gate",
         "keep one minimum: drop one of them, or give both the same value",
         False, _coverage_threshold),
    Rule("CIS151", "the findings baseline is readable",
         "a broken baseline makes every accepted finding fail again",
         "run `ci-sessions baseline --update --allow-growth`",
         True, _baseline_valid),
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    passed: bool | None  # None: skipped
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.rule.id,
            "name": self.rule.name,
            "required": self.rule.required,
            "result": self.passed,
            "detail": self.detail,
            "why": self.rule.why,
            "fix": self.rule.fix,
        }


def evaluate(root: Path, rules: tuple[Rule, ...] = RULES) -> list[Outcome]:
    """Run every rule on the repository at ``root``."""
    repo = Repo.load(root)
    outcomes: list[Outcome] = []
    for rule in rules:
        try:
            message = rule.check(repo)
        except Exception as exc:  # a rule that crashes must not hide the others
            outcomes.append(Outcome(rule, False, f"rule crashed: {exc!r}"))
            continue
        if message == SKIP:
            outcomes.append(Outcome(rule, None))
        else:
            outcomes.append(Outcome(rule, message is None, message or ""))
    return outcomes


# -- repo-review plugin -------------------------------------------------------------------------


class RepoReviewCheck:
    """A ci-sessions rule as repo-review sees it (family, docstring, url, check())."""

    family = FAMILY

    def __init__(self, outcome: Outcome | None, rule: Rule) -> None:
        self.__doc__ = rule.name
        self.url = f"{DOCS}#{rule.id.lower()}"
        self._outcome = outcome
        self._rule = rule

    def check(self) -> bool | str | None:
        if self._outcome is None or self._outcome.passed is None:
            return None
        if self._outcome.passed:
            return True
        return f"{self._outcome.detail}. Fix: {self._rule.fix}".replace("{", "{{").replace(
            "}", "}}"
        )


def repo_review_checks(root: Any = None) -> dict[str, RepoReviewCheck]:
    """Entry point ``repo_review.checks``: every rule, evaluated on a local checkout."""
    path = Path(str(root)) if root is not None else None
    outcomes: dict[str, Outcome] = {}
    if path is not None and path.is_dir():
        outcomes = {o.rule.id: o for o in evaluate(path)}
    return {rule.id: RepoReviewCheck(outcomes.get(rule.id), rule) for rule in RULES}


def repo_review_families() -> dict[str, dict[str, Any]]:
    """Entry point ``repo_review.families``: how the family is shown."""
    return {FAMILY: {"name": "ci-sessions", "order": 50}}
