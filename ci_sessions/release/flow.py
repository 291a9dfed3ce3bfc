"""``ci-sessions release``: plan -> write the version -> changelog -> commit -> annotated tag.

Never pushes. Refuses a working tree with uncommitted changes to tracked files (the release
commit must hold exactly the release edits). ``--dry-run`` prints the version, the changelog
section and the diff, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from packaging.version import Version

from ci_sessions._git import git
from ci_sessions.errors import UsageError
from ci_sessions.release import changelog, records, towncrier
from ci_sessions.release.config import ReleaseSettings, table
from ci_sessions.release.edits import FileEdit, read_bytes
from ci_sessions.release.plan import Plan, make_plan
from ci_sessions.release.sources import VersionSource, detect
from ci_sessions.release.version import Rules


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    bump: str | None = None
    pre: str | None = None
    #: the changelog date (default: today, or SOURCE_DATE_EPOCH's day when set)
    date: dt.date | None = None


def release_date() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


def dirty_files(root: Path) -> list[str]:
    """Tracked files with uncommitted changes (staged or not); untracked files do not count."""
    out = git(root, "status", "--porcelain", "--untracked-files=no", what="git status")
    return [line[3:] for line in out.splitlines() if line.strip()]


def project_name(pyproject: Mapping[str, object], root: Path) -> str:
    name = table(pyproject, "project").get("name") or table(pyproject, "tool", "poetry").get("name")
    return str(name) if name else root.resolve().name


def release(
    root: Path,
    pyproject: Mapping[str, object],
    settings: ReleaseSettings,
    options: Options,
    out: TextIO,
) -> int:
    dirty = [] if options.dry_run else dirty_files(root)
    if dirty:
        listed = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise UsageError(
            f"the working tree has uncommitted changes ({listed})",
            fix="commit or stash them; the release commit holds only the release's own edits",
        )
    source = detect(root, pyproject, settings.version_source)
    rules = Rules(major_on_zero=settings.major_on_zero)
    plan = make_plan(
        root, source, prefix=settings.tag_prefix, rules=rules, bump=options.bump, pre=options.pre
    )
    if plan.version is None:
        print(plan.reason + (f" ({plan.summary()})" if plan.commits else ""), file=out)
        return 0
    version = plan.version
    date = options.date or release_date()
    uses_towncrier = bool(settings.changelog) and towncrier.uses_towncrier(root, pyproject)
    name = project_name(pyproject, root)
    edits = _edits(root, source, plan, version, settings, date, uses_towncrier)
    _describe(plan, source, settings, out)
    if uses_towncrier:
        section = towncrier.draft(root, name, version, date)
    else:
        section = _section(plan, version, date) if settings.changelog else ""
    if section:
        print(f"\nchangelog section:\n{section.rstrip()}\n", file=out)
    diffs = "".join(edit.diff() for edit in edits)
    if diffs:
        print(f"diff:\n{diffs}", file=out)
    if options.dry_run:
        extra = (
            " (towncrier would also remove the news fragments it used)" if uses_towncrier else ""
        )
        print(f"dry run: nothing was changed{extra}", file=out)
        return 0
    for edit in edits:
        edit.apply(root)
    if uses_towncrier:
        towncrier.build(root, name, version, date)
    paths = [edit.path for edit in edits] + ([settings.changelog] if uses_towncrier else [])
    if paths:
        git(root, "add", "--", *paths, what="stage the release edits")
        message = settings.commit_message.replace("{version}", str(version))
        git(root, "commit", "--quiet", "--no-verify", "-m", message, what="commit the release")
    git(root, "tag", "--annotate", plan.tag, "-m", f"Release {version}\n\n{section}".rstrip() + "\n", what=f"tag {plan.tag}")  # fmt: skip
    commit = git(root, "rev-parse", "--short", "HEAD").strip()
    records.record(
        root, "release", str(version), "ok", detail=f"tag {plan.tag} on {commit}; {plan.reason}"
    )
    print(
        f"released {version}: commit {commit}, tag {plan.tag} (nothing pushed; to publish: "
        f"git push --follow-tags)",
        file=out,
    )
    return 0


def _section(plan: Plan, version: Version, date: dt.date) -> str:
    return changelog.render_section(version, date, plan.commits)


def _edits(
    root: Path,
    source: VersionSource,
    plan: Plan,
    version: Version,
    settings: ReleaseSettings,
    date: dt.date,
    uses_towncrier: bool,
) -> list[FileEdit]:
    edits: list[FileEdit] = []
    version_edit = source.edit(root, version)
    if version_edit is not None:
        edits.append(version_edit)
    if settings.changelog and not uses_towncrier:
        old = read_bytes(root, settings.changelog)
        text = changelog.prepend(
            old.decode("utf-8") if old is not None else None,
            _section(plan, version, date),
            version,
        )
        edits.append(FileEdit(settings.changelog, old, text.encode("utf-8")))
    return edits


def _describe(plan: Plan, source: VersionSource, settings: ReleaseSettings, out: TextIO) -> None:
    print(f"release {plan.base} -> {plan.version} ({plan.reason})", file=out)
    print(f"  commits: {plan.summary()}", file=out)
    where = f"{source.path} ({source.how})" if source.path else source.how
    print(f"  version source: {where}", file=out)
    committed = settings.commit_message.replace("{version}", str(plan.version))
    print(f'  commit "{committed}", annotated tag {plan.tag}; nothing is pushed', file=out)
