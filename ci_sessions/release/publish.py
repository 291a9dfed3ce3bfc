"""Upload distributions to one index with twine; the token comes from an environment variable.

The token reaches twine through ``TWINE_PASSWORD`` in its environment, never on its command line,
and is masked out of everything shown. An index that already has the version (HTTP 400/409)
gives a clear :class:`PublishError`, not twine's traceback-like output.
"""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

from packaging.utils import canonicalize_name

from ci_sessions._secrets import mask, split_credentials
from ci_sessions.builds.dists import Distributions
from ci_sessions.builds.tools import TWINE, run, tool_argv
from ci_sessions.errors import PublishError, UsageError
from ci_sessions.release.indexes import basic_auth
from ci_sessions.release.records import SECRETS
from ci_sessions.release.settings import IndexSettings

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HTTP = re.compile(r"\b(?P<code>[1-5]\d\d) (?P<reason>[A-Z][A-Za-z ]+?) (?:from|for url)", re.IGNORECASE)  # fmt: skip


_UNREACHABLE = ("Connection refused", "Failed to establish a new connection", "Name or service not known", "Max retries exceeded")  # fmt: skip


def token_for(index: IndexSettings) -> str:
    """The index's token from its environment variable; "" when the index needs no login.
    The token, and any password in the index's URLs, is masked from then on."""
    for password in index.passwords():
        SECRETS.add(password)
    if not index.token_env:
        return ""
    token = os.environ.get(index.token_env, "")
    SECRETS.add(token)
    if not token:
        raise UsageError(
            f"the {index.stage} index needs a token in ${index.token_env}, which is not set",
            fix=f"export {index.token_env}=... (an API token), or set token-env for "
            f"[tool.ci-sessions.publish.indexes.{index.stage}]",
        )
    return token


def already_there(index: IndexSettings, dists: Distributions) -> list[str]:
    """The files the index's simple page already lists (empty when it cannot be read)."""
    simple, user, password = split_credentials(index.simple_url)
    url = f"{simple.rstrip('/')}/{canonicalize_name(dists.name)}/"
    headers = {"Accept": "text/html"}
    if user or password:
        headers.update(basic_auth(user, password))
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - configured index
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            page = response.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return []
    return [path.name for path in dists.files if path.name in page]


def upload(root: Path, index: IndexSettings, dists: Distributions, token: str) -> str:
    """Upload every file; returns twine's (masked) output; a refusal raises PublishError."""
    present = already_there(index, dists)
    if present:
        raise PublishError(
            f"{dists.name} {dists.version} is already on the {index.stage} index "
            f"({index.simple_url}: {', '.join(present)}): an index takes a version once",
            fix="release a new version (ci-sessions release) and publish that",
        )
    argv = tool_argv(
        TWINE, "twine", "upload", "--non-interactive", "--disable-progress-bar", "--verbose",
        "--repository-url", index.upload, *map(str, dists.files),
    )  # fmt: skip
    user, password = index.login(token)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    env["TWINE_USERNAME"] = user or "anonymous"
    env["TWINE_PASSWORD"] = password or "none"  # twine asks for one even where none is needed
    env["COLUMNS"] = "1000"  # twine's log lines unwrapped: the index's answer stays one line
    ran = run(argv, cwd=root, env=env)
    output = SECRETS.mask(mask(_ANSI.sub("", ran.output), [token, password]))
    if ran.ok:
        return output
    raise PublishError(_explain(output, index, dists), fix=_fix(output, index))


def _status(output: str) -> int:
    match = _HTTP.search(output)
    return int(match.group("code")) if match else 0


def _already_there(output: str) -> bool:
    status = _status(output)
    text = output.lower()
    return status == 409 or (status == 400 and ("already exist" in text or "re-use" in text or "reuse" in text))  # fmt: skip


def _unreachable(output: str) -> bool:
    return any(words in output for words in _UNREACHABLE)


#: the reason a connection failed, as urllib3 and the system word it, and how to say it
_REASONS = (
    ("Connection refused", "connection refused"),
    ("Name or service not known", "the host name is not known"),
    ("nodename nor servname", "the host name is not known"),
    ("Temporary failure in name resolution", "the host name could not be resolved"),
    ("timed out", "the connection timed out"),
    ("Network is unreachable", "the network is unreachable"),
    ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate is not trusted"),
)


def unreachable_reason(output: str) -> str:
    """One phrase for why an index could not be reached (urllib3 prints six lines of it)."""
    return next((said for words, said in _REASONS if words in output), "no connection")


def _telling(output: str) -> str:
    """The lines of twine's output that say why: the index's own answer (twine prints it after
    "Response from <url>:") and twine's error lines, with their indented continuation; the last
    lines without a traceback otherwise. At most 12 lines of 300 characters."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    answer = max((n for n, line in enumerate(lines) if "Response from" in line), default=-1)
    picked: list[str] = []
    if answer >= 0:
        picked = [_level.sub("", line).strip() for line in lines[answer:]]
    else:
        following = False
        for line in lines:
            if line.lstrip().startswith(("ERROR", "HTTPError")) or "already exist" in line.lower():
                picked.append(_level.sub("", line).strip())
                following = True
            elif following and line.startswith(" "):
                picked.append(line.strip())
            else:
                following = False
    if not picked:
        picked = [line for line in lines if not line.startswith(("Traceback", "  File ", "    "))]
    return "\n".join(line[:300] for line in picked[-12:])


_level = re.compile(r"^\s*(?:INFO|WARNING|ERROR)\s+")


def _explain(output: str, index: IndexSettings, dists: Distributions) -> str:
    where = f"the {index.stage} index ({index.upload_url})"
    status = _status(output)
    if _already_there(output):
        return f"{dists.name} {dists.version} is already on {where} (HTTP {status}): an index takes a version once"  # fmt: skip
    if _unreachable(output):
        return f"could not reach {where}: {unreachable_reason(output)}"
    if status in (401, 403):
        return f"{where} refused the credentials (HTTP {status})\n{_telling(output)}"
    return f"twine could not upload to {where}" + (f" (HTTP {status})" if status else "") + f"\n{_telling(output)}"  # fmt: skip


def _fix(output: str, index: IndexSettings) -> str:
    if _already_there(output):
        return "release a new version (ci-sessions release) and publish that"
    if _unreachable(output):
        return f"check upload-url of [tool.ci-sessions.publish.indexes.{index.stage}] and that the index is up"
    if _status(output) in (401, 403):
        return (
            f"check the token in ${index.token_env} and its scope (upload rights for this project)"
        )
    return "the index's answer is quoted above (twine's own words): fix what it names, then publish again"
