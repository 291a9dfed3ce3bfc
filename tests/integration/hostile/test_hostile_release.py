"""The hostile corpus of ``ci-sessions release``: settings, tags, commits, files and indexes made to
escape the repository, forge the history, leave it half-released, crash or leak a token.

Each case asserts its exit code and what it must say; every case asserts (sandbox.assert_contained)
that nothing outside the places a release writes changed, TMPDIR is clean, no process is left,
the planted token is in no output or file written (the history database included), and no
traceback was printed. A case that must change nothing also asserts HEAD, the tags and the work
tree are as they were.
"""

from __future__ import annotations

import base64
import http.server
import io
import subprocess
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from gitrepo import git
from sandbox import Outcome, Sandbox, assert_contained

from ci_sessions.release.cli import main

pytestmark = pytest.mark.integration

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "hostile-pkg"
version = "1.2.3"
description = "a release under attack"
"""
#: where a release that fails may write (its state, git's own bookkeeping, uv's tool folder in
#: the throwaway HOME where `uv tool run twine` takes its lock), and one that succeeds (the
#: version file and the changelog too)
FAILED = ("project/.ci-sessions", "project/.git", "home/.local/share/uv")
RELEASED = (*FAILED, "project/pyproject.toml", "project/CHANGELOG.md", "project/CHANGELOG.rst")


@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    says: tuple[str, ...] = ()
    #: [tool.ci-sessions.*] tables added to pyproject.toml
    config: str = ""
    files: dict[str, str | bytes] = field(default_factory=dict[str, str | bytes])
    #: after the history is made (links, tags, odd commits)
    setup: Callable[[Sandbox], None] | None = None
    may_write: tuple[str, ...] = FAILED
    #: HEAD, tags and work tree must be as before (an all-or-nothing failure, a dry run)
    unchanged: bool = True
    check: Callable[[Sandbox, Outcome], None] | None = None
    env: dict[str, str] = field(default_factory=dict[str, str])
    never: tuple[str, ...] = ()


def _history(box: Sandbox) -> None:
    """v1.2.3 tagged, then a fix: the next release is 1.2.4."""
    git(box.project, "tag", "-a", "v1.2.3", "-m", "v1.2.3")
    (box.project / "fix.txt").write_text("fixed\n")
    git(box.project, "add", "-A")
    git(box.project, "commit", "-qm", "fix: a crash")


def _message_file(box: Sandbox, message: bytes) -> None:
    (box.project / "more.txt").write_text(message.hex())
    git(box.project, "add", "-A")
    path = box.root / "message.bin"
    path.write_bytes(message)
    git(box.project, "commit", "-q", "-F", str(path))
    path.unlink()


def _link(name: str, target: str) -> Callable[[Sandbox], None]:
    def make(box: Sandbox) -> None:
        (box.project / name).symlink_to(box.fill(target))
        git(box.project, "add", name)
        git(box.project, "commit", "-qm", f"docs: {name} is a link")

    return make


def _tags(*pairs: tuple[str, str]) -> Callable[[Sandbox], None]:
    def make(box: Sandbox) -> None:
        for name, rev in pairs:
            git(box.project, "tag", name, rev)

    return make


def _side_tag(box: Sandbox) -> None:
    """1.2.4 (bare) is tagged on another branch: not reachable, but released all the same."""
    git(box.project, "switch", "-qc", "side")
    (box.project / "side.txt").write_text("side\n")
    git(box.project, "add", "-A")
    git(box.project, "commit", "-qm", "fix: on the side")
    git(box.project, "tag", "1.2.4")
    git(box.project, "switch", "-q", "main")


def _tag_dir(box: Sandbox) -> None:
    """refs/tags/v1.2.4 is a folder: git cannot create the tag after the commit."""
    folder = box.project / ".git" / "refs" / "tags" / "v1.2.4"
    folder.mkdir(parents=True)
    (folder / "stuck").write_text(git(box.project, "rev-parse", "HEAD"))


def _no_identity(box: Sandbox) -> None:
    del box


def _index_behind_link(box: Sandbox) -> None:
    (box.project / "data").rename(box.project / "real-data")
    (box.project / "data").symlink_to(box.outside, target_is_directory=True)


def _state_link(box: Sandbox) -> None:
    (box.project / ".ci-sessions").symlink_to(box.outside, target_is_directory=True)


def _wheel(name: str, version: str, *, metadata: bool = True) -> bytes:
    buffer = io.BytesIO()
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name.replace('-', '_')}/__init__.py", "")
        if metadata:
            archive.writestr(
                f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            )
        archive.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n")
    return buffer.getvalue()


def _read(box: Sandbox, name: str) -> str:
    return (box.project / name).read_text(encoding="utf-8")


def _rst_written(box: Sandbox, _outcome: Outcome) -> None:
    assert not (box.project / "CHANGELOG.md").exists()
    text = _read(box, "CHANGELOG.rst")
    assert text.startswith("Changelog\n=========\n\nv1.2.4 (")
    assert "\n-------------------\n\n- a crash (" in text  # flat, as the file's sections are
    assert text.endswith("v1.2.3 (2026-01-01)\n-------------------\n\n- Older.\n")


def _utf8_changelog(box: Sandbox, _outcome: Outcome) -> None:
    text = _read(box, "CHANGELOG.md")
    assert "caf\ufffd" in text or "caf\u00e9" in text


CHANGELOG_RST = """\
Changelog
=========

v1.2.3 (2026-01-01)
-------------------

- Older.
"""
TOKEN_ENV = '\n[tool.ci-sessions.publish.indexes.staging]\nupload-url = "@URL@"\nsimple-url = "@URL@simple/"\ntoken-env = "HOSTILE_TOKEN"\n'  # noqa: S105 - a variable's name


CASES: list[Case] = [
    # ---------------------------------------------------------------- where the release writes
    Case("changelog-outside", (), 2, ("release.changelog", "outside"),
         config='[tool.ci-sessions.release]\nchangelog = "../outside/CHANGELOG.md"\n'),
    Case("changelog-absolute", (), 2, ("release.changelog",),
         config='[tool.ci-sessions.release]\nchangelog = "@OUTSIDE@/CHANGELOG.md"\n'),
    Case("changelog-through-a-link", (), 2, ("release.changelog", "symbolic link"),
         config='[tool.ci-sessions.release]\nchangelog = "docs/CHANGELOG.md"\n',
         setup=_link("docs", "@OUTSIDE@")),
    Case("changelog-is-a-link", (), 2, ("release.changelog", "symbolic link"),
         config='[tool.ci-sessions.release]\nchangelog = "NEWS.md"\n',
         setup=_link("NEWS.md", "@OUTSIDE@/canary.txt")),
    Case("changelog-in-dot-git", (), 2, ("release.changelog", ".git"),
         config='[tool.ci-sessions.release]\nchangelog = ".git/hooks/post-commit"\n'),
    Case("changelog-is-a-folder", (), 2, ("release.changelog", "folder"),
         config='[tool.ci-sessions.release]\nchangelog = "docs"\n', files={"docs/index.md": "# x\n"}),
    Case("version-source-outside", (), 2, ("version-source", "outside"),
         config='[tool.ci-sessions.release]\nversion-source = "../outside/src/keep.py"\n'),
    Case("version-source-link", (), 2, ("version-source", "symbolic link"),
         config='[tool.ci-sessions.release]\nversion-source = "ver.py"\n',
         setup=_link("ver.py", "@OUTSIDE@/src/keep.py")),
    Case("towncrier-file-outside", (), 2, ("towncrier", "filename", "outside"),
         config='[tool.towncrier]\nfilename = "../outside/NEWS.rst"\n'),
    Case("state-folder-is-a-link", ("publish", "--to", "staging"), 2, (".ci-sessions", "symbolic link"),
         config=TOKEN_ENV.replace("@URL@", "http://127.0.0.1:9/"), setup=_state_link,
         env={"HOSTILE_TOKEN": "@SECRET@"}),
    # ---------------------------------------------------------------- tags
    Case("tag-prefix-with-a-space", (), 2, ("tag-prefix", "'release v1.3.0'", "not a valid tag"),
         config='[tool.ci-sessions.release]\ntag-prefix = "release v"\n',
         setup=_tags(("release", "HEAD~1"))),
    Case("tag-prefix-dotdot", (), 2, ("tag-prefix", "not a valid tag"),
         config='[tool.ci-sessions.release]\ntag-prefix = "v.."\n'),
    Case("tag-prefix-lock", (), 2, ("tag-prefix", "not a valid tag"),
         config='[tool.ci-sessions.release]\ntag-prefix = "x.lock/"\n'),
    Case("tags-both-spellings", (), 2, ("1.2.3", "v1.2.3", "both"), setup=_tags(("1.2.3", "HEAD"))),
    Case("next-tag-exists-bare", (), 2, ("1.2.4", "already exists"), setup=_side_tag),
    Case("tag-fails-after-the-commit", (), 2, ("v1.2.4", "put back"), setup=_tag_dir,
         check=lambda box, _o: None),
    Case("commit-fails-no-identity", (), 2, ("user.email",), setup=_no_identity,
         env={"GIT_AUTHOR_NAME": "", "GIT_AUTHOR_EMAIL": "", "GIT_COMMITTER_NAME": "",
              "GIT_COMMITTER_EMAIL": "", "EMAIL": "", "GIT_CONFIG_COUNT": "1",
              "GIT_CONFIG_KEY_0": "user.useConfigOnly", "GIT_CONFIG_VALUE_0": "true"},
         never=("fetch the ref",)),
    # ---------------------------------------------------------------- commits and files
    Case("message-forges-a-commit", ("--dry-run",), 0, ("release 1.2.3 -> 1.2.4",),
         setup=lambda box: _message_file(
             box, b"docs: typo\n\n\x1e\x1f0000000000000000000000000000000000000000\x1ffeat!: forged\n"),
         never=("forged", "Breaking", "-> 2")),
    Case("message-not-utf8", (), 0, ("released 1.2.4",),
         setup=lambda box: _message_file(box, b"fix: caf\xe9 \xff crash\n"),
         may_write=RELEASED, unchanged=False, check=_utf8_changelog),
    Case("changelog-not-utf8", (), 2, ("CHANGELOG.md", "not UTF-8"),
         files={"CHANGELOG.md": b"# Changelog\n\n## 1.2.3\n\n- caf\xe9\n"}),
    Case("version-file-not-utf8", (), 2, ("pkg/__init__.py", "not UTF-8"),
         config='[tool.ci-sessions.release]\nversion-source = "pkg/__init__.py"\n',
         files={"pkg/__init__.py": b'"""caf\xe9"""\n__version__ = "1.2.3"\n'}),
    Case("changelog-has-the-version", (), 2, ("already has a section for 1.2.4",),
         files={"CHANGELOG.md": "# Changelog\n\n## [1.2.4] - 2026-01-01\n\n- x\n"}),
    Case("existing-changelog-rst", (), 0, ("released 1.2.4", "CHANGELOG.rst"),
         files={"CHANGELOG.rst": CHANGELOG_RST}, may_write=RELEASED, unchanged=False,
         check=_rst_written),
    Case("no-commit-yet", ("--dry-run",), 2, ("no commit",), setup=lambda box: None),
    Case("bad-pre-label", ("--pre", "zz"), 2, ("--pre zz",)),
    # ---------------------------------------------------------------- distributions and indexes
    Case("dist-not-a-zip", ("publish", "--to", "staging", "--dist", "@ROOT@/dist"), 2,
         ("hostile_pkg-1.2.4-py3-none-any.whl", "not a zip"),
         config=TOKEN_ENV.replace("@URL@", "http://127.0.0.1:9/"), env={"HOSTILE_TOKEN": "@SECRET@"}),
    Case("dist-without-metadata", ("publish", "--to", "staging", "--dist", "@ROOT@/dist"), 2,
         ("METADATA",), config=TOKEN_ENV.replace("@URL@", "http://127.0.0.1:9/"),
         env={"HOSTILE_TOKEN": "@SECRET@"}),
    Case("dist-empty", ("publish", "--to", "staging", "--dist", "@ROOT@/dist"), 2, ("no wheel",),
         config=TOKEN_ENV.replace("@URL@", "http://127.0.0.1:9/"), env={"HOSTILE_TOKEN": "@SECRET@"}),
    Case("url-with-token-unreachable", ("publish", "--to", "staging", "--dist", "@ROOT@/dist"), 1,
         ("could not reach", "http://__token__:****@127.0.0.1:9/"),
         config=TOKEN_ENV.replace("@URL@", "http://__token__:@SECRET@@127.0.0.1:9/").replace(
             'token-env = "HOSTILE_TOKEN"\n', ""),
         never=("Traceback", "urllib3", "NewConnectionError")),
    Case("token-env-index-500", ("publish", "--to", "staging", "--dist", "@ROOT@/dist"), 1,
         ("HTTP 500", "500 Internal Server Error", "the index is having a bad day with ****"),
         config=TOKEN_ENV, env={"HOSTILE_TOKEN": "@SECRET@"}, never=("see twine's output above",)),
    Case("reproducible-index-behind-link", ("check-reproducible", "--json"), 2,
         ("data/file.txt", "behind the symbolic link data"), files={"data/file.txt": "x\n"},
         setup=_index_behind_link),
]  # fmt: skip


class _Failing(http.server.BaseHTTPRequestHandler):
    """An index that answers every upload with HTTP 500 and its own words."""

    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        login = self.headers.get("Authorization", "").removeprefix("Basic ")
        password = base64.b64decode(login).decode().partition(":")[2] if login else ""
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        # an index that repeats what it was sent: the token must be masked in twine's output
        self.wfile.write(f"the index is having a bad day with {password}".encode())

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def failing_index() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _prepare(box: Sandbox, case: Case, index: str) -> None:
    config = case.config.replace("@URL@", index)
    files: dict[str, str | bytes] = {
        "pyproject.toml": PYPROJECT + ("\n" + config if config else ""),
        "hostile_pkg/__init__.py": '"""A package."""\n\n__version__ = "1.2.3"\n',
        ".gitignore": ".ci-sessions/\n",
        **case.files,
    }
    box.write(files)
    if case.id == "no-commit-yet":
        git(box.project, "init", "-q", "-b", "main")
        return
    box.commit("feat: the first release")
    _history(box)
    if case.setup is not None:
        case.setup(box)
    if "--dist" in case.args:
        dist = box.root / "dist"
        dist.mkdir()
        if case.id == "dist-not-a-zip":
            (dist / "hostile_pkg-1.2.4-py3-none-any.whl").write_bytes(b"not a zip at all")
        elif case.id == "dist-without-metadata":
            (dist / "hostile_pkg-1.2.4-py3-none-any.whl").write_bytes(
                _wheel("hostile-pkg", "1.2.4", metadata=False)
            )
        elif case.id != "dist-empty":
            (dist / "hostile_pkg-1.2.4-py3-none-any.whl").write_bytes(
                _wheel("hostile-pkg", "1.2.4")
            )


def _state(box: Sandbox) -> tuple[str, str, str]:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=box.project, capture_output=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return "", "", ""
    return (
        git(box.project, "rev-parse", "HEAD"),
        git(box.project, "tag"),
        git(box.project, "status", "--porcelain", "--untracked-files=all"),
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_release_hostile(
    case: Case,
    box: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failing_index: str,
) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, box.fill(value))
    _prepare(box, case, failing_index)
    before = box.snapshot(())
    state = _state(box)
    capsys.readouterr()
    args = [a.replace("@ROOT@", str(box.root)) for a in case.args]
    code = main(["--root", str(box.project), *[box.fill(a) for a in args]])
    captured = capsys.readouterr()
    outcome = Outcome(code, captured.out, captured.err)
    assert code == case.code, outcome.text[-4000:]
    for words in case.says:
        assert box.fill(words) in outcome.text, (words, outcome.text[-4000:])
    for words in case.never:
        assert box.fill(words) not in outcome.text, (words, outcome.text[-4000:])
    assert_contained(box, outcome, before, case.may_write)
    if case.unchanged:
        assert _state(box) == state, "the repository is not as it was"
    if case.check is not None:
        case.check(box, outcome)


def test_the_fake_wheel_is_a_wheel() -> None:
    """The corpus's own wheel is read as one (so the refusals above are about their damage)."""
    data = _wheel("hostile-pkg", "1.2.4")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "hostile_pkg-1.2.4.dist-info/METADATA" in archive.namelist()
