"""Version rules on 0.x and 1.x, pre-releases (PEP 440), --bump, and the plan from git history."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from packaging.version import Version
from release_repo import Repo

from ci_sessions.builds.sources import VersionSource
from ci_sessions.errors import UsageError
from ci_sessions.release.commits import parse_message
from ci_sessions.release.plan import Plan, make_plan
from ci_sessions.release.version import Level, Rules, next_version

RULES = Rules()


def level(*messages: str, current: str = "1.2.3", rules: Rules = RULES) -> Level:
    commits = [parse_message(str(i), m) for i, m in enumerate(messages)]
    return rules.on_version(rules.level(commits), Version(current))


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (["fix: a"], Level.PATCH),
        (["perf: a"], Level.PATCH),
        (["feat: a", "fix: b"], Level.MINOR),
        (["feat!: a", "fix: b"], Level.MAJOR),
        (["docs: a\n\nBREAKING CHANGE: docs moved"], Level.MAJOR),
        (["docs: a", "chore: b", "refactor: c", "ci: d", "test: e", "style: f"], Level.NONE),
        (["Merge branch 'x'", "update readme"], Level.NONE),
    ],
)
def test_levels_on_1x(messages: list[str], expected: Level) -> None:
    assert level(*messages) is expected


def test_zero_x_breaking_is_minor_feature_is_minor_fix_is_patch() -> None:
    assert level("feat!: a", current="0.4.1") is Level.MINOR
    assert level("feat: a", current="0.4.1") is Level.MINOR
    assert level("fix: a", current="0.4.1") is Level.PATCH
    assert next_version(Version("0.4.1"), level("feat!: a", current="0.4.1")) == Version("0.5.0")


def test_zero_x_with_major_on_zero_goes_to_1_0_0() -> None:
    rules = Rules(major_on_zero=True)
    assert level("feat!: a", current="0.4.1", rules=rules) is Level.MAJOR
    assert next_version(Version("0.4.1"), Level.MAJOR) == Version("1.0.0")


@pytest.mark.parametrize(
    ("current", "bump", "expected"),
    [
        ("1.2.3", Level.PATCH, "1.2.4"),
        ("1.2.3", Level.MINOR, "1.3.0"),
        ("1.2.3", Level.MAJOR, "2.0.0"),
        ("1.2", Level.PATCH, "1.2.1"),
        ("0.0.0", Level.MINOR, "0.1.0"),
    ],
)
def test_next_final_version(current: str, bump: Level, expected: str) -> None:
    assert str(next_version(Version(current), bump)) == expected


def test_pre_releases_count_on_within_a_cycle() -> None:
    full = Version("1.2.0")
    rc1 = next_version(full, Level.MINOR, pre="rc", last_full=full)
    assert str(rc1) == "1.3.0rc1"
    assert str(next_version(rc1, Level.PATCH, pre="rc", last_full=full)) == "1.3.0rc2"
    assert str(next_version(rc1, Level.MINOR, pre="rc", last_full=full)) == "1.3.0rc2"
    # a larger change starts a new cycle from the last final release
    assert str(next_version(rc1, Level.MAJOR, pre="rc", last_full=full)) == "2.0.0rc1"
    # a later label restarts the count; alpha spelled out is PEP 440's "a"
    assert (
        str(next_version(Version("1.3.0a2"), Level.PATCH, pre="rc", last_full=full)) == "1.3.0rc1"
    )
    assert str(next_version(full, Level.PATCH, pre="alpha", last_full=full)) == "1.2.1a1"


def test_pre_release_cannot_go_back_a_stage() -> None:
    with pytest.raises(UsageError, match="past the 'a' stage"):
        next_version(Version("1.3.0rc1"), Level.PATCH, pre="a", last_full=Version("1.2.0"))


def test_final_release_after_pre_releases() -> None:
    full = Version("1.2.0")
    assert str(next_version(Version("1.3.0rc2"), Level.MINOR, last_full=full)) == "1.3.0"
    assert str(next_version(Version("1.3.0rc2"), Level.MAJOR, last_full=full)) == "2.0.0"


def test_unknown_labels_and_levels_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--pre dev"):
        next_version(Version("1.0.0"), Level.PATCH, pre="dev")
    with pytest.raises(UsageError, match="--bump huge"):
        Level.named("huge")


SOURCE = VersionSource("pyproject", "pyproject.toml", Version("1.2.0"), "test")


def plan(repo: Repo, **kwargs: str) -> Plan:
    return make_plan(repo.root, SOURCE, prefix="v", rules=RULES, **kwargs)


def test_plan_from_tags_and_commits(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.tag("v1.2.0")
    repo.commit("fix: a")
    repo.commit("feat(x): b")
    result = plan(repo)
    assert (str(result.version), result.tag, result.base_tag) == ("1.3.0", "v1.3.0", "v1.2.0")
    assert str(plan(repo, bump="major").version) == "2.0.0"
    assert str(plan(repo, pre="rc").version) == "1.3.0rc1"


def test_plan_rc_cycle(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.tag("v1.2.0")
    repo.commit("feat: a")
    repo.tag("v1.3.0rc1")
    assert plan(repo, pre="rc").version is None  # nothing since rc1
    repo.commit("fix: b")
    assert str(plan(repo, pre="rc").version) == "1.3.0rc2"
    # the final release counts every commit since the last final release
    assert str(plan(repo).version) == "1.3.0"


def test_plan_nothing_releasable(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    repo.tag("1.2.0")  # a bare tag counts with the v prefix
    repo.commit("docs: a")
    repo.commit("chore: b")
    result = plan(repo)
    assert result.version is None
    assert "no feat, fix, perf or breaking commit since 1.2.0" in result.reason
    assert "2 commit(s)" in result.summary()


def test_plan_without_tags_starts_from_the_declared_version(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo("0.3.0")
    repo.commit("feat!: a")
    source = VersionSource("pyproject", "pyproject.toml", Version("0.3.0"), "test")
    result = make_plan(repo.root, source, prefix="v", rules=RULES)
    assert str(result.version) == "0.4.0"  # 0.x: breaking is minor
    assert result.base_tag is None


def test_plan_ignores_tags_of_another_prefix_and_refuses_an_existing_tag(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo()
    repo.tag("other-v9.0.0")
    repo.tag("v1.2.0")
    repo.commit("fix: a")
    assert str(plan(repo).version) == "1.2.1"
    repo.git("tag", "v1.2.1", "HEAD~1")
    # now v1.2.1 is reachable: it is the base
    assert plan(repo).version is not None
    repo.git("checkout", "-q", "-b", "side", "HEAD~1")
    repo.git("tag", "-d", "v1.2.1")
    repo.git("tag", "v1.2.1", "main")
    repo.commit("fix: b")
    with pytest.raises(UsageError, match=r"v1\.2\.1 already exists"):
        plan(repo)
