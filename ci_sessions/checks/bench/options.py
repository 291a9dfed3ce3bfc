"""What ``nox -s bench -- ...`` asks for, and the settings ranges the schema cannot express."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ci_sessions.errors import ConfigError

if TYPE_CHECKING:
    from ci_sessions.checks.base import CheckContext


@dataclass(frozen=True)
class BenchOptions:
    """What the session's posargs ask for."""

    save_baseline: str | None = None  # "" = the current branch
    compare: str | None = None
    pytest_args: tuple[str, ...] = ()


def parse_posargs(posargs: list[str]) -> BenchOptions:
    """``--save-baseline[=NAME]``, ``--compare REF|FILE``; the rest is for pytest."""
    save: str | None = None
    compare: str | None = None
    rest: list[str] = []
    args = iter(posargs)
    for arg in args:
        if arg == "--save-baseline":
            save = ""
        elif arg.startswith("--save-baseline="):
            save = arg.partition("=")[2]
        elif arg == "--compare":
            compare = next(args, None)
            if not compare or compare.startswith("-"):
                raise _usage("--compare needs a branch name or a benchmark JSON file")
        elif arg.startswith("--compare="):
            compare = arg.partition("=")[2]
            if not compare:
                raise _usage("--compare needs a branch name or a benchmark JSON file")
        else:
            rest.append(arg)
    return BenchOptions(save, compare, tuple(rest))


def validate_settings(alpha: float, max_time: float) -> None:
    """Ranges the schema's minimum cannot express."""
    if not 0 < alpha < 0.5:
        raise ConfigError(
            "[tool.ci-sessions.bench]",
            "bench.alpha",
            f"{alpha} is out of range",
            expected="0 < alpha < 0.5, e.g. 0.01",
        )
    if max_time <= 0:
        raise ConfigError(
            "[tool.ci-sessions.bench]",
            "bench.max-time",
            f"{max_time} is not positive",
            expected="seconds > 0, e.g. 1.0",
        )


def missing_reference(ref: str) -> str:
    return (
        f"no baseline {ref!r}: neither a file nor a saved branch baseline in .ci-sessions/benchmarks/; "
        f"save one with `nox -s bench -- --save-baseline={ref}` or pass a benchmark JSON file"
    )


def _usage(problem: str) -> ConfigError:
    return ConfigError(
        "nox -s bench",
        "posargs",
        problem,
        fix="nox -s bench -- [--save-baseline[=NAME]] [--compare REF|FILE]",
    )


#: where ``bench.baseline-branch`` is documented, for the error that names it
NO_BRANCH = (
    "no branch to compare with: bench.baseline-branch is not set and no default branch was "
    "found (no remote HEAD, and HEAD is detached); set [tool.ci-sessions.bench] baseline-branch "
    '= "main" (your default branch), or pass -- --compare REF|FILE'
)


def baseline_branch(ctx: CheckContext) -> str | None:
    """The branch whose saved baseline a run compares with: ``bench.baseline-branch`` when set,
    else the repository's default branch (the remote's HEAD, else the branch checked out)."""
    from ci_sessions._git import default_branch

    return ctx.settings("bench").str("baseline-branch") or default_branch(ctx.root)
