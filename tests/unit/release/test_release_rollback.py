"""Taking a release back in the repository: only while it is local; otherwise the steps."""

from __future__ import annotations

import base64
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from release_repo import Repo

from ci_sessions.errors import CiSessionsError
from ci_sessions.history.store import db_path
from ci_sessions.release import records
from ci_sessions.release.indexes import yank_steps
from ci_sessions.release.rollback import restore_repository, roll_back
from ci_sessions.release.settings import IndexSettings

SUBJECT = "chore(release): 1.3.0"
OTHER = IndexSettings("production", "https://upload.example/legacy/", "https://simple.example/", "", kind="other")  # fmt: skip
PYPI = IndexSettings("production", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/", "PYPI_TOKEN")  # fmt: skip


def released(make_repo: Callable[..., Repo], *, recorded: bool = True) -> tuple[Repo, str]:
    repo = make_repo()
    before = repo.commit("feat: x")
    repo.commit(SUBJECT)
    repo.tag("v1.3.0")
    if recorded:  # as `ci-sessions release` records the commit it made
        records.record(repo.root, "release", "1.3.0", "ok", detail="tag v1.3.0")
    return repo, before


def test_a_commit_release_did_not_make_is_never_reset(make_repo: Callable[..., Repo]) -> None:
    """Same subject, tagged, HEAD, local: but the history has no release that made it."""
    repo, _ = released(make_repo, recorded=False)
    head = repo.git("rev-parse", "HEAD").strip()
    done, steps = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done == []
    assert repo.git("rev-parse", "HEAD").strip() == head and repo.git("tag").strip() == "v1.3.0"
    assert "does not record as made by `ci-sessions release`" in steps[0]


def test_local_release_is_taken_back(make_repo: Callable[..., Repo]) -> None:
    repo, before = released(make_repo)
    done, steps = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done[0] == "deleted the tag v1.3.0" and "took back the release commit" in done[1]
    assert repo.git("rev-parse", "HEAD").strip() == before
    assert repo.git("tag").strip() == ""
    assert repo.git("status", "--porcelain") == ""  # the commit's changes left the tree too
    assert steps == ["if you pushed the tag by itself: git push --delete origin v1.3.0"]


def test_a_pushed_release_is_left_alone_with_the_commands(make_repo: Callable[..., Repo]) -> None:
    repo, _ = released(make_repo)
    head = repo.git("rev-parse", "HEAD").strip()
    repo.git("update-ref", "refs/remotes/origin/main", head)  # as after git push
    done, steps = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done == []
    assert any(step.strip() == f"git revert {head[:7]} && git push" for step in steps)
    assert repo.git("rev-parse", "HEAD").strip() == head and repo.git("tag").strip() == "v1.3.0"


def test_a_release_commit_that_is_not_head_only_loses_its_tag(make_repo: Callable[..., Repo]) -> None:  # fmt: skip
    repo, _ = released(make_repo)
    later = repo.commit("docs: after the release")
    done, steps = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done == ["deleted the tag v1.3.0"]
    assert repo.git("rev-parse", "HEAD").strip() == later
    assert "is not HEAD any more" in steps[0]


def test_after_trusted_publishing_the_repository_is_never_rewritten(make_repo: Callable[..., Repo]) -> None:  # fmt: skip
    repo, _ = released(make_repo)
    head = repo.git("rev-parse", "HEAD").strip()
    undone = roll_back(repo.root, OTHER, "demo", "1.3.0", token="", tag="v1.3.0", release_subject=SUBJECT, pushed=True)  # fmt: skip
    assert not undone.removal.removed and undone.repository == []
    assert repo.git("rev-parse", "HEAD").strip() == head and repo.git("tag").strip() == "v1.3.0"
    text = undone.render()
    assert "git push --delete origin v1.3.0" in text
    assert "remove or yank demo 1.3.0" in text


def test_pypi_yank_steps_name_the_release_page() -> None:
    steps = "\n".join(yank_steps(PYPI, "demo", "1.3.0"))
    assert "https://pypi.org/manage/project/demo/release/1.3.0/" in steps
    assert "Yank" in steps and "a new upload of 1.3.0 is refused" in steps


def test_a_local_release_is_rolled_back_and_the_report_lists_each_part(
    make_repo: Callable[..., Repo],
) -> None:
    repo, before = released(make_repo)
    undone = roll_back(repo.root, OTHER, "demo", "1.3.0", token="", tag="v1.3.0", release_subject=SUBJECT)  # fmt: skip
    assert repo.git("rev-parse", "HEAD").strip() == before and repo.git("tag").strip() == ""
    assert len(undone.repository) == 2
    lines = undone.render().split("\n")
    assert lines[0] == f"rollback: {undone.removal.detail}"
    assert lines[1:3] == [f"rollback: {done}" for done in undone.repository]
    assert lines[3:] == [*undone.removal.steps, *undone.steps]
    assert undone.removal.steps and undone.steps  # the yank steps, then the repository's


def _untouched(repo: Repo, head: str) -> bool:
    return repo.git("rev-parse", "HEAD").strip() == head and repo.git("tag").strip() == "v1.3.0"


def test_an_unreadable_history_rewrites_nothing(make_repo: Callable[..., Repo]) -> None:
    """A history this ci-sessions cannot read cannot vouch for the commit: left alone."""
    repo, _ = released(make_repo)
    head = repo.git("rev-parse", "HEAD").strip()
    db = sqlite3.connect(db_path(repo.root))
    db.execute("PRAGMA user_version = 99")  # a newer schema: records.read refuses it
    db.close()
    done, steps = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done == [] and _untouched(repo, head)
    assert steps[1] == "  git tag -d v1.3.0"


@pytest.mark.parametrize(("kind", "outcome"), [("release", "failed"), ("upload", "ok")])
def test_only_a_successful_release_event_vouches_for_the_commit(
    make_repo: Callable[..., Repo], kind: str, outcome: str
) -> None:
    """A failed release, or another kind of event, recorded on the same commit is not one."""
    repo, _ = released(make_repo, recorded=False)
    records.record(repo.root, kind, "1.3.0", outcome)
    head = repo.git("rev-parse", "HEAD").strip()
    done, _ = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done == [] and _untouched(repo, head)


def test_a_missing_tag_leaves_nothing_to_do(make_repo: Callable[..., Repo]) -> None:
    repo, _ = released(make_repo)
    head = repo.git("rev-parse", "HEAD").strip()
    done, steps = restore_repository(repo.root, "v9.9.9", SUBJECT)
    assert done == [] and _untouched(repo, head)
    assert len(steps) == 1 and "git" not in steps[0]  # no command to run by hand


def test_a_release_commit_without_a_parent_keeps_its_commit(make_repo: Callable[..., Repo]) -> None:
    """The root commit has no HEAD~1 to go back to: only the tag goes."""
    repo = make_repo()
    repo.git("commit", "-q", "--amend", "-m", SUBJECT)
    repo.tag("v1.3.0")
    records.record(repo.root, "release", "1.3.0", "ok")
    head = repo.git("rev-parse", "HEAD").strip()
    done, _ = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done == ["deleted the tag v1.3.0"]
    assert repo.git("rev-parse", "HEAD").strip() == head and repo.git("tag").strip() == ""


def test_uncommitted_changes_stop_the_reset_and_are_kept(make_repo: Callable[..., Repo]) -> None:
    """``git reset --keep`` refuses to lose an edit of a file the release commit changed."""
    repo, _ = released(make_repo)
    head = repo.git("rev-parse", "HEAD").strip()
    edited = repo.write("changes/2.txt", "an edit not committed\n")
    with pytest.raises(CiSessionsError) as caught:
        restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert repo.git("rev-parse", "HEAD").strip() == head
    assert edited.read_text() == "an edit not committed\n"
    assert "take back the release commit" in caught.value.message
    assert "git reset --keep HEAD~1" in caught.value.fix


def test_a_tag_git_cannot_delete_stops_before_the_commit(make_repo: Callable[..., Repo]) -> None:
    """A lock left by a crashed git: the error names the tag and the command; HEAD stays."""
    repo, _ = released(make_repo)
    head = repo.git("rev-parse", "HEAD").strip()
    (repo.root / ".git" / "refs" / "tags" / "v1.3.0.lock").write_text("")
    with pytest.raises(CiSessionsError) as caught:
        restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert _untouched(repo, head)
    assert "delete the tag v1.3.0" in caught.value.message
    assert "git tag -d v1.3.0" in caught.value.fix


def test_a_pushed_head_does_not_make_the_tagged_commit_pushed(
    make_repo: Callable[..., Repo],
) -> None:
    """The remote check asks about the tagged commit, not HEAD."""
    repo, before = released(make_repo)
    repo.git("checkout", "-q", "-b", "other", before)
    other = repo.commit("feat: elsewhere")
    repo.git("update-ref", "refs/remotes/origin/other", other)
    done, steps = restore_repository(repo.root, "v1.3.0", SUBJECT)
    assert done == ["deleted the tag v1.3.0"]
    assert "is not HEAD any more" in steps[0]


@pytest.fixture
def pypiserver_stub() -> Iterator[tuple[str, list[tuple[str, dict[str, list[str]]]]]]:
    """An index that answers removals with 200 and records (Authorization, form) of each."""
    seen: list[tuple[str, dict[str, list[str]]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            seen.append((self.headers.get("Authorization", ""), urllib.parse.parse_qs(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_index_removal_gets_the_token_and_the_file_spellings(
    make_repo: Callable[..., Repo],
    pypiserver_stub: tuple[str, list[tuple[str, dict[str, list[str]]]]],
) -> None:
    url, seen = pypiserver_stub
    index = IndexSettings("production", url, url, "TOKEN", kind="pypiserver")
    repo, _ = released(make_repo)
    undone = roll_back(  # a made-up token for the stub index
        repo.root, index, "rel-pkg", "1.3.0", token="s3cret", tag="v1.3.0",  # noqa: S106
        release_subject=SUBJECT, files=["rel_pkg-1.3.0.tar.gz"],
    )  # fmt: skip
    assert undone.removal.removed
    login = "Basic " + base64.b64encode(b"__token__:s3cret").decode()
    assert {auth for auth, _ in seen} == {login}
    assert seen[0][1]["name"] == ["rel_pkg"]  # first as the file spells it
