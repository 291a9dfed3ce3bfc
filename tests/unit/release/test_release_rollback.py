"""Taking a release back in the repository: only while it is local; otherwise the steps."""

from __future__ import annotations

from collections.abc import Callable

from release_repo import Repo

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
