"""How long classifying a large diff takes (``ci-sessions changes`` runs first in every CI job)."""

from __future__ import annotations

from pathlib import Path

from ci_sessions.changes.detect import Rules, classify_changes, decide
from ci_sessions.changes.diff import ChangedFile

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("ci_sessions/mod_{}.py", "tests/unit/test_{}.py", "docs/page_{}.md", "configs/c_{}.yaml")


def test_classify_and_decide_2000_files(benchmark) -> None:  # type: ignore[no-untyped-def]
    rules = Rules.load(ROOT)
    changes = [ChangedFile(KINDS[i % 4].format(i), "modified") for i in range(2000)]

    def run() -> tuple[bool, list[str], list[str]]:
        return decide(rules, classify_changes(rules, changes))

    run_all, sessions, _ = benchmark(run)
    assert sessions and isinstance(run_all, bool)
