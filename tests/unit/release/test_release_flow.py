"""The release command on a git fixture: dry run, the real release, refusals, nothing to do."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pytest
from release_repo import Repo

from ci_sessions.builds.pyproject import load_pyproject
from ci_sessions.config import load_config
from ci_sessions.errors import UsageError
from ci_sessions.history.cli import main as history_main
from ci_sessions.release import records
from ci_sessions.release.cli import main
from ci_sessions.release.flow import Options, release
from ci_sessions.release.settings import release_settings

DAY = dt.date(2026, 12, 1)


def run_release(repo: Repo, **options: object) -> tuple[int, str]:
    out = io.StringIO()
    pyproject = load_pyproject(repo.root)
    settings = release_settings(load_config(repo.root))
    code = release(repo.root, pyproject, settings, Options(date=DAY, **options), out)  # type: ignore[arg-type]
    return code, out.getvalue()


def snapshot(repo: Repo) -> tuple[str, str, str]:
    return (
        repo.git("rev-parse", "HEAD"),
        repo.git("tag"),
        repo.git("status", "--porcelain", "--untracked-files=all"),
    )


@pytest.fixture
def repo(make_repo: Callable[..., Repo]) -> Repo:
    repo = make_repo("1.2.0")
    repo.tag("v1.2.0")
    repo.commit("fix: crash")
    repo.commit("feat(cli): add --json")
    return repo


def test_dry_run_prints_version_section_and_diff_and_changes_nothing(repo: Repo) -> None:
    before = snapshot(repo)
    code, out = run_release(repo, dry_run=True)
    assert code == 0
    assert "release 1.2.0 -> 1.3.0 (minor from the commits)" in out
    assert "## [1.3.0] - 2026-12-01" in out
    assert "- **cli:** add --json" in out
    assert '-version = "1.2.0"  # keep this comment' in out
    assert '+version = "1.3.0"  # keep this comment' in out
    assert "+++ b/CHANGELOG.md" in out
    assert "dry run: nothing was changed" in out
    assert snapshot(repo) == before
    assert not (repo.root / "CHANGELOG.md").exists()


def test_release_commits_the_edits_and_tags_without_pushing(repo: Repo) -> None:
    code, out = run_release(repo)
    assert code == 0, out
    assert repo.git("log", "-1", "--format=%s").strip() == "chore(release): 1.3.0"
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == ["CHANGELOG.md", "pyproject.toml"]  # fmt: skip
    assert repo.git("cat-file", "-t", "v1.3.0").strip() == "tag"  # annotated
    assert repo.git("rev-parse", "v1.3.0^{commit}") == repo.git("rev-parse", "HEAD")
    assert 'version = "1.3.0"  # keep this comment' in (repo.root / "pyproject.toml").read_text()
    assert "## [1.3.0] - 2026-12-01" in (repo.root / "CHANGELOG.md").read_text()
    assert "Release 1.3.0" in repo.git("tag", "-l", "--format=%(contents)", "v1.3.0")
    assert repo.git("status", "--porcelain", "--untracked-files=no") == ""
    assert [r.kind for r in records.read(repo.root)] == ["release"]
    # the next run has nothing to release: the release commit itself is not releasable
    code, out = run_release(repo)
    assert (code, out.strip()) == (0, "nothing to release: no commit since v1.3.0")


def test_dirty_tree_is_refused_with_a_clear_error(repo: Repo) -> None:
    (repo.root / "pyproject.toml").write_text("# edited\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"uncommitted changes \(pyproject.toml\)"):
        run_release(repo)


def test_untracked_files_do_not_count_as_dirty(repo: Repo) -> None:
    (repo.root / "notes.txt").write_text("scratch")
    assert run_release(repo)[0] == 0
    assert "notes.txt" not in repo.git("show", "--name-only", "--format=", "HEAD")


def test_no_releasable_commits_exits_0_with_the_reason(make_repo: Callable[..., Repo], capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    repo = make_repo("1.2.0")
    repo.tag("v1.2.0")
    repo.commit("docs: readme")
    assert main(["--root", str(repo.root)]) == 0
    out = capsys.readouterr().out
    assert "nothing to release: no feat, fix, perf or breaking commit since v1.2.0" in out
    assert "1 docs" in out


def test_tag_only_project_gets_a_changelog_commit_and_a_tag(make_repo: Callable[..., Repo]) -> None:
    pyproject = (
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "demo"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n'
        '[tool.ci-sessions.release]\ntag-prefix = "release-"\n'
    )
    repo = make_repo(pyproject=pyproject)
    repo.commit("feat: first")
    code, out = run_release(repo)
    assert code == 0, out
    assert "hatch-vcs" in out
    assert repo.git("tag").split() == ["release-0.1.0"]
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == ["CHANGELOG.md"]


def test_tag_only_without_changelog_tags_head(make_repo: Callable[..., Repo]) -> None:
    pyproject = (
        '[project]\nname = "demo"\ndynamic = ["version"]\n'
        '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\nbuild-backend = "setuptools.build_meta"\n'
        "[tool.ci-sessions.release]\nchangelog = false\n"
    )
    repo = make_repo(pyproject=pyproject)
    head = repo.commit("fix: x")
    assert run_release(repo, bump="minor")[0] == 0
    assert repo.git("rev-parse", "HEAD").strip() == head
    assert repo.git("rev-parse", "v0.1.0^{commit}").strip() == head


def test_cli_bump_and_pre(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo.root), "--dry-run", "--bump", "major", "--pre", "rc"]) == 0
    assert "release 1.2.0 -> 2.0.0rc1 (--bump major)" in capsys.readouterr().out


def test_cli_usage_errors_exit_2(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo.root), "--dry-run", "--pre", "dev"]) == 2
    assert "--pre dev: not a pre-release label" in capsys.readouterr().err
    (repo.root / "pyproject.toml").write_text('[tool.ci-sessions.release]\ntag-prefx = "v"\n')
    assert main(["--root", str(repo.root), "--dry-run"]) == 2
    assert "did you mean `release.tag-prefix`" in capsys.readouterr().err


def test_history_releases_lists_the_release_and_root_may_follow_the_subcommand(
    repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_PYPI_TOKEN", raising=False)
    assert main(["publish", "--to", "staging", "--root", str(repo.root)]) == 2
    assert "needs a token in $TEST_PYPI_TOKEN" in capsys.readouterr().err
    run_release(repo)
    capsys.readouterr()
    assert history_main(["--root", str(repo.root), "releases"]) == 0
    out = capsys.readouterr().out
    assert "release  1.3.0" in out and "tag v1.3.0 on" in out
    event = records.read(repo.root)[-1]
    assert event.commit == repo.git("rev-parse", "HEAD").strip()
