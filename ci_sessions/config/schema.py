"""Every configuration key ci-sessions knows: its type, its meaning, its allowed values.

One table per check lives under its own name (``[tool.ci-sessions.lint]``); a new check adds its
table to ``CHECK_SETTINGS``. Defaults live in ``configs/quality-tiers.yaml``, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal[
    "str",
    "int",
    "float",
    "bool",
    "str-list",
    "str-map",
    "list-map",
    "table",
    "table-list",
    "date",
    "str-or-list",
    "str-or-false",
    "count-or-auto",
]
#: what a string (or each string of a list or map) must look like, beyond being a string
Format = Literal["", "python-version", "requirement"]

#: the oldest Python a project's tests may run on (pytest 8 and coverage 7 need 3.8)
OLDEST_PYTHON = (3, 8)


@dataclass(frozen=True)
class Field:
    """The type and meaning of one key."""

    kind: Kind
    doc: str
    choices: tuple[str, ...] = ()
    children: Mapping[str, Field] = field(default_factory=dict[str, "Field"])
    minimum: float | None = None
    maximum: float | None = None
    format: Format = ""
    #: keys a "table" or every row of a "table-list" must have (an allow entry needs an id)
    required: tuple[str, ...] = ()

    def expected(self) -> str:
        """Human description of what the key accepts, for error messages."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.format == "python-version":
            shown = "a list of" if self.kind == "str-list" else "a"
            oldest = ".".join(map(str, OLDEST_PYTHON))
            return f'{shown} "3.X" Python version(s), {oldest} or newer (e.g. "3.12")'
        if self.format == "requirement":
            return 'a requirement specifier (e.g. "ruff==0.17.6")'
        return {
            "str": "a string",
            "int": "an integer",
            "float": "a number",
            "bool": "true or false",
            "str-list": "a list of strings",
            "str-map": "a table of string values",
            "list-map": "a table of string lists",
            "table": "a table",
            "table-list": "a list of tables ([[...]] in TOML)",
            "date": 'a date (2027-06-30 or "2027-06-30")',
            "str-or-list": "a string or a list of strings",
            "str-or-false": "a string or false",
            "count-or-auto": f'a whole number >= {self.minimum or 0:g} or "auto"',
        }[self.kind]

    @property
    def is_map(self) -> bool:
        """A table whose member names are the user's (tiers, tools, ...), not the schema's."""
        return self.kind in ("str-map", "list-map")

    def member(self) -> Field:
        """The field of one member of a map (``tiers.quick``, ``tools.ruff``)."""
        kind: Kind = "str" if self.kind == "str-map" else "str-list"
        return Field(kind, self.doc, choices=self.choices, format=self.format)


def _table(doc: str, **children: Field) -> Field:
    return Field("table", doc, children={k.replace("_", "-"): v for k, v in children.items()})


SECURITY_LEVELS = ("low", "medium", "high", "critical")
BUILDERS = ("auto", "uv", "build")
INDEX_KINDS = ("auto", "pypi", "pypiserver", "devpi", "other")

_ALLOW = Field(
    "table-list",
    "accepted findings: [[...allow]] id, reason, expires (YYYY-MM-DD), optional path glob",
    children={
        "id": Field("str", "rule or advisory id (B602, PYSEC-2024-1, GHSA-..., AWSKeyDetector)"),
        "reason": Field("str", "why the finding is accepted"),
        "expires": Field("date", "date after which the entry fails the gate (YYYY-MM-DD)"),
        "path": Field("str", "glob of the file the entry applies to (default: every file)"),
    },
    required=("id", "reason", "expires"),
)

_INDEX = replace(
    _table(
        "one package index: where twine uploads, where pip installs from, whose token",
        upload_url=Field("str", "the upload (legacy) URL twine uploads to"),
        simple_url=Field("str", "the simple index URL pip installs from"),
        token_env=Field("str", "the environment variable holding the token (empty: no login)"),
        username=Field("str", "the user name for the token (default: __token__)"),
        kind=Field("str", "what the index can do on rollback (auto: ask it)", choices=INDEX_KINDS),
        extra_index_url=Field("str", "where the health check finds dependencies the index lacks"),
    ),
    required=("upload-url", "simple-url"),  # an index of your own needs both
)


CHECK_SETTINGS: dict[str, Field] = {
    "lint": _table(
        "ruff check",
        zero_tolerance=Field(
            "str-list",
            "ruff rule prefixes that must have 0 findings whatever the project's ruff config",
        ),
        default_select=Field("str-list", "rules selected when the project has no ruff config"),
        max_findings=Field(
            "int", "findings allowed under the project's own ruff config", minimum=0
        ),
        paths=Field(
            "str-list", "paths to check (default: the project root, ruff's own excludes apply)"
        ),
        args=Field("str-list", "extra arguments for ruff check"),
    ),
    "format": _table(
        "ruff format --check",
        include=Field(
            "str-list", "patterns of the files whose formatting is gated, as in a .gitignore"
        ),
        max_files=Field("int", "files allowed to need reformatting", minimum=0),
        paths=Field("str-list", "paths to check (default: the project root)"),
    ),
    "typecheck": _table(
        "pyright",
        max_errors=Field("int", "pyright errors allowed", minimum=0),
        max_warnings=Field(
            "int", "pyright warnings allowed; -1 means warnings never fail", minimum=-1
        ),
        paths=Field("str-list", "paths to check when the project has no pyright config"),
        args=Field("str-list", "extra arguments for pyright"),
    ),
    "tests": _table(
        "pytest",
        args=Field("str-list", "extra arguments for pytest"),
        paths=Field("str-list", "test paths (default: pytest's own testpaths / discovery)"),
        groups=Field(
            "str-list", "dependency groups to install (default: discovered test/tests/dev)"
        ),
        extras=Field("str-list", "extras to install (default: discovered test/tests/testing)"),
        requirements=Field(
            "str-list", "requirements files to install (default: requirements*test*.txt)"
        ),
        deps=Field("str-list", "extra requirement specifiers to install"),
        install_project=Field(
            "bool", "install the project itself (editable) into the test environment"
        ),
        allow_no_tests=Field("bool", "treat 'no tests collected' as SKIP instead of FAIL"),
        max_failures=Field("int", "failed or erroring tests allowed", minimum=0),
        junit=Field(
            "str",
            "when to write JUnit XML beside the compact outcomes file (ci: when CI=true)",
            choices=("ci", "always", "never"),
        ),
        workers=Field(
            "count-or-auto",
            "pytest-xdist processes per test run (0: none; auto: one per CPU); pytest-xdist is"
            " installed into the project environment when set",
        ),
        shards=Field(
            "count-or-auto",
            "CI cells the suite is split into per Python and OS (1: none; auto: enough that"
            " each takes at most shard-minutes by the recorded durations)",
            minimum=1,
        ),
        shard_minutes=Field(
            "float", "shards = auto: the longest a shard should take, in minutes", minimum=0.1
        ),
    ),
    "sast": _table(
        "bandit over the project's packages (docs/checks/sast.md)",
        paths=Field("str-list", "paths to scan (default: the project's packages)"),
        exclude=Field("str-list", "paths bandit skips (default: test directories)"),
        args=Field("str-list", "extra arguments for bandit (e.g. --skip B101)"),
        security_level=Field(
            "str",
            "overrides the top-level security-level for this check",
            choices=("", *SECURITY_LEVELS),
        ),
        max_findings=Field("int", "blocking findings allowed at the security level", minimum=0),
        allow=_ALLOW,
    ),
    "audit": _table(
        "pip-audit of the project's resolved dependencies (docs/checks/audit.md)",
        service=Field(
            "str",
            "pip-audit vulnerability service; none: local advisories only",
            choices=("pypi", "osv", "none"),
        ),
        osv_url=Field("str", "OSV API URL for service = 'osv' (empty: pip-audit's default)"),
        advisories=Field(
            "str", "local directory of OSV advisories (.json/.yaml) matched with PEP 440"
        ),
        unreachable=Field(
            "str", "verdict when vulnerability data could not be fetched", choices=("error", "warn")
        ),
        skip_packages=Field(
            "str-list",
            "distributions never audited (local path dependencies), listed in the output",
        ),
        timeout=Field("int", "seconds pip-audit waits for the vulnerability service", minimum=1),
        security_level=Field(
            "str",
            "overrides the top-level security-level for this check",
            choices=("", *SECURITY_LEVELS),
        ),
        max_findings=Field(
            "int", "blocking vulnerabilities allowed at the security level", minimum=0
        ),
        allow=_ALLOW,
    ),
    "secrets": _table(
        "detect-secrets over git-tracked files (docs/checks/secrets.md)",
        baseline=Field("str", "detect-secrets baseline file; secrets listed in it are accepted"),
        exclude=Field("str-list", "regular expressions of file paths not scanned"),
        args=Field("str-list", "extra arguments for detect-secrets scan (e.g. --disable-plugin X)"),
        max_findings=Field("int", "new secrets allowed", minimum=0),
        allow=_ALLOW,
    ),
    "precommit": _table(
        "pre-commit run --all-files (docs/checks/precommit.md)",
        args=Field("str-list", "extra arguments for pre-commit run (e.g. --hook-stage manual)"),
        restore=Field(
            "bool", "undo the files hooks modified, so the check leaves the tree as it found it"
        ),
        skip=Field("str-list", "hook ids not run (pre-commit's SKIP)"),
        nox_hooks=Field("bool", "also run hooks that call nox (the tier runs those checks itself)"),
    ),
    "bench": _table(
        "pytest-benchmark performance gate (docs/performance-gate.md)",
        paths=Field(
            "str-list", "benchmark paths (default: benchmarks/ if present, else the test dirs)"
        ),
        marker=Field("str", "only run tests with this pytest marker (empty: every benchmark test)"),
        args=Field("str-list", "extra arguments for pytest"),
        deps=Field("str-list", "extra requirement specifiers for the bench environment"),
        min_rounds=Field("int", "rounds measured at least per benchmark", minimum=5),
        max_time=Field(
            "float",
            "seconds spent measuring each benchmark (more rounds: tighter intervals)",
            minimum=0,
        ),
        timer=Field(
            "str",
            "cpu: process CPU time, immune to other processes; wall: elapsed time (I/O, sleeps)",
            choices=("cpu", "wall"),
        ),
        alpha=Field(
            "float",
            "false-alarm rate of each test; the interval has confidence 1 - alpha",
            minimum=0,
            maximum=1,
        ),
        resamples=Field("int", "bootstrap resamples of the ratio of medians", minimum=100),
        max_rounds=Field(
            "int",
            "rounds kept per benchmark (seeded random subset) in baselines and tests",
            minimum=20,
        ),
        baseline_branch=Field(
            "str",
            "branch whose saved baseline is compared against by default (empty: the default"
            " branch, the remote's HEAD, else the one checked out)",
        ),
        thresholds=Field(
            "str-map",
            'allowed slowdown per benchmark name pattern ("test_parse*" = "25%"); "*" sets the default',
        ),
        allow_no_benchmarks=Field(
            "bool", "SKIP instead of FAIL when the project has no benchmarks"
        ),
        confirm=Field(
            "bool", "measure regressed benchmarks a second time; fail only when they regress twice"
        ),
    ),
    "coverage": _table(
        "coverage.py over the test run(s) (docs/checks/coverage.md)",
        min=Field(
            "float",
            "minimum total percent covered (default: [tool.coverage.report] fail_under, else 85)",
            minimum=0,
            maximum=100,
        ),
        all_pythons=Field(
            "bool",
            "alone (nox -s coverage): run the suite on every declared Python found here and combine",
        ),
    ),
    "build": _table(
        "python -m build + twine check (docs/checks/build.md)",
        sdist=Field("bool", "build the sdist"),
        wheel=Field("bool", "build the wheel"),
        strict=Field(
            "bool", "twine check --strict: warnings (e.g. a missing long_description) fail"
        ),
        args=Field("str-list", "extra arguments for python -m build"),
    ),
    "sbom": _table(
        "CycloneDX SBOM of the runtime dependencies (docs/checks/sbom.md)",
        extras=Field("str-list", "extras whose dependencies count as runtime dependencies"),
        spec_version=Field(
            "str", "CycloneDX specification version", choices=("1.4", "1.5", "1.6", "1.7")
        ),
        args=Field("str-list", "extra arguments for cyclonedx-py environment"),
    ),
    "reproducible": _table(
        "the double build: sdist + wheel built twice, sha256 compared (docs/releasing.md)",
        max_differing=Field(
            "int", "distribution files allowed to differ between the two builds", minimum=0
        ),
    ),
    "docs": _table(
        "mkdocs build --strict or sphinx-build -W (docs/checks/docs.md)",
        builder=Field(
            "str",
            "which builder; auto: mkdocs.yml, else docs/conf.py",
            choices=("auto", "mkdocs", "sphinx"),
        ),
        strict=Field("bool", "warnings fail the build (mkdocs --strict, sphinx -W)"),
        groups=Field("str-list", "dependency groups to install (default: a group named docs)"),
        extras=Field("str-list", "extras to install (default: an extra named docs)"),
        requirements=Field(
            "str-list",
            "requirements files (default: Read the Docs' config, tox's docs env, else a"
            " requirements file beside the docs)",
        ),
        deps=Field("str-list", "extra requirement specifiers for the docs environment"),
        install_project=Field(
            "bool", "install the project into the docs environment (autodoc, mkdocstrings)"
        ),
        args=Field("str-list", "extra arguments for the builder"),
        unreachable=Field(
            "str",
            "verdict when Sphinx cannot fetch intersphinx inventories (no network)",
            choices=("error", "warn"),
        ),
    ),
}


TOP_LEVEL: dict[str, Field] = {
    "python": Field(
        "str-list",
        "Python versions to test (default: classifiers / requires-python)",
        format="python-version",
    ),
    "default-python": Field(
        "str",
        "Python the tier sessions run on (default: the one running nox)",
        format="python-version",
    ),
    "jobs": Field("int", "checks run at once in a tier; 0 means one per CPU", minimum=0),
    "download-python": Field("bool", "let uv download a missing interpreter"),
    "venv-backend": Field("str", "how environments are made", choices=("auto", "uv", "virtualenv")),
    "cache": Field("bool", "reuse a PASS result when a check's inputs did not change"),
    "incremental": Field(
        "str",
        "typecheck and tests rerun only the files an edit reaches (local: not when CI=true)",
        choices=("local", "always", "never"),
    ),
    "cache-ignore-env": Field(
        "str-list",
        "environment variables (fnmatch patterns of names, not paths) that never change a "
        "verdict, beyond the built-in volatile list: the result cache ignores them",
    ),
    "fail-fast": Field("bool", "stop a tier at the first failed check"),
    "progress": Field(
        "str",
        "what a tier shows while checks run: auto (live on a terminal, else log), live, log, off",
        choices=("auto", "live", "log", "off"),
    ),
    "progress-interval": Field(
        "float", "seconds between two 'still running' lines when not on a terminal", minimum=0.1
    ),
    "exclude": Field("str-list", "sessions not to register"),
    "session-names": Field("str-map", "rename sessions: check name -> session name"),
    "tiers": Field("list-map", "tier name -> checks and tiers it runs"),
    "tools": Field(
        "str-map", "tool name -> requirement specifier installed for it", format="requirement"
    ),
    "security-level": Field(
        "str",
        "which severities fail sast and audit (configs/security-profiles.yaml)",
        choices=SECURITY_LEVELS,
    ),
    "baseline": Field("str", "committed file of accepted findings (only new findings fail)"),
    "use-baseline": Field("bool", "filter findings through the baseline file"),
    "packages": Field("str-list", "monorepo: globs of package directories (default: discovered)"),
    "changes": _table(
        "change detection: path patterns per category and the sessions each category needs",
        docs=Field("str-list", "patterns of documentation files"),
        tests=Field("str-list", "patterns of test files"),
        config=Field("str-list", "patterns of config files (pyproject, lock files, tool configs)"),
        ci=Field("str-list", "patterns of CI files (workflows, noxfile)"),
        source=Field(
            "str-list", "patterns of source files (files in the project's packages count too)"
        ),
        run_all=Field(
            "str-list", "patterns whose change runs every session and the whole test suite"
        ),
        ignore=Field(
            "str-list", "patterns that never affect tests (affected-test selection skips them)"
        ),
        sessions=Field("list-map", "category -> sessions it needs; '*' means every session"),
    ),
    "history": _table(
        "run history in .ci-sessions/history.db (docs/history.md)",
        enabled=Field("bool", "record every run in the history"),
        keep_days=Field(
            "int", "forget runs older than this many days; 0 keeps everything", minimum=0
        ),
        keep_runs=Field("int", "keep only this many latest runs; 0 keeps every run", minimum=0),
        rerun_flaky=Field(
            "bool", "rerun failed tests the history knows as flaky once, and mark them"
        ),
    ),
    "ratchet": _table(
        "ci-sessions ratchet: thresholds only rise (docs/ratchet.md)",
        margin=Field(
            "float", "raise a threshold only when the project beats it by at least this", minimum=0
        ),
        runs=Field("int", "judge on the worst of this many latest recorded runs", minimum=1),
    ),
    "release": _table(
        "ci-sessions release / nox -s release: version, changelog, commit, tag (docs/releasing.md)",
        tag_prefix=Field("str", "tags are <prefix><version>; with v or '' bare versions count too"),
        changelog=Field("str-or-false", "the changelog file, or false for none"),
        version_source=Field(
            "str", "auto, pyproject, tag, or the path of the file holding __version__"
        ),
        major_on_zero=Field("bool", "a breaking change on 0.x releases 1.0.0 (default: minor)"),
        commit_message=Field("str", "the release commit's message; must contain {version}"),
        builder=Field(
            "str", "what builds the distributions (auto: uv when present)", choices=BUILDERS
        ),
        gate=Field("str-list", "checks and tiers nox -s release runs first; a failure stops it"),
    ),
    "publish": _table(
        "ci-sessions release publish / nox -s publish: stages, health check (docs/releasing.md)",
        strategy=Field(
            "str",
            "staged: staging, health, production, health; direct: production only",
            choices=("staged", "direct"),
        ),
        smoke=Field(
            "str-or-list", "the smoke command: a string or a list; {python} is the fresh venv's"
        ),
        import_names=Field("str-list", "top-level packages imported (default: the wheel's)"),
        retries=Field("int", "installs tried while the index makes the release visible", minimum=1),
        retry_delay=Field("float", "seconds between those tries", minimum=0),
        dist_dir=Field("str", "publish the files in this directory instead of building them"),
        indexes=_table(
            "the package index of each stage (default: TestPyPI and PyPI)",
            staging=_INDEX,
            production=_INDEX,
        ),
    ),
    **CHECK_SETTINGS,
}
