"""``ci-sessions release publish``: the stages, each an upload then a health check.

``--to all`` with strategy ``staged`` runs staging then production, with ``direct`` production
only; ``--to staging`` / ``--to production`` run that one stage. A failed health check stops the
run and rolls back that stage's release (and the repository); every step is recorded.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ci_sessions._fs import state_dir
from ci_sessions.errors import UsageError
from ci_sessions.release import records
from ci_sessions.release.builder import build, commit_epoch, copy_tracked, scm_version
from ci_sessions.release.config import PublishSettings, ReleaseSettings
from ci_sessions.release.dists import Distributions, gather
from ci_sessions.release.health import health_check
from ci_sessions.release.masking import mask
from ci_sessions.release.publish import PublishError, token_for, upload
from ci_sessions.release.rollback import roll_back
from ci_sessions.release.sources import detect

TARGETS = ("staging", "production", "all")


@dataclass(frozen=True)
class Request:
    to: str
    #: distributions to publish; empty: build them once from the tracked files
    dist: str = ""


def stages_for(to: str, strategy: str) -> list[str]:
    if to not in TARGETS:
        raise UsageError(f"--to {to}: not a stage", fix="use --to staging, production or all")
    if to == "all":
        return ["staging", "production"] if strategy == "staged" else ["production"]
    return [to]


def build_once(root: Path, release: ReleaseSettings, pyproject: Mapping[str, object]) -> Path:
    """Build the release's sdist and wheel from a clean copy into .ci-sessions/release-dist/."""
    outdir = state_dir(root) / "release-dist"
    shutil.rmtree(outdir, ignore_errors=True)
    scm = ""
    if detect(root, pyproject, release.version_source).kind == "tag":
        scm = scm_version(root, release.tag_prefix)
    with tempfile.TemporaryDirectory(prefix="ci-sessions-release-build-") as scratch:
        tree = Path(scratch) / "src"
        epoch = commit_epoch(root)
        copy_tracked(root, tree, mtime=float(epoch))
        build(tree, outdir, epoch=epoch, builder=release.builder, scm=scm)
    return outdir


def publish(
    root: Path,
    pyproject: Mapping[str, object],
    release: ReleaseSettings,
    settings: PublishSettings,
    request: Request,
    out: TextIO,
) -> int:
    stages = stages_for(request.to, settings.strategy)
    tokens = {stage: token_for(settings.indexes[stage]) for stage in stages}
    directory = Path(request.dist) if request.dist else None
    if directory is None and settings.dist_dir:
        directory = root / settings.dist_dir
    if directory is None:
        print("building the distributions once (sdist + wheel) ...", file=out)
        directory = build_once(root, release, pyproject)
    dists = gather(directory)
    imports = settings.import_names or dists.top_level
    print(f"publishing {dists.name} {dists.version}: {', '.join(dists.hashes)}", file=out)
    for stage in stages:
        index = settings.indexes[stage]
        token = tokens[stage]
        if not _stage(root, index.stage, dists, imports, release, settings, token, out):
            return 1
    print(f"published {dists.name} {dists.version} to {' -> '.join(stages)}", file=out)
    return 0


def _record(root: Path, kind: str, dists: Distributions, stage: str, url: str, outcome: str, detail: str) -> None:  # fmt: skip
    records.append(
        root,
        records.ReleaseRecord(
            kind, dists.version, outcome, index=stage, url=url, hashes=dists.hashes, detail=detail
        ),
    )


def _stage(
    root: Path,
    stage: str,
    dists: Distributions,
    imports: tuple[str, ...],
    release: ReleaseSettings,
    settings: PublishSettings,
    token: str,
    out: TextIO,
) -> bool:
    index = settings.indexes[stage]
    print(f"[{stage}] uploading to {index.upload_url} ...", file=out)
    try:
        upload(root, index, dists, token)
    except PublishError as exc:
        _record(
            root, "publish", dists, stage, index.upload_url, "failed", mask(exc.message, [token])
        )
        raise
    _record(root, "publish", dists, stage, index.upload_url, "ok", f"{len(dists.files)} file(s)")
    print(f"[{stage}] uploaded; health check from {index.simple_url} ...", file=out)
    health = health_check(index, dists.name, dists.version, imports, settings, secrets=[token])
    _record(
        root, "health", dists, stage, index.simple_url, "ok" if health.ok else "failed",
        health.summary() if health.ok else f"{health.summary()}\n{health.output}",
    )  # fmt: skip
    print(f"[{stage}] {health.summary()}", file=out)
    if health.ok:
        return True
    print(health.output, file=out)
    tag = f"{release.tag_prefix}{dists.version}"
    subject = release.commit_message.replace("{version}", dists.version)
    undone = roll_back(
        root, index, dists.name, dists.version, token=token, tag=tag, release_subject=subject
    )
    rendered = mask(undone.render(), [token])
    _record(
        root, "rollback", dists, stage, index.upload_url,
        "ok" if undone.removal.removed else "failed", rendered,
    )  # fmt: skip
    print(rendered, file=out)
    return False
