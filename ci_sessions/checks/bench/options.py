"""What ``nox -s bench -- ...`` asks for, and the settings ranges the schema cannot express."""

from __future__ import annotations

from dataclasses import dataclass

from ci_sessions.errors import ConfigError


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
