"""The rules a name from the workflow must pass before it becomes a path, GitHub's where it has one.

A job id is a folder name of the run (its logs, its copy): GitHub allows letters, digits, ``-``
and ``_``, starting with a letter or ``_``. An artifact name is a folder name too: upload-artifact
refuses the characters NTFS cannot hold and the path separators; ``.`` and ``..`` are refused here
as well (they name a folder already there). Paths a step or an action reads or writes
(``working-directory``, an artifact's files, download-artifact's ``path``, checkout's ``path``,
``python-version-file``) stay inside the job's workspace or its own folder (``runner.temp``).
A refusal is a :class:`~ci_sessions.errors.ConfigError` naming the file, the line and the rule:
the run stops with exit 2 before anything is written there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from ci_sessions._fs import is_inside, link_on_the_way

JOB_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
JOB_ID_RULE = (
    "a job id starts with a letter or `_` and holds only letters, digits, `-` and `_` "
    "(GitHub's rule for jobs.<job_id>)"
)
#: upload-artifact's own list (@actions/artifact invalidArtifactNameCharacters), and NUL
ARTIFACT_FORBIDDEN: dict[str, str] = {
    '"': "double quote", ":": "colon", "<": "less than", ">": "greater than", "|": "vertical bar",
    "*": "asterisk", "?": "question mark", "\r": "carriage return", "\n": "line feed",
    "\\": "backslash", "/": "forward slash", "\0": "NUL",
}  # fmt: skip
ARTIFACT_RULE = (
    "an artifact name may not hold \" : < > | * ? \\r \\n \\ / (upload-artifact's rule), "
    "nor be . or .."
)


def job_id_problem(job_id: str) -> str | None:
    if JOB_ID.fullmatch(job_id):
        return None
    return f"job id {job_id!r} is not valid: {JOB_ID_RULE}"


def artifact_name_problem(name: str) -> str | None:
    """What is wrong with an artifact name, or None."""
    if not name:
        return "the artifact name is empty"
    for char, label in ARTIFACT_FORBIDDEN.items():
        if char in name:
            return f"the artifact name {name!r} holds a {label} ({ARTIFACT_RULE})"
    if name.strip() in (".", ".."):
        return f"the artifact name {name!r} is not a folder name ({ARTIFACT_RULE})"
    return None


def outside_problem(path: Path, roots: Sequence[Path], what: str) -> str | None:
    """Why ``path`` (links followed) is not inside one of ``roots``, or None."""
    real = Path(os.path.realpath(path))
    if any(is_inside(real, Path(os.path.realpath(root))) for root in roots):
        return None
    shown = " or ".join(str(root) for root in roots)
    return f"{what} {path} leads outside the job's folders ({shown})"


def write_problem(path: Path, roots: Sequence[Path], what: str) -> str | None:
    """Why writing at ``path`` could leave ``roots``: outside them by name, or through a link."""
    for root in roots:
        if is_inside(path, root):
            link = link_on_the_way(root, path)
            if link is None:
                return None
            return f"{what} {path} passes through the symbolic link {link}"
    shown = " or ".join(str(root) for root in roots)
    return f"{what} {path} leads outside the job's folders ({shown})"
