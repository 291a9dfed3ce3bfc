"""The ``github`` context and event payload of a local run, from git facts and the command line.

Only what workflows read is filled in: event_name, ref, ref_name, sha, base_ref, head_ref,
repository, workflow, actor and a small ``event`` payload (``pull_request.base/head``,
``merge_group.base_ref``, ``inputs``). A pull request's HEAD is the local commit, not GitHub's
merge commit.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass, field
from pathlib import Path

from ci_sessions import _git
from ci_sessions.ci.values import Value, to_string

EVENTS = ("push", "pull_request", "merge_group", "workflow_dispatch")


@dataclass(frozen=True)
class RunFacts:
    event: str
    head: str
    branch: str | None
    base_ref: str  # branch name of the base, "" outside a pull request / merge group
    base_sha: str | None
    repository: str
    workflow: str
    actor: str
    inputs: dict[str, Value] = field(default_factory=dict[str, Value])
    #: HEAD's commit: message, author name and e-mail (the push payload's head_commit)
    commit: tuple[str, str, str] = ("", "", "")

    @property
    def pull_request(self) -> bool:
        return self.event == "pull_request"


#: GitHub's spelling of an owner and of a repository name (github.repository has a fixed form)
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def repository_name(root: Path) -> str:
    """``owner/name`` from the origin URL, else ``local/<folder>``; always in GitHub's form."""
    url = (_git.try_git(root, "remote", "get-url", "origin", timeout=10) or "").strip()
    match = re.search(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$", url)
    if match and _OWNER.fullmatch(match.group(1)) and _NAME.fullmatch(match.group(2)):
        return f"{match.group(1)}/{match.group(2)}"
    folder = re.sub(r"[^A-Za-z0-9._-]+", "-", root.name).strip("-.") or "project"
    return f"local/{folder[:100]}"


def actor(root: Path) -> str:
    """A login for github.actor: the git user name or the account's, in GitHub's login form."""
    name = (_git.try_git(root, "config", "user.name", timeout=10) or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "local"
    login = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")
    return login[:39] or "local"


def head_commit(root: Path) -> tuple[str, str, str]:
    """HEAD's message, author name and e-mail (text others may have written: untrusted)."""
    raw = _git.git_bytes(root, "log", "-1", "--format=%B%x00%an%x00%ae", "HEAD") or b""
    fields = raw.decode("utf-8", "replace").split("\0")
    message, name, email = (*fields, "", "", "")[:3]
    return message.rstrip("\n"), name, email.strip()


def base_branch(ref: str) -> str:
    """``origin/main`` or ``refs/remotes/origin/main`` -> ``main`` (github.base_ref is a name)."""
    for prefix in ("refs/remotes/origin/", "refs/heads/", "origin/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def dispatch_inputs(triggers: dict[str, Value]) -> dict[str, Value]:
    """The defaults of ``on.workflow_dispatch.inputs`` (what a run with no input gets)."""
    dispatch = triggers.get("workflow_dispatch")
    inputs = dispatch.get("inputs") if isinstance(dispatch, dict) else None
    result: dict[str, Value] = {}
    if isinstance(inputs, dict):
        for name, spec in inputs.items():
            default = spec.get("default") if isinstance(spec, dict) else None
            kind = spec.get("type") if isinstance(spec, dict) else None
            if kind == "boolean":
                result[name] = default is True or to_string(default).lower() == "true"
            else:
                result[name] = default if default is not None else ""
    return result


def github_context(facts: RunFacts) -> dict[str, Value]:
    branch = facts.branch or facts.head
    if facts.event == "pull_request":
        ref, ref_name = "refs/pull/1/merge", "1/merge"
    elif facts.event == "merge_group":
        ref_name = f"gh-readonly-queue/{facts.base_ref}/pr-1-{facts.head}"
        ref = f"refs/heads/{ref_name}"
    else:
        ref, ref_name = f"refs/heads/{branch}", branch
    owner = facts.repository.split("/")[0]
    return {
        "event_name": facts.event,
        "event": event_payload(facts),
        "sha": facts.head,
        "ref": ref,
        "ref_name": ref_name,
        "ref_type": "branch",
        "ref_protected": False,
        "base_ref": facts.base_ref if facts.pull_request else "",
        "head_ref": (facts.branch or "") if facts.pull_request else "",
        "repository": facts.repository,
        "repository_owner": owner,
        "workflow": facts.workflow,
        "actor": facts.actor,
        "triggering_actor": facts.actor,
        "run_id": "1",
        "run_number": "1",
        "run_attempt": "1",
        "retention_days": "90",
        "server_url": "https://github.com",
        "api_url": "https://api.github.com",
        "graphql_url": "https://api.github.com/graphql",
        "action": "",
        "token": "",
        "secret_source": "None",
    }


def event_payload(facts: RunFacts) -> dict[str, Value]:
    repository: dict[str, Value] = {
        "full_name": facts.repository,
        "name": facts.repository.split("/")[-1],
        "default_branch": facts.base_ref or facts.branch or "main",
    }
    if facts.event == "pull_request":
        return {
            "action": "synchronize",
            "number": 1,
            "pull_request": {
                "number": 1,
                "base": {"ref": facts.base_ref, "sha": facts.base_sha or ""},
                "head": {
                    "ref": facts.branch or "",
                    "sha": facts.head,
                    "label": f"{facts.repository.split('/')[0]}:{facts.branch or ''}",
                },
            },
            "repository": repository,
        }
    if facts.event == "merge_group":
        return {
            "action": "checks_requested",
            "merge_group": {
                "head_sha": facts.head,
                "head_ref": f"refs/heads/gh-readonly-queue/{facts.base_ref}/pr-1-{facts.head}",
                "base_sha": facts.base_sha or "",
                "base_ref": f"refs/heads/{facts.base_ref}",
            },
            "repository": repository,
        }
    if facts.event == "workflow_dispatch":
        return {
            "inputs": dict(facts.inputs),
            "ref": f"refs/heads/{facts.branch or facts.head}",
            "repository": repository,
        }
    message, name, email = facts.commit
    head: dict[str, Value] = {
        "id": facts.head,
        "message": message,
        "author": {"name": name, "email": email},
        "committer": {"name": name, "email": email},
    }
    return {
        "ref": f"refs/heads/{facts.branch or facts.head}",
        "before": "0" * 40,
        "after": facts.head,
        "head_commit": head,
        "commits": [dict(head)],
        "repository": repository,
    }
