"""Which workflow expressions read text an attacker can choose: one list for the runner and for
``validate``.

A ``github`` context is untrusted unless its form is fixed: zizmor's template-injection audit
(its context-capabilities table, "fixed" capability) lists the fields GitHub itself fills with
a number, a hash, a name GitHub validates, or a path of its own; every other ``github.*`` field
(``head_ref``, ``ref_name``, commit messages, titles and bodies, author names) can hold any text,
including shell syntax. An ``env`` variable set from an untrusted expression is untrusted too.
``matrix``, ``strategy``, ``runner``, ``job``, ``needs.*.result``, ``steps.*.outcome`` and the
other contexts are the workflow's own and stay trusted, as on GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: github.* fields with a fixed form (zizmor's context-capabilities "fixed" entries that a run
#: of these events can hold; ``*`` stands for any key or index)
FIXED: frozenset[str] = frozenset({
    "github.action_path", "github.api_url", "github.event_name", "github.graphql_url",
    "github.job", "github.ref_protected", "github.ref_type", "github.repository",
    "github.repository_id", "github.repository_owner", "github.repository_owner_id",
    "github.repositoryurl", "github.retention_days", "github.run_attempt", "github.run_id",
    "github.run_number", "github.secret_source", "github.server_url", "github.sha",
    "github.token", "github.triggering_actor", "github.workspace",
    "github.event.after", "github.event.before", "github.event.number",
    "github.event.pull_request.number", "github.event.pull_request.base.sha",
    "github.event.pull_request.head.sha", "github.event.merge_group.base_sha",
    "github.event.merge_group.head_sha", "github.event.head_commit.timestamp",
    "github.event.commits.*.timestamp", "github.event.repository.id",
    "github.event.repository.private", "github.event.repository.fork",
})  # fmt: skip

#: a context path in an expression: ``github.event.pull_request.title``, ``github['head_ref']``,
#: ``env.BRANCH``, ``github.event.commits[0].message``, ``github.event.commits.*.message``
_PATH = re.compile(
    r"(?<![\w.'-])(?P<head>github|env)"
    r"(?P<rest>(?:\s*\.\s*(?:[A-Za-z_][\w-]*|\*)|\s*\[\s*(?:'[^']*'|\d+|\*)\s*\])*)",
    re.IGNORECASE,
)
_PART = re.compile(r"\.\s*([A-Za-z_][\w-]*|\*)|\[\s*'([^']*)'\s*\]|\[\s*(\d+|\*)\s*\]")
_STRING = re.compile(r"'(?:[^']|'')*'")


def _normal(head: str, rest: str) -> str:
    parts = [head.lower()]
    for match in _PART.finditer(rest):
        name, quoted, index = match.groups()
        if index is not None:
            parts.append("*")
        else:
            parts.append((name if name is not None else quoted).lower())
    return ".".join(parts)


def untrusted_context(path: str) -> bool:
    """Whether a ``github.*`` path (dotted, lower case, ``*`` for an index) holds free text."""
    if not path.startswith("github.") or path == "github.event":
        return path == "github.event"  # the whole payload (toJSON(github.event)) holds it all
    return path not in FIXED


def references(expression: str, tainted_env: Iterable[str] = ()) -> list[str]:
    """The untrusted context paths an expression (the text inside ``${{ }}``) reads: github.*
    fields that hold free text, and ``env.NAME`` for each NAME in ``tainted_env``."""
    tainted = {name.lower() for name in tainted_env}
    strings = [match.span() for match in _STRING.finditer(expression)]
    found: list[str] = []
    for match in _PATH.finditer(expression):
        if any(start <= match.start() < end for start, end in strings):
            continue
        path = _normal(match.group("head"), match.group("rest"))
        if path == "github":
            found.append(path)  # github as a whole: toJSON(github)
        elif (path.startswith("github.") and untrusted_context(path)) or (
            path.startswith("env.") and path.split(".")[1] in tainted
        ):
            found.append(path)
    return list(dict.fromkeys(found))


_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def tainted_names(env: dict[str, object], tainted_env: Iterable[str] = ()) -> set[str]:
    """The variables of an ``env:`` mapping set from untrusted text (or from tainted ones)."""
    known = set(tainted_env)
    names: set[str] = set()
    for name, value in env.items():
        if isinstance(value, str) and any(
            references(match.group(1), known) for match in _EXPRESSION.finditer(value)
        ):
            names.add(name)
    return names
