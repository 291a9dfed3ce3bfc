"""``ci-sessions release publish``: the stages, each an upload then a health check.

``--to all`` with strategy ``staged`` runs staging then production, with ``direct`` production
only; ``--to staging`` / ``--to production`` run that one stage. A failed health check stops the
run and rolls back that stage's release (and the repository); every step is recorded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ci_sessions._fs import remove_tree, state_dir
from ci_sessions._secrets import split_credentials
from ci_sessions.builds.builder import build, commit_epoch, copy_tracked, scm_version
from ci_sessions.builds.dists import Distributions, gather
from ci_sessions.builds.sources import detect
from ci_sessions.errors import UsageError
from ci_sessions.release import records
from ci_sessions.release.health import health_check
from ci_sessions.release.publish import PublishError, token_for, upload
from ci_sessions.release.rollback import roll_back
from ci_sessions.release.settings import IndexSettings, PublishSettings, ReleaseSettings

TARGETS = ("staging", "production", "all")


@dataclass(frozen=True)
class Request:
    to: str
    #: distributions to publish; empty: build them once from the tracked files
    dist: str = ""
    #: the files are on the index already (trusted publishing uploaded them): health-check only
    skip_upload: bool = False


def stages_for(to: str, strategy: str) -> list[str]:
    if to not in TARGETS:
        raise UsageError(f"--to {to}: not a stage", fix="use --to staging, production or all")
    if to == "all":
        return ["staging", "production"] if strategy == "staged" else ["production"]
    return [to]


def build_once(root: Path, release: ReleaseSettings, pyproject: Mapping[str, object]) -> Path:
    """Build the release's sdist and wheel from a clean copy into .ci-sessions/release-dist/."""
    state = state_dir(root)
    outdir = state / "release-dist"
    remove_tree(outdir, within=state)
    scm = ""
    if detect(root, pyproject, release.version_source).kind == "tag":
        scm = scm_version(root, release.tag_prefix)
    with tempfile.TemporaryDirectory(prefix="ci-sessions-release-build-") as scratch:
        tree = Path(scratch) / "src"
        epoch = commit_epoch(root)
        copy_tracked(root, tree, mtime=float(epoch))
        build(tree, outdir, epoch=epoch, builder=release.builder, scm=scm)
    return outdir


@dataclass(frozen=True)
class _Run:
    """What every stage of one publish run shares."""

    root: Path
    dists: Distributions
    imports: tuple[str, ...]
    release: ReleaseSettings
    settings: PublishSettings
    request: Request
    out: TextIO

    def record(self, kind: str, stage: str, url: str, outcome: str, detail: str) -> None:
        records.record(
            self.root, kind, self.dists.version, outcome, stage=stage, url=url,
            hashes=self.dists.hashes, detail=detail,
        )  # fmt: skip

    def say(self, text: str) -> None:
        print(text, file=self.out)


def publish(
    root: Path,
    pyproject: Mapping[str, object],
    release: ReleaseSettings,
    settings: PublishSettings,
    request: Request,
    out: TextIO,
) -> int:
    stages = stages_for(request.to, settings.strategy)
    tokens = {
        stage: _token(settings.indexes[stage], required=not request.skip_upload) for stage in stages
    }
    directory = Path(request.dist) if request.dist else None
    if directory is None and settings.dist_dir:
        directory = root / settings.dist_dir
    if directory is None:
        print("building the distributions once (sdist + wheel) ...", file=out)
        directory = build_once(root, release, pyproject)
    dists = gather(directory)
    imports = settings.import_names or dists.top_level
    run = _Run(root, dists, imports, release, settings, request, out)
    run.say(f"publishing {dists.name} {dists.version}: {', '.join(dists.hashes)}")
    for stage in stages:
        if not _stage(run, stage, tokens[stage]):
            return 1
    run.say(f"published {dists.name} {dists.version} to {' -> '.join(stages)}")
    return 0


def _token(index: IndexSettings, *, required: bool) -> str:
    """The stage's token; without an upload (trusted publishing) a missing one is no error."""
    if required:
        return token_for(index)
    return os.environ.get(index.token_env, "") if index.token_env else ""


def _upload(run: _Run, index: IndexSettings, token: str) -> None:
    stage = index.stage
    if run.request.skip_upload:
        run.say(f"[{stage}] already on the index (--skip-upload): health check only")
        run.record("publish", stage, index.upload, "skipped", "uploaded by another step")
        return
    run.say(f"[{stage}] uploading to {index.upload} ...")
    try:
        upload(run.root, index, run.dists, token)
    except PublishError as exc:
        run.record("publish", stage, index.upload, "failed", exc.message)
        raise
    run.record("publish", stage, index.upload, "ok", f"{len(run.dists.files)} file(s)")


def _stage(run: _Run, stage: str, token: str) -> bool:
    """Upload, health-check; on a failed check roll back. True when the stage is healthy."""
    index = run.settings.indexes[stage]
    dists = run.dists
    _upload(run, index, token)
    simple = split_credentials(index.simple_url)[0]
    run.say(f"[{stage}] health check from {simple} ...")
    health = health_check(
        index, dists.name, dists.version, run.imports, run.settings, secrets=[token]
    )
    detail = health.summary() if health.ok else f"{health.summary()}\n{health.output}"
    run.record("health", stage, simple, "ok" if health.ok else "failed", detail)
    run.say(f"[{stage}] {health.summary()}")
    if health.ok:
        return True
    run.say(health.output)
    undone = roll_back(
        run.root, index, dists.name, dists.version, token=token,
        tag=f"{run.release.tag_prefix}{dists.version}",
        release_subject=run.release.commit_message.replace("{version}", dists.version),
        pushed=run.request.skip_upload, files=[path.name for path in dists.files],
    )  # fmt: skip
    rendered = undone.render()
    run.record("rollback", stage, index.upload, "ok" if undone.removal.removed else "failed", rendered)  # fmt: skip
    run.say(rendered)
    return False
