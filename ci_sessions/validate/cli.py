"""``ci-sessions validate``: check a repository's CI set-up rule by rule (repo-review style).

Each rule (``CIS1xx`` in :mod:`ci_sessions.validate.rules`) says what it checks, why, and how to
fix it. Exit status 1 when a required rule fails, 0 otherwise; ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import json
import sys

from ci_sessions._args import add_json, add_root, command_parser, root_of
from ci_sessions.validate.rules import Outcome, evaluate

MARKS = {True: "PASS", False: "FAIL", None: "SKIP"}


def render_text(outcomes: list[Outcome]) -> str:
    lines: list[str] = []
    for outcome in outcomes:
        rule = outcome.rule
        mark = MARKS[outcome.passed]
        if outcome.passed is False and not rule.required:
            mark = "WARN"
        lines.append(f"{mark:<4}  {rule.id}  {rule.name}")
        if outcome.passed is False:
            lines.append(f"        {outcome.detail}")
            lines.append(f"        why: {rule.why}")
            lines.append(f"        fix: {rule.fix}")
    failed = [o for o in outcomes if o.passed is False and o.rule.required]
    warned = [o for o in outcomes if o.passed is False and not o.rule.required]
    passed = sum(1 for o in outcomes if o.passed)
    lines.append("")
    lines.append(f"{passed} passed, {len(failed)} failed, {len(warned)} warning(s), "
                 f"{sum(1 for o in outcomes if o.passed is None)} skipped")  # fmt: skip
    return "\n".join(lines)


def exit_code(outcomes: list[Outcome]) -> int:
    return 1 if any(o.passed is False and o.rule.required for o in outcomes) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "validate",
        "Check that a repository runs the same ci-sessions locally, in pre-commit and in CI.",
    )
    add_root(
        parser, positional_alias=True, help_text="repository root (default: the current directory)"
    )
    add_json(parser, "print the outcomes as JSON")
    parser.add_argument(
        "--select",
        metavar="RULE",
        action="append",
        default=[],
        help="only these rule ids (repeatable)",
    )
    parser.add_argument(
        "--ignore",
        metavar="RULE",
        action="append",
        default=[],
        help="skip these rule ids (repeatable)",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = root_of(args, parser)
    from ci_sessions.validate.rules import RULES

    known = {r.id for r in RULES}
    unknown = [r for r in [*args.select, *args.ignore] if r not in known]
    if unknown:
        print(f"ci-sessions validate: unknown rule id(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
              file=sys.stderr)  # fmt: skip
        return 2
    rules = tuple(
        r for r in RULES if (not args.select or r.id in args.select) and r.id not in args.ignore
    )
    outcomes = evaluate(root, rules)
    code = exit_code(outcomes)
    if args.json:
        status = "fail" if code else "pass"
        print(json.dumps({"status": status, "rules": [o.to_json() for o in outcomes]}, indent=2))
    else:
        print(render_text(outcomes))
    return code
