"""Untrusted text reaches run: scripts as variables: never code, and benign values unchanged."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ci_sessions.ci import untrusted
from ci_sessions.ci.expressions import Scope
from ci_sessions.errors import UntrustedText

HOSTILE = [
    "x;touch PWNED",
    "$(touch PWNED)",
    "`touch PWNED`",
    "a'; touch PWNED; echo '",
    'a"; touch PWNED; echo "',
    "line\nEOF\ntouch PWNED\n",
    "back\\slash $HOME ${HOME} * ? [a]",
]
#: values GitHub's own pasting shows as written in double quotes (no $, `, ", \\)
BENIGN = ["main", "feature/x-1.2", "dependabot/pip/ruff-0.1", "fix: a (b) 'c'", "x y  z", "100%"]

SCRIPTS = {
    "double": 'echo "[${{ github.head_ref }}]"',
    "single": "echo '[${{ github.head_ref }}]'",
    "ansi": "echo $'[${{ github.head_ref }}]'",
    "heredoc": "cat <<EOF\n[${{ github.head_ref }}]\nEOF",
    "printf": "printf '%s\\n' \"[${{ github.head_ref }}]\"",
    "comment-then-code": 'echo "[${{ github.head_ref }}]" # ${{ github.head_ref }}',
    "substitution": 'echo "$(echo "[${{ github.head_ref }}]")"',
}


def _scope(value: str) -> Scope:
    return Scope({"github": {"head_ref": value, "sha": "abc"}, "matrix": {"x": "a; echo RAN"}})


def _bash(script: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout


@pytest.mark.parametrize("name", list(SCRIPTS))
@pytest.mark.parametrize("value", HOSTILE)
def test_untrusted_values_are_printed_never_run(name: str, value: str, tmp_path: Path) -> None:
    rendered = untrusted.render(SCRIPTS[name], _scope(value), shell=None, tainted_env=set())
    assert "PWNED" not in rendered.script and "touch" not in rendered.script
    out = _bash(rendered.script, rendered.env, tmp_path)
    assert not (tmp_path / "PWNED").exists()
    if name != "ansi":  # $'...' reads backslash escapes in the literal parts only
        assert f"[{value}]" in out


@pytest.mark.parametrize("name", list(SCRIPTS))
@pytest.mark.parametrize("value", BENIGN)
def test_benign_values_give_the_output_of_the_pasted_script(
    name: str, value: str, tmp_path: Path
) -> None:
    template = SCRIPTS[name]
    rendered = untrusted.render(template, _scope(value), shell="bash", tainted_env=set())  # noqa: S604 - the workflow's shell: key
    pasted = template.replace("${{ github.head_ref }}", value)
    if untrusted.PLAIN.fullmatch(value):
        assert rendered.script == pasted and rendered.env == {}
    if "'" in value and name in ("single", "ansi"):
        return  # GitHub's pasting breaks these quotes itself: nothing to be identical to
    assert _bash(rendered.script, rendered.env, tmp_path) == _bash(pasted, {}, tmp_path)


def test_trusted_expressions_stay_shell_text(tmp_path: Path) -> None:
    rendered = untrusted.render(
        "echo ${{ matrix.x }} ${{ github.sha }}", _scope("x"), shell=None, tainted_env=set()
    )
    assert rendered.script == "echo a; echo RAN abc"
    assert _bash(rendered.script, rendered.env, tmp_path).splitlines() == ["a", "RAN abc"]


def test_env_set_from_untrusted_text_is_untrusted_too(tmp_path: Path) -> None:
    scope = Scope({"env": {"B": "$(touch PWNED)", "C": "$(echo trusted)"}})
    rendered = untrusted.render(
        "echo ${{ env.B }} ${{ env.C }}", scope, shell=None, tainted_env={"B"}
    )
    assert _bash(rendered.script, rendered.env, tmp_path) == "$(touch PWNED) trusted\n"
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    ("template", "shell", "says"),
    [
        ("print('${{ github.head_ref }}')", "python", "`shell: python`"),
        ("cat <<'EOF'\n${{ github.head_ref }}\nEOF", None, "quoted heredoc"),
    ],
)
def test_refused_where_no_variable_can_stand(template: str, shell: str | None, says: str) -> None:
    with pytest.raises(UntrustedText, match="env:") as raised:
        untrusted.render(template, _scope("a\nEOF\n$(touch PWNED)"), shell=shell, tainted_env=set())
    assert says in str(raised.value)
    same = untrusted.render(template, _scope("main"), shell=shell, tainted_env=set())
    assert "main" in same.script  # a plain value is written as is, in any shell


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("echo ", "plain"),
        ('echo "a ', "double"),
        ("echo 'a ", "single"),
        ("echo $'a ", "ansi"),
        ("echo # a ", "comment"),
        ("echo a#b ", "plain"),
        ("echo \"$(echo '", "single"),
        ("cat <<EOF\nline ", "heredoc"),
        ("cat <<'EOF'\nline ", "quoted-heredoc"),
        ("cat <<-\\EOF >x\n\tline ", "quoted-heredoc"),
        ("cat <<'EOF'\nx\nEOF\necho ", "plain"),
        ("echo 'it''s' ", "plain"),
        ('echo "a\\"b ', "double"),
    ],
)
def test_shell_state(text: str, state: str) -> None:
    assert untrusted.shell_state(text) == state
