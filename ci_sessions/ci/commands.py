"""The files a step writes to talk to the runner: ``$GITHUB_OUTPUT``, ``$GITHUB_ENV``, ``$GITHUB_PATH``.

OUTPUT and ENV hold ``name=value`` lines or ``name<<DELIMITER`` heredocs that end at a line equal
to the delimiter, as GitHub's runner parses them; a malformed file fails the step, as it does
there.
"""

from __future__ import annotations

from pathlib import Path


class CommandFileError(Exception):
    """A GITHUB_OUTPUT / GITHUB_ENV file the runner would reject."""


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
            raise CommandFileError(f"{what}: invalid line {line!r} (expected name=value)")
        if not name:
            raise CommandFileError(f"{what}: a line has an empty name: {line!r}")
        result[name] = value
    return result


def read_key_values(path: Path, what: str) -> dict[str, str]:
    if not path.exists():
        return {}
    return parse_key_values(path.read_text(encoding="utf-8", errors="replace"), what)


def read_paths(path: Path) -> list[str]:
    """GITHUB_PATH: one folder a line; the last line ends up first on PATH."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in reversed(lines) if line.strip()]
