"""Publish -> health check -> promote -> rollback against a real pypiserver on loopback."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import git
from release_index import IndexServer

from ci_sessions.builds.dists import gather, sha256
from ci_sessions.builds.pyproject import load_pyproject
from ci_sessions.history.cli import main as history_main
from ci_sessions.release import records
from ci_sessions.release.cli import main
from ci_sessions.release.health import health_check
from ci_sessions.release.pipeline import build_once
from ci_sessions.release.publish import PublishError, upload
from ci_sessions.release.settings import (
    IndexSettings,
    PublishSettings,
    ReleaseSettings,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "ci-sessions-test-token-0b5e7d"  # noqa: S105 - the fixture index's password
SMOKE_OK = 'smoke = ["{python}", "-c", "import relfix; assert relfix.answer() == 42"]'
SMOKE_BROKEN = 'smoke = ["{python}", "-c", "import relfix; assert relfix.answer() == 41"]'


def config(staging: IndexServer, production: IndexServer, smoke: str, *, auth: str = "") -> str:
    """[tool.ci-sessions.publish] for two local indexes; ``auth`` ("staging"/"production")
    is the one that needs the token."""

    def index(stage: str, server: IndexServer) -> str:
        login = 'token-env = "RELFIX_TOKEN"\nusername = "ci"\n' if stage == auth else ""
        return (
            f"[tool.ci-sessions.publish.indexes.{stage}]\n"
            f'upload-url = "{server.url}"\nsimple-url = "{server.simple}"\n{login}'
        )

    return (
        f"\n[tool.ci-sessions.publish]\n{smoke}\nretries = 3\nretry-delay = 0.5\n\n"
        + index("staging", staging) + "\n" + index("production", production)
    )  # fmt: skip


def listed(server: IndexServer, name: str = "relfix") -> str:
    try:
        with urllib.request.urlopen(f"{server.simple}{name}/", timeout=10) as page:  # noqa: S310
            return page.read().decode()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"


def publish(root: Path, *args: str) -> int:
    return main(["--root", str(root), "publish", *args])


def test_staged_publish_health_checks_both_stages_and_records_them(
    index_server: Callable[..., IndexServer],
    released_project: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging = index_server("staging", user="ci", password=TOKEN)
    production = index_server("production")
    root = released_project(config(staging, production, SMOKE_OK, auth="staging"))
    monkeypatch.setenv("RELFIX_TOKEN", TOKEN)

    assert publish(root, "--to", "all") == 0
    out, err = capsys.readouterr()
    assert "[staging] healthy" in out and "[production] healthy" in out, out + err
    assert out.index("[staging] healthy") < out.index("[production] uploading")
    assert staging.files() == production.files() == ["relfix-0.1.1-py2.py3-none-any.whl", "relfix-0.1.1.tar.gz"]  # fmt: skip
    assert "relfix-0.1.1.tar.gz" in listed(production)

    log = records.read(root)
    steps = [(r.kind, r.stage, r.outcome) for r in log]
    assert steps == [
        ("release", "", "ok"),
        ("publish", "staging", "ok"), ("health", "staging", "ok"),
        ("publish", "production", "ok"), ("health", "production", "ok"),
    ]  # fmt: skip
    built = gather(root / ".ci-sessions" / "release-dist")
    assert log[1].hashes == {p.name: sha256(p) for p in built.files}
    assert all(r.version == "0.1.1" for r in log)
    # the token is never printed nor recorded
    assert TOKEN not in out + err
    for stored in (root / ".ci-sessions").glob("history.db*"):
        assert TOKEN.encode() not in stored.read_bytes()
    assert history_main(["--root", str(root), "releases", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(e["kind"], e["stage"]) for e in shown][:2] == [("health", "production"), ("publish", "production")]  # fmt: skip


def test_broken_smoke_in_production_rolls_back_the_index_and_the_repository(
    index_server: Callable[..., IndexServer],
    released_project: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging = index_server("staging")
    production = index_server("production", user="ci", password=TOKEN)
    root = released_project(config(staging, production, SMOKE_BROKEN, auth="production"))
    monkeypatch.setenv("RELFIX_TOKEN", TOKEN)
    release_commit = git(root, "rev-parse", "HEAD").strip()

    assert publish(root, "--to", "production") == 1
    out, err = capsys.readouterr()
    assert "[production] unhealthy: the smoke step failed" in out, out + err
    assert "assert relfix.answer() == 41" in out  # the failing command is shown
    assert "{python}" not in out and "/venv/bin/python -c" in out  # as it ran, not its template
    # the index no longer has the release (pypiserver remove_pkg with the token)
    assert production.files() == []
    assert "relfix-0.1.1" not in listed(production)
    # the repository is back before the release: no tag, the release commit taken back
    assert git(root, "tag", "--list", "v0.1.1").strip() == ""
    assert (
        git(root, "rev-parse", "HEAD").strip()
        == git(root, "rev-parse", f"{release_commit}~1").strip()
    )
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""
    rollback = records.read(root)[-1]
    assert (rollback.kind, rollback.stage, rollback.outcome) == ("rollback", "production", "ok")
    assert "removed relfix 0.1.1" in rollback.detail and "deleted the tag v0.1.1" in rollback.detail
    assert TOKEN not in out + err
    # after the rollback the same version can be released and published again
    assert main(["--root", str(root), "--dry-run"]) == 0
    assert "0.1.0 -> 0.1.1" in capsys.readouterr().out


def test_publishing_the_same_version_twice_is_a_clear_error(
    index_server: Callable[..., IndexServer],
    released_project: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging = index_server("staging")
    root = released_project(config(staging, staging, SMOKE_OK))
    assert publish(root, "--to", "staging") == 0
    capsys.readouterr()

    dist = str(root / ".ci-sessions" / "release-dist")
    assert publish(root, "--to", "staging", "--dist", dist) == 1
    err = capsys.readouterr().err
    assert "publish error: relfix 0.1.1 is already on the staging index" in err
    assert "Traceback" not in err
    assert records.read(root)[-1].outcome == "failed"

    # the index's own refusal (HTTP 400 from pypiserver to twine) reads the same: the simple
    # URL is wrong here, so the check before the upload cannot see the files
    blind = IndexSettings("staging", staging.url, staging.url + "nowhere/", "")
    with pytest.raises(PublishError) as caught:
        upload(root, blind, gather(root / ".ci-sessions" / "release-dist"), "")
    assert caught.value.message.startswith("relfix 0.1.1 is already on the staging index")
    assert "(HTTP 400)" in caught.value.message

    # what trusted publishing uploaded is health-checked without an upload (and no token)
    assert publish(root, "--to", "staging", "--dist", dist, "--skip-upload") == 0
    assert "[staging] healthy" in capsys.readouterr().out
    assert [(r.kind, r.outcome) for r in records.read(root)[-2:]] == [("publish", "skipped"), ("health", "ok")]  # fmt: skip


def test_health_check_retries_until_the_index_shows_the_release(
    index_server: Callable[..., IndexServer],
    released_project: Callable[[str], Path],
) -> None:
    server = index_server("staging")
    root = released_project(config(server, server, SMOKE_OK))
    kept = build_once(root, ReleaseSettings(), load_pyproject(root))  # not on the index yet
    dists = gather(kept)
    settings = PublishSettings(
        smoke=("{python}", "-c", "import relfix"), retries=30, retry_delay=0.3
    )
    index = IndexSettings("staging", server.url, server.simple, "")
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the index shows the files after the second try
        waits.append(seconds)
        if len(waits) == 2:
            for path in kept.iterdir():
                shutil.copy(path, server.packages / path.name)
        time.sleep(seconds)

    result = health_check(index, dists.name, dists.version, dists.top_level, settings, sleep=sleep)
    assert result.ok, result.output
    assert result.attempts == 3
    assert "No matching distribution found" in result.output
    # a release that never shows up fails the install step once the tries are used up
    broken = IndexSettings("staging", server.url, server.url + "missing/", "")
    failed = health_check(
        broken, dists.name, dists.version, (), PublishSettings(retries=2, retry_delay=0)
    )
    assert (failed.ok, failed.failed_step, failed.attempts) == (False, "install", 2)


def test_rollback_removes_a_release_whatever_the_name_holds(
    index_server: Callable[..., IndexServer],
) -> None:
    """pypiserver 2.4.2 finds a release only as its files spell the name (rel_pkg), not as the
    project does (rel-pkg, rel.pkg): every spelling is tried, every file goes."""
    from ci_sessions.release.indexes import remove

    server = index_server("production", user="ci", password=TOKEN)
    index = IndexSettings("production", server.url, server.simple, "T", username="ci", kind="auto")
    projects = {
        # project name: the files as backends of different ages spell them
        "rel-pkg": ["rel_pkg-1.0.0-py3-none-any.whl", "rel_pkg-1.0.0.tar.gz"],
        "rel.dotted": ["rel_dotted-1.0.0-py3-none-any.whl", "rel.dotted-1.0.0.tar.gz"],
        "rel_under": ["rel_under-1.0.0-py3-none-any.whl", "rel-under-1.0.0.tar.gz"],
        "Mixed.Case-name": [
            "mixed_case_name-1.0.0-py3-none-any.whl",
            "Mixed.Case-name-1.0.0.tar.gz",
        ],
    }
    for files in projects.values():
        for file in files:
            (server.packages / file).write_bytes(b"a distribution")
    keep = server.packages / "rel_pkg-0.9.0.tar.gz"  # another version stays
    keep.write_bytes(b"older")
    for name, files in projects.items():
        removal = remove(index, name, "1.0.0", TOKEN, files)
        assert removal.removed, (name, removal.detail)
        assert not any((server.packages / file).exists() for file in files), name
    assert server.files() == ["rel_pkg-0.9.0.tar.gz"]
    gone = remove(index, "rel-pkg", "1.0.0", TOKEN, projects["rel-pkg"])
    assert not gone.removed and "404" in gone.detail  # nothing left: said, not claimed
    assert TOKEN not in gone.detail
