"""The files a step writes to talk to the runner: ``$GITHUB_OUTPUT``, ``$GITHUB_ENV``, ``$GITHUB_PATH``.

OUTPUT and ENV hold ``name=value`` lines or ``name<<DELIMITER`` heredocs that end at a line equal
to the delimiter, as GitHub's runner parses them; a malformed file fails the step, as it does
there.
"""

from __future__ import annotations

from pathlib import Path

from ci_sessions.errors import CommandFileError


def parse_key_values(text: str, what: str) -> dict[str, str]:
    """``name=value`` and ``name<<EOF`` ... ``EOF`` entries, in order (a later one wins)."""
    result: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip():
            continue
        equals = line.find("=")
        heredoc = line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line[:equals], line[equals + 1 :]
        elif heredoc >= 0:
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not delimiter:
                raise CommandFileError(f"{what}: {line!r} has an empty heredoc delimiter")
            body: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise CommandFileError(
                    f"{what}: matching delimiter {delimiter!r} not found for {name!r}"
                )
            index += 1
            value = "\n".join(body)
        else:
            raise CommandFileError(f"{what}: invalid line {_shown(line)} (expected name=value)")
        if not name:
            raise CommandFileError(f"{what}: a line has an empty name: {_shown(line)}")
        if "\0" in name or "\0" in value:
            raise CommandFileError(
                f"{what}: {_shown(name)} holds a NUL byte, which no environment variable or "
                "output can carry"
            )
        if what == "GITHUB_ENV" and "=" in name:
            raise CommandFileError(f"{what}: {_shown(name)} is not a variable name")
        result[name] = value
    return result


def _shown(text: str) -> str:
    """A value for a message: quoted, and cut short."""
    return repr(text if len(text) <= 80 else text[:77] + "...")


def read_key_values(path: Path, what: str) -> dict[str, str]:
    if not path.exists():
        return {}
    return parse_key_values(path.read_text(encoding="utf-8", errors="replace"), what)


def read_paths(path: Path) -> list[str]:
    """GITHUB_PATH: one folder a line; the last line ends up first on PATH."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    folders = [line.strip() for line in reversed(lines) if line.strip()]
    for folder in folders:
        if "\0" in folder:
            raise CommandFileError(f"GITHUB_PATH: {_shown(folder)} holds a NUL byte")
    return folders


#: GitHub's limit on one step's summary
SUMMARY_LIMIT = 1024 * 1024


def read_summary(path: Path) -> str:
    """$GITHUB_STEP_SUMMARY's text; more than GitHub takes (1 MiB) is cut, and says so."""
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        data = handle.read(SUMMARY_LIMIT + 1)
    text = data[:SUMMARY_LIMIT].decode("utf-8", "replace")
    if len(data) > SUMMARY_LIMIT:
        text += "\n\n(the step summary is over 1 MiB, GitHub's limit: the rest is left out)\n"
    return text
