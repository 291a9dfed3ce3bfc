#!/usr/bin/env -S uv run --script
# /// script
# dependencies = [
#   "nox>=2025.2",
#   "ci-sessions>=0.1",
# ]
# ///
"""ci-sessions sessions: `nox -l` lists them."""

# nox and ci_sessions come with nox (the block
# above), not with the project's environment:
# pyright: reportMissingImports=false
# pyright: reportUnknownMemberType=false

import nox

import ci_sessions

nox.needs_version = ">=2025.2"
nox.options.default_venv_backend = "uv|virtualenv"

ci_sessions.register()


# What `ci-sessions init` renders, plus one session of this repository's own (kept so by
# tests/integration/test_init_dogfood.py).
@nox.session(name="bench-framework", venv_backend="none", default=False)
def bench_framework(session: nox.Session) -> None:
    """Framework speed as ratios: warm, cached, cold (uv, virtualenv, tox), nox -l, scaling."""
    import sys
    from pathlib import Path

    session.run(
        sys.executable, str(Path(__file__).parent / "benchmarks" / "run.py"), *session.posargs
    )


if __name__ == "__main__":
    nox.main()
