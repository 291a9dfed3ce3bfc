"""The hostile corpus of ``ci-sessions ci``: workflows and repositories made to escape, inject,
leak, exhaust or crash. Each case asserts its exit code and what it must say; every case asserts
that nothing outside ``.ci-sessions/`` changed, TMPDIR is clean, no process outlived the run, the
planted secret is in no output or file, and no traceback was printed (sandbox.assert_contained).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from gitrepo import git
from sandbox import Outcome, Sandbox, assert_contained

from ci_sessions.ci.cli import main

pytestmark = pytest.mark.integration

#: what `ci-sessions ci` may write: its own folder of the project's state
CI_WRITES = ("project/.ci-sessions",)
HEAD = "on: [push, pull_request]\njobs:\n"


@dataclass
class Case:
    id: str
    workflow: str | bytes
    code: int
    says: tuple[str, ...] = ()
    files: dict[str, str | bytes] = field(default_factory=dict[str, str | bytes])
    #: run after the first commit (links, branches, uncommitted edits, commits)
    setup: Callable[[Sandbox], None] | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict[str, str])
    #: more to check once the run is over
    check: Callable[[Sandbox, Outcome], None] | None = None
    #: text that must not be in the output (besides the secret)
    never: tuple[str, ...] = ()


CHECKOUT = "- uses: actions/checkout@v5\n"


def job(steps: str, name: str = "build", extra: str = "") -> str:
    """One job on ubuntu-latest with ``steps`` (YAML list items, indented by the caller)."""
    head = CHECKOUT if steps.startswith(CHECKOUT) else ""
    text = head + textwrap.dedent(steps.removeprefix(head)).strip("\n")
    body = textwrap.indent(text, "      ")
    more = textwrap.indent(textwrap.dedent(extra).strip("\n"), "    ") + "\n" if extra else ""
    return f"  {name}:\n    runs-on: ubuntu-latest\n{more}    steps:\n{body}\n"


def _untouched(box: Sandbox, _outcome: Outcome) -> None:
    assert (box.project / "src" / "keep.py").read_text() == "KEEP = 1\n"


def _no_pwned(box: Sandbox, _outcome: Outcome) -> None:
    found = [p for p in box.root.rglob("PWNED*")]
    assert found == [], "an injected command ran"


def _branch(name: str) -> Callable[[Sandbox], None]:
    def make(box: Sandbox) -> None:
        git(box.project, "switch", "-qc", name)

    return make


def _commit_with(message: str) -> Callable[[Sandbox], None]:
    def make(box: Sandbox) -> None:
        (box.project / "change.txt").write_text("x")
        git(box.project, "add", "-A")
        message_file = box.root / "message.txt"
        message_file.write_text(message)
        # the caller's GIT_AUTHOR_NAME (a case's env) wins over the tests' fixed identity
        subprocess.run(
            ["git", "commit", "-q", "-F", str(message_file)], cwd=box.project, check=True
        )
        message_file.unlink()

    return make


def _state_link(box: Sandbox) -> None:
    link = box.project / ".ci-sessions"
    link.symlink_to(box.outside, target_is_directory=True)
    git(box.project, "add", ".ci-sessions")
    git(box.project, "commit", "-qm", "a state folder that is a link")


def _ci_link(box: Sandbox) -> None:
    (box.project / ".ci-sessions").mkdir()
    (box.project / ".ci-sessions" / "ci").symlink_to(box.outside / "ci", target_is_directory=True)


def _index_behind_link(box: Sandbox) -> None:
    (box.project / "data").rename(box.project / "real-data")
    (box.project / "data").symlink_to(box.outside, target_is_directory=True)


def _leak_link(box: Sandbox) -> None:
    (box.project / "leak").symlink_to(box.outside, target_is_directory=True)
    git(box.project, "add", "leak")
    git(box.project, "commit", "-qm", "a link out")


def _took_less(outcome: Outcome, seconds: float) -> None:
    """The job's own row says how long it ran: its timeout, not its steps, ended it."""
    import re

    took = [float(m) for m in re.findall(r"(\d+\.\d) s ", outcome.text.split("run locally")[-1])]
    assert took and max(took) < seconds, outcome.text[-2000:]


def _output_capped(box: Sandbox, outcome: Outcome, produced: int) -> None:
    """The terminal shows at most 1 MiB of a step (64 KiB a line); the log has all of it."""
    assert len(outcome.text.encode()) < 1_100_000
    assert max(len(line.encode()) for line in outcome.text.splitlines()) <= 65_536 + 200
    log = box.project / ".ci-sessions" / "ci" / "build" / "build.log"
    assert log.stat().st_size >= produced


def _bad_python_version(box: Sandbox) -> None:
    (box.project / ".python-version").write_bytes(b"3.1\xff\xfe\n")


SRC = {"src/keep.py": "KEEP = 1\n", "README.md": "hi\n"}

CASES: list[Case] = [
    # ---------------------------------------------------------------- names that become paths
    Case("job-id-dotdot", HEAD + '  "..":\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
         2, ("job id '..' is not valid", "ci.yml", "line 4: jobs", "letters, digits")),
    Case("job-id-absolute", HEAD + '  "@OUTSIDE@":\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
         2, ("is not valid", "GitHub's rule")),
    Case("job-id-slash", HEAD + '  "a/../../x":\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
         2, ("is not valid",)),
    Case("artifact-name-escapes-to-src",
         HEAD + job(CHECKOUT + """
             - run: mkdir -p out && echo new > out/x.txt
             - uses: actions/upload-artifact@v4
               with: {name: "../../../../src", path: out, overwrite: true}
             - uses: actions/upload-artifact@v4
               with: {name: "../../../../src", path: out, overwrite: true}
             """), 2, ("forward slash", "upload-artifact's rule", "line 9: jobs.build.steps[2].with.name"),
         SRC, check=_untouched),
    Case("artifact-name-from-expression",
         HEAD + job(CHECKOUT + """
             - run: mkdir -p out && echo new > out/x.txt
             - uses: actions/upload-artifact@v4
               with: {name: "${{ format('..{0}..{0}..{0}src', '/') }}", path: out, overwrite: true}
             """), 2, ("forward slash", "run stopped"), SRC, check=_untouched),
    Case("artifact-name-dotdot",
         HEAD + job(CHECKOUT + """
             - run: mkdir -p out && echo new > out/x.txt
             - uses: actions/upload-artifact@v4
               with: {name: "..", path: out, overwrite: true}
             """), 2, ("is not a folder name",)),
    Case("artifact-path-home",
         HEAD + job(CHECKOUT + """
             - uses: actions/upload-artifact@v4
               with: {name: home, path: "~/.canary"}
             """), 2, ("leads outside the job's folders",)),
    Case("artifact-path-absolute",
         HEAD + job(CHECKOUT + """
             - uses: actions/upload-artifact@v4
               with: {name: abs, path: "@OUTSIDE@/canary.txt"}
             """), 2, ("leads outside the job's folders",)),
    Case("artifact-path-dotdot",
         HEAD + job(CHECKOUT + """
             - uses: actions/upload-artifact@v4
               with: {name: up, path: "../../../../**"}
             """), 2, ("leads outside",)),
    Case("artifact-path-through-link",
         HEAD + job(CHECKOUT + """
             - uses: actions/upload-artifact@v4
               with: {name: leak, path: "leak/"}
             """), 2, ("leads outside",), setup=_leak_link),
    Case("download-path-dotdot",
         HEAD + job(CHECKOUT + """
             - run: mkdir -p out && echo new > out/keep.py
             - uses: actions/upload-artifact@v4
               with: {name: a, path: out}
             - uses: actions/download-artifact@v4
               with: {name: a, path: "../../../../outside/src"}
             """), 2, ("download-artifact path", "leads outside")),
    Case("download-path-absolute",
         HEAD + job(CHECKOUT + """
             - run: mkdir -p out && echo new > out/keep.py
             - uses: actions/upload-artifact@v4
               with: {name: a, path: out}
             - uses: actions/download-artifact@v4
               with: {name: a, path: "@OUTSIDE@/src"}
             """), 2, ("download-artifact path", "leads outside")),
    Case("download-through-a-link-a-step-made",
         HEAD + job(CHECKOUT + """
             - run: mkdir -p out/src && echo new > out/src/keep.py
             - uses: actions/upload-artifact@v4
               with: {name: a, path: out}
             - run: mkdir -p dest && ln -s "@OUTSIDE@/src" dest/src
             - uses: actions/download-artifact@v4
               with: {name: a, path: dest}
             """), 2, ("symbolic link",)),
    Case("working-directory-dotdot",
         HEAD + job("""
             - run: touch PWNED-wd
               working-directory: ../../../../outside
             """), 2, ("working-directory", "leads outside")),
    Case("working-directory-absolute",
         HEAD + job("""
             - run: touch PWNED-wd
               working-directory: "@OUTSIDE@"
             """), 2, ("working-directory", "leads outside"), check=_no_pwned),
    Case("checkout-path-dotdot",
         HEAD + job("""
             - uses: actions/checkout@v5
               with: {path: "../../outside"}
             """), 2, ("actions/checkout path", "outside")),
    Case("python-version-file-outside",
         HEAD + job(CHECKOUT + """
             - uses: actions/setup-python@v5
               with: {python-version-file: "../../../../outside/canary.txt"}
             """), 2, ("python-version-file", "leads outside")),
    Case("state-folder-is-a-link", HEAD + job('- run: "true"'), 2,
         (".ci-sessions", "symbolic link"), setup=_state_link),
    Case("ci-folder-is-a-link", HEAD + job('- run: "true"'), 0, (), setup=_ci_link,
         check=lambda box, _o: os.path.isfile(box.outside / "ci" / "keep.txt") or pytest.fail("deleted")),
    Case("index-entry-behind-a-link", HEAD + job(CHECKOUT), 2,
         ("data/file.txt", "behind the symbolic link data", "git rm -r --cached data/"),
         {"data/file.txt": "tracked\n"}, setup=_index_behind_link),
    # ---------------------------------------------------------------- bad input
    Case("if-nested-400", HEAD + job("- run: 'true'\n  if: " + "(" * 400 + "true" + ")" * 400), 2,
         ("nested more than 50 levels deep",)),
    Case("if-and-chain-2000", HEAD + job("- run: 'true'\n  if: " + " && ".join(["true"] * 2000)), 2,
         ("too complex",)),
    Case("yaml-nested-deep", HEAD + job("- run: 'true'\n  with: " + "[" * 3000 + "]" * 3000), 2,
         ("nested", "ci.yml")),
    Case("fromjson-deep-output",
         HEAD + job("""
             - id: gen
               run: python3 -c "print('m=' + '[' * 100000 + ']' * 100000)" >> "$GITHUB_OUTPUT"
             - run: echo "${{ fromJSON(steps.gen.outputs.m) }}"
             """), 1, ("fromJSON(): nested more than 100 levels deep",)),
    Case("nul-in-github-env",
         HEAD + job("""
             - run: printf 'BAD=a\\0b\\n' >> "$GITHUB_ENV"
             - run: echo "$BAD"
             """), 1, ("GITHUB_ENV", "NUL")),
    Case("nul-in-github-path",
         HEAD + job("""
             - run: printf '/x\\0y\\n' >> "$GITHUB_PATH"
             - run: "true"
             """), 1, ("GITHUB_PATH", "NUL")),
    Case("nul-in-env-value", HEAD + job('- run: echo "$X"\n  env:\n    X: "a\\0b"'), 2,
         ("NUL byte", "line 8: jobs.build.steps[0].env.X")),
    Case("lone-surrogate-in-run", HEAD + job('- run: "echo \\ud800"'), 2,
         ("lone surrogate", "line 6")),
    Case("workflow-not-utf8", b"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \xe9\xff\n",
         2, ("not UTF-8",)),
    Case("python-version-not-utf8",
         HEAD + job(CHECKOUT + "- uses: actions/setup-python@v5"), 2,
         (".python-version", "not UTF-8"), setup=_bad_python_version),
    Case("timeout-not-a-number", HEAD + job('- run: "true"\n  timeout-minutes: soon'), 2,
         ("timeout-minutes", "number")),
    Case("timeout-negative", HEAD + job('- run: "true"', extra="timeout-minutes: -5"), 2,
         ("timeout-minutes",)),
    # ---------------------------------------------------------------- limits
    Case("matrix-300-cells", HEAD + job('- run: "true"', extra="""
         strategy:
           matrix: {a: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15], b: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}
         """), 2, ("300 jobs", "256")),
    Case("matrix-product-explodes", HEAD + job('- run: "true"', extra="strategy:\n  matrix:\n"
         + "".join(f"    k{n}: [1,2,3,4,5,6,7,8,9,10]\n" for n in range(12))), 2, ("256",)),
    Case("matrix-300-from-an-output",
         "on: push\njobs:\n" + job("""
             - id: m
               run: |
                 python3 -c "import json; print('m=' + json.dumps({'n': list(range(300))}))" >> "$GITHUB_OUTPUT"
             """, name="plan", extra="outputs: {m: '${{ steps.m.outputs.m }}'}") + """  use:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      matrix: ${{ fromJSON(needs.plan.outputs.m) }}
    steps:
      - run: "true"
""", 1, ("300 jobs", "256")),
    Case("job-timeout", HEAD + job('- run: sleep 60\n- run: echo after\n  if: always()', extra="timeout-minutes: 0.02"), 1,
         ("timed out",), check=lambda _b, o: None),
    Case("job-timeout-over-short-steps", HEAD + job(
         "- run: sleep 1\n- run: sleep 1\n- run: sleep 1\n- run: sleep 1\n- run: sleep 1\n- run: sleep 1",
         extra="timeout-minutes: 0.04"), 1, ("timed out",), check=lambda _b, o: _took_less(o, 5.0)),
    Case("step-timeout", HEAD + job('- run: sleep 60\n  timeout-minutes: 0.02'), 1, ("timed out",)),
    Case("background-closed-output", HEAD + job('- run: sleep 300 >/dev/null 2>&1 &\n- run: "true"'), 0),
    Case("background-left-the-group", HEAD + job('- run: setsid sleep 300 &'), 0),
    Case("background-double-fork", HEAD + job('- run: (setsid sh -c "sleep 300 &" &) ; sleep 0.2'), 0),
    Case("background-holds-the-output", HEAD + job('- run: sleep 300 &\n- run: echo next'), 0),
    Case("background-after-timeout", HEAD + job('- run: setsid sleep 300 & sleep 60\n  timeout-minutes: 0.02'), 1,
         ("timed out",)),
    Case("one-huge-line", HEAD + job('- run: python3 -c "print(\'x\' * 3_000_000)"; exit 3'), 1,
         ("full log",), check=lambda box, o: _output_capped(box, o, 3_000_000)),
    Case("many-lines", HEAD + job('- run: python3 -c "[print(100 * \'y\') for _ in range(30000)]"; exit 3'), 1,
         ("full log",), check=lambda box, o: _output_capped(box, o, 100 * 30000)),
    Case("forty-long-lines", HEAD + job('- run: python3 -c "[print(100_000 * \'z\') for _ in range(40)]"; exit 3'), 1,
         ("full log", "more characters of this line are in the log"), check=lambda box, o: _output_capped(box, o, 4_000_000)),
    # ---------------------------------------------------------------- untrusted text, secrets
    Case("head-ref-semicolon", HEAD + job("""
             - run: |
                 echo "quoted: ${{ github.head_ref }}"
                 echo plain: ${{ github.head_ref }}
                 exit 3
             """), 1, ("quoted: x;touch${IFS}PWNED", "plain: x;touch${IFS}PWNED"),
         setup=_branch("x;touch${IFS}PWNED"), args=("--base", "main")),
    Case("ref-name-substitution", HEAD + job("- run: echo ${{ github.ref_name }}; echo \"${{ github.ref }}\"; exit 3"), 1,
         ("$(touch${IFS}PWNED)", "refs/heads/$(touch${IFS}PWNED)"), setup=_branch("$(touch${IFS}PWNED)")),
    Case("ref-name-in-single-quotes", HEAD + job("- run: echo 'ref ${{ github.ref_name }} end'; exit 3"), 1,
         ("ref x';touch${IFS}PWNED;' end",), setup=_branch("x';touch${IFS}PWNED;'")),
    Case("commit-message-substitution", HEAD + job("""
             - run: |
                 echo "msg: ${{ github.event.head_commit.message }}" # ${{ github.event.head_commit.message }}
                 exit 3
             """), 1, ("msg: fix: $(touch PWNED) `touch PWNED2`",),
         setup=_commit_with("fix: $(touch PWNED) `touch PWNED2`")),
    Case("commit-message-ends-a-heredoc", HEAD + job("""
             - run: |
                 cat <<'EOF'
                 ${{ github.event.head_commit.message }}
                 EOF
             """), 1, ("quoted heredoc", "env:"), setup=_commit_with("a\nEOF\ntouch PWNED\n")),
    Case("commit-message-in-python", HEAD + job("""
             - shell: python
               run: print("${{ github.event.head_commit.message }}")
             """), 1, ("shell: python", "env:"), setup=_commit_with('x"); open("PWNED", "w"); print("')),
    Case("author-name-in-run", HEAD + job("- run: echo '${{ github.event.head_commit.author.name }}' \"${{ github.actor }}\"; exit 3"), 1,
         ("x';touch PWNED root",), setup=_commit_with("author"), env={"GIT_AUTHOR_NAME": "x';touch PWNED;'"}),
    Case("env-set-from-a-ref", HEAD + job("- run: echo ${{ env.B }}; exit 3\n  env:\n    B: ${{ github.ref_name }}"), 1,
         ("$(touch${IFS}PWNED)",), setup=_branch("$(touch${IFS}PWNED)")),
    Case("matrix-stays-shell-text", HEAD + job("- run: echo ${{ matrix.x }}; exit 3", extra="""
         strategy:
           matrix: {x: ["a; echo MATRIX-RAN"]}
         """), 1, ("\nMATRIX-RAN",)),
    Case("secret-flag-masked", HEAD + job("""
             - id: s
               env: {T: "${{ secrets.HOSTILE_TOKEN }}"}
               run: |
                 echo "token=$T"
                 echo "summary $T" >> "$GITHUB_STEP_SUMMARY"
                 echo "out=$T" >> "$GITHUB_OUTPUT"
             - name: name ${{ secrets.HOSTILE_TOKEN }}
               run: echo "again $T"; exit 3
               env: {T: "${{ secrets.HOSTILE_TOKEN }}"}
             """, extra="outputs: {o: '${{ steps.s.outputs.out }}'}"), 1, ("again ****",),
         args=("--secret", "HOSTILE_TOKEN", "--json")),
    Case("secret-in-an-evaluation-error", HEAD + job('- run: echo "${{ fromJSON(secrets.HOSTILE_TOKEN) }}"'), 1,
         ("fromJSON(): not valid JSON", "****"), args=("--secret", "HOSTILE_TOKEN", "--json")),
    Case("secret-in-a-line-too-long-to-hold", HEAD + job("""
             - env: {T: "${{ secrets.HOSTILE_TOKEN }}"}
               run: |
                 python3 -c "import os, sys; sys.stdout.write(os.environ['T'] + 'x' * 300000)"
                 exit 3
             """), 1, ("more characters of this line are in the log",),
         args=("--secret", "HOSTILE_TOKEN")),
    Case("add-mask", HEAD + job("""
             - run: |
                 echo "::add-mask::$HOSTILE_TOKEN"
                 echo "value $HOSTILE_TOKEN"
                 exit 3
             """), 1, ("value ****",), args=("--env", "HOSTILE_TOKEN")),
    Case("url-credentials-in-output", HEAD + job("- run: echo 'push to https://bot:@SECRET@@git.example/r.git'; exit 3"), 1,
         ("https://bot:****@git.example/r.git",)),
    Case("callers-token-not-inherited", HEAD + job("""
             - run: |
                 test -z "${HOSTILE_TOKEN:-}"
                 ! env | grep -q csk-hostile
             """), 0),
    Case("env-flag-passes", HEAD + job('- run: test -n "$HOSTILE_TOKEN"'), 0, args=("--env", "HOSTILE_TOKEN")),
    Case("env-flag-unset", HEAD + job('- run: "true"'), 2, ("--env NOT_SET_ANYWHERE", "not set"),
         args=("--env", "NOT_SET_ANYWHERE")),
]  # fmt: skip


def _prepare(box: Sandbox, case: Case) -> None:
    files: dict[str, str | bytes] = {".github/workflows/ci.yml": case.workflow, **case.files}
    box.write(files)
    box.commit()
    if case.setup is not None:
        case.setup(box)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ci_hostile(
    case: Case, box: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, box.fill(value))
    _prepare(box, case)
    before = box.snapshot(())
    capsys.readouterr()
    code = main(["--jobs", "2", *[box.fill(a) for a in case.args]])
    captured = capsys.readouterr()
    outcome = Outcome(code, captured.out, captured.err)
    assert code == case.code, outcome.text[-4000:]
    for words in case.says:
        assert box.fill(words) in outcome.text, (words, outcome.text[-4000:])
    for words in case.never:
        assert box.fill(words) not in outcome.text, words
    assert_contained(box, outcome, before, CI_WRITES)
    _no_pwned(box, outcome)
    if case.check is not None:
        case.check(box, outcome)


def test_the_corpus_is_large_enough() -> None:
    from test_hostile_release import CASES as RELEASE

    assert len(CASES) + len(RELEASE) >= 60
