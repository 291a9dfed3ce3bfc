"""A ``run:`` script with untrusted text kept out of its code: the text reaches it as variables.

GitHub pastes every ``${{ }}`` into the script before the shell reads it, so a branch named
``x;touch${IFS}PWNED`` runs ``touch`` (zizmor's template injection). Here an expression that
reads untrusted text (:mod:`ci_sessions._contexts`) is replaced by a reference to a variable of
the step's environment holding its value, quoted for the place it stands in a POSIX shell script
(plain, inside ``"..."``, inside ``'...'``, inside ``$'...'``, a comment, a heredoc), so the
shell never reads it as code. A value made only of letters, digits and ``._/@%+:,-`` cannot change
what a script means and is written as is, so benign values give the same script GitHub runs.
Trusted expressions (``matrix``, ``needs.*.result``, ...) stay shell text, as on GitHub.

Where no variable can stand (the body of a quoted heredoc, or a shell that is not POSIX: python,
pwsh, a custom command), a value with any other character is refused: the step fails and says how
to pass it through ``env:`` instead.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from ci_sessions import _contexts
from ci_sessions.ci import expressions
from ci_sessions.ci.expressions import Scope
from ci_sessions.errors import UntrustedText

#: what a value may hold and still be written into a script as is
PLAIN = re.compile(r"[A-Za-z0-9._/@%+:,-]*")
POSIX_SHELLS = frozenset({"bash", "sh", "dash", "zsh", "ksh", "ash"})
PREFIX = "CIS_UNTRUSTED_"


@dataclass
class Rendered:
    script: str
    #: the variables the script's references need
    env: dict[str, str] = field(default_factory=dict[str, str])


def is_posix(shell: str | None) -> bool:
    """Whether the ``shell:`` (None: the default, bash or sh) is a POSIX shell."""
    if shell is None or not shell.strip():
        return True
    try:
        words = shlex.split(shell)
    except ValueError:
        return False
    program = words[0].rsplit("/", 1)[-1] if words else ""
    return program in POSIX_SHELLS


def render(template: str, scope: Scope, *, shell: str | None, tainted_env: set[str]) -> Rendered:
    """The script ``template`` with its expressions evaluated, untrusted values as variables.

    Raises :class:`~ci_sessions.ci.ExpressionError` for an expression that cannot be
    evaluated and :class:`UntrustedText` for a value no variable can carry here.
    """
    if not expressions.has_expression(template):
        return Rendered(template)
    posix = is_posix(shell)
    result = Rendered("")
    pieces: list[str] = []
    for part in expressions.split_template(template):
        if not part.expression:
            pieces.append(part.text)
            continue
        value = expressions.to_string(expressions.evaluate_text(part.text, scope))
        read = _contexts.references(part.text, tainted_env)
        if not read or PLAIN.fullmatch(value):
            pieces.append(value)
            continue
        state = shell_state("".join(pieces)) if posix else "other"
        reference = _reference(state, f"{PREFIX}{len(result.env) + 1}")
        if reference is None:
            if state == QUOTED_HEREDOC and "\n" not in value and "\r" not in value:
                pieces.append(value)  # a quoted heredoc ends only at a line of its own
                continue
            raise UntrustedText(_refusal(part.text, read, state, shell))
        result.env[f"{PREFIX}{len(result.env) + 1}"] = value
        pieces.append(reference)
    result.script = "".join(pieces)
    return result


def _refusal(expression: str, read: list[str], state: str, shell: str | None) -> str:
    where = (
        "the body of a quoted heredoc (<<'EOF')"
        if state == QUOTED_HEREDOC
        else f"a `shell: {shell}` script"
    )
    return (
        f"`${{{{ {expression} }}}}` reads untrusted text ({', '.join(read)}) and stands in "
        f"{where}, where no variable can hold it: set it in the step's env: "
        f"(e.g. `env: VALUE: ${{{{ {expression} }}}}`) and read the variable in the script"
    )


# ---------------------------------------------------------------- where a position is in sh

PLAIN_STATE, DOUBLE, SINGLE, ANSI, COMMENT = "plain", "double", "single", "ansi", "comment"
HEREDOC, QUOTED_HEREDOC = "heredoc", "quoted-heredoc"
_CODE = frozenset({PLAIN_STATE, "paren", "brace", "backtick"})


def _reference(state: str, name: str) -> str | None:
    """How a variable is written where the text ends in ``state`` (None: it cannot be)."""
    if state in _CODE or state in (DOUBLE, COMMENT, HEREDOC):
        return f"${{{name}}}"
    if state == SINGLE:
        return f"'\"${{{name}}}\"'"
    if state == ANSI:
        return f"'\"${{{name}}}\"$'"
    return None


@dataclass
class _Heredoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool


def shell_state(text: str) -> str:
    """Where the end of ``text`` stands in a POSIX shell script: plain code, double or single
    quotes, ``$'...'``, a comment, or a heredoc body (quoted or not)."""
    stack = [PLAIN_STATE]
    pending: list[_Heredoc] = []
    body: _Heredoc | None = None
    i, end = 0, len(text)
    while i < end:
        if body is not None:
            newline = text.find("\n", i)
            if newline < 0:
                return QUOTED_HEREDOC if body.quoted else HEREDOC
            line = text[i:newline]
            if (line.lstrip("\t") if body.strip_tabs else line) == body.delimiter:
                body = pending.pop(0) if pending else None
            i = newline + 1
            continue
        char, top = text[i], stack[-1]
        if top == SINGLE:
            if char == "'":
                stack.pop()
        elif top == ANSI:
            if char == "\\":
                i += 1
            elif char == "'":
                stack.pop()
        elif top == COMMENT:
            if char == "\n":
                stack.pop()
                continue  # the newline is read again as code (a heredoc may start)
        elif top == DOUBLE:
            if char == "\\":
                i += 1
            elif char == '"':
                stack.pop()
            elif text.startswith("$(", i):
                stack.append("paren")
                i += 1
            elif char == "`":
                stack.append("backtick")
        else:
            i, body = _code(text, i, stack, pending, body)
            continue
        i += 1
    if body is not None:
        return QUOTED_HEREDOC if body.quoted else HEREDOC
    return stack[-1]


def _code(
    text: str, i: int, stack: list[str], pending: list[_Heredoc], body: _Heredoc | None
) -> tuple[int, _Heredoc | None]:
    """One step over shell code (not inside quotes); returns the next position."""
    char, top = text[i], stack[-1]
    if char == "\\":
        return i + 2, body
    if text.startswith("$'", i):
        stack.append(ANSI)
        return i + 2, body
    if char == "'":
        stack.append(SINGLE)
    elif char == '"':
        stack.append(DOUBLE)
    elif char == "#" and (i == 0 or text[i - 1] in " \t\n;&|()"):
        stack.append(COMMENT)
    elif text.startswith("$(", i):
        stack.append("paren")
        return i + 2, body
    elif text.startswith("${", i):
        stack.append("brace")
        return i + 2, body
    elif (char == ")" and top == "paren") or (char == "}" and top == "brace"):
        stack.pop()
    elif char == "`":
        if top == "backtick":
            stack.pop()
        else:
            stack.append("backtick")
    elif text.startswith("<<", i) and not text.startswith("<<<", i):
        return _heredoc(text, i + 2, pending), body
    elif char == "\n" and pending:
        return i + 1, pending.pop(0)
    return i + 1, body


_WORD_END = re.compile(r"[\s;&|<>()]")


def _heredoc(text: str, i: int, pending: list[_Heredoc]) -> int:
    """Read a heredoc operator's delimiter word (after ``<<``); the body starts at the next line."""
    strip = text.startswith("-", i)
    i += 1 if strip else 0
    while i < len(text) and text[i] in " \t":
        i += 1
    start = i
    quote = ""
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "\\":
            i += 1
        elif _WORD_END.match(char):
            break
        i += 1
    raw = text[start:i]
    if raw:
        quoted = any(c in raw for c in "'\"\\")
        delimiter = raw.replace("\\", "").replace("'", "").replace('"', "")
        pending.append(_Heredoc(delimiter, quoted, strip))
    return i
