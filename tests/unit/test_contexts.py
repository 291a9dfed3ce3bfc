"""Which expressions read untrusted text: zizmor's fixed-form github fields are trusted."""

from __future__ import annotations

import pytest

from ci_sessions._contexts import references, tainted_names, untrusted_context


@pytest.mark.parametrize(
    ("expression", "read"),
    [
        ("github.head_ref", ["github.head_ref"]),
        ("github.ref_name", ["github.ref_name"]),
        ("github['head_ref']", ["github.head_ref"]),
        ("github.event.pull_request.title", ["github.event.pull_request.title"]),
        ("github.event.commits[0].message", ["github.event.commits.*.message"]),
        ("format('{0}', github.event.head_commit.message)", ["github.event.head_commit.message"]),
        ("toJSON(github.event)", ["github.event"]),
        ("github.sha", []),
        ("github.event.pull_request.number", []),
        ("github.run_id == 1 && github.repository", []),
        ("matrix.python", []),
        ("'github.head_ref'", []),  # a string, not a context
        ("steps.github.outputs.x", []),
        ("env.BRANCH", ["env.branch"]),
        ("env.OTHER", []),
    ],
)
def test_references(expression: str, read: list[str]) -> None:
    assert references(expression, {"BRANCH"}) == read


def test_untrusted_context_and_tainted_env() -> None:
    assert untrusted_context("github.actor") and not untrusted_context("github.triggering_actor")
    env: dict[str, object] = {
        "A": "${{ github.head_ref }}",
        "B": "fixed",
        "C": "x-${{ env.A }}",
        "D": "${{ github.sha }}",
    }
    assert tainted_names(env) == {"A"}
    assert tainted_names(env, {"A"}) == {"A", "C"}
