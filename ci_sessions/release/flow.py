"""``ci-sessions release``: plan -> write the version -> changelog -> commit -> annotated tag.

Never pushes. Refuses a working tree with uncommitted changes to tracked files (the release
commit must hold exactly the release edits). ``--dry-run`` prints the version, the changelog
section and the diff, and changes nothing.

All or nothing: everything a release reads or names (the version file, the changelog and its
encoding, the tag prefix, tags naming one version twice) is checked before the first write; a
failure after it (a commit git refuses, a tag it cannot make) puts the repository back as it
was, and only ever takes back the commit this release made.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from packaging.version import Version

from ci_sessions._fs import atomic_write_bytes, remove_tree
from ci_sessions._git import git, try_git
from ci_sessions.builds.paths import read_text, repository_file
from ci_sessions.builds.pyproject import table
from ci_sessions.builds.sources import VersionSource, detect
from ci_sessions.errors import UsageError
from ci_sessions.release import changelog_style, records, towncrier
from ci_sessions.release.edits import FileEdit, read_bytes, version_edit
from ci_sessions.release.plan import Plan, make_plan
from ci_sessions.release.settings import ReleaseSettings
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
    out = git(
        root, "status", "--porcelain", "--untracked-files=no", what="git status",
        fix="run the release inside the project's git work tree",
    )  # fmt: skip
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
    if try_git(root, "rev-parse", "--verify", "--quiet", "HEAD") is None:
        raise UsageError("the repository has no commit yet", fix="commit once, then release")
    source = detect(root, pyproject, settings.version_source)
    target = changelog_target(root, pyproject, settings)
    rules = Rules(major_on_zero=settings.major_on_zero)
    plan = make_plan(
        root, source, prefix=settings.tag_prefix, rules=rules, bump=options.bump, pre=options.pre
    )
    if plan.version is None:
        print(plan.reason + (f" ({plan.summary()})" if plan.commits else ""), file=out)
        return 0
    version = plan.version
    date = options.date or release_date()
    name = project_name(pyproject, root)
    edits = _edits(root, source, plan, version, target, date)
    _describe(plan, source, settings, target, out)
    if target is not None and target.towncrier:
        section = towncrier.draft(root, name, version, date)
    else:
        section = _section(root, target, plan, version, date)
    if section:
        print(f"\nchangelog section:\n{section.rstrip()}\n", file=out)
    diffs = "".join(edit.diff() for edit in edits)
    if diffs:
        print(f"diff:\n{diffs}", file=out)
    if options.dry_run:
        towncrier_note = target is not None and target.towncrier
        extra = (
            " (towncrier would also remove the news fragments it used)" if towncrier_note else ""
        )
        print(f"dry run: nothing was changed{extra}", file=out)
        return 0
    commit = _write(root, plan, edits, target, name, date, section, settings, out)
    records.record(
        root, "release", str(version), "ok", detail=f"tag {plan.tag} on {commit}; {plan.reason}"
    )
    print(
        f"released {version}: commit {commit[:7]}, tag {plan.tag} (nothing pushed; to publish: "
        f"git push --follow-tags)",
        file=out,
    )
    return 0


@dataclass(frozen=True)
class ChangelogTarget:
    """The changelog a release writes (relative path), and whether towncrier writes it."""

    path: str
    towncrier: bool = False


def changelog_target(
    root: Path, pyproject: Mapping[str, object], settings: ReleaseSettings
) -> ChangelogTarget | None:
    """The changelog file, checked (inside the repository, no link, not .git, not a folder)."""
    if not settings.changelog:
        return None
    if towncrier.uses_towncrier(root, pyproject):
        name, source = towncrier.filename(root, pyproject)
        return ChangelogTarget(repository_file(root, name, source=source, key="filename"), True)
    name = changelog_style.find(root, settings.changelog, default=settings.changelog_default)
    path = repository_file(
        root, name, source="pyproject.toml [tool.ci-sessions.release]", key="release.changelog"
    )
    return ChangelogTarget(path)


def _section(
    root: Path, target: ChangelogTarget | None, plan: Plan, version: Version, date: dt.date
) -> str:
    if target is None:
        return ""
    existing = read_text(root, target.path, what="changelog")
    return changelog_style.render(
        changelog_style.style_of(target.path, existing), version, date, plan.commits
    )


def _edits(
    root: Path,
    source: VersionSource,
    plan: Plan,
    version: Version,
    target: ChangelogTarget | None,
    date: dt.date,
) -> list[FileEdit]:
    edits: list[FileEdit] = []
    written = version_edit(root, source, version)
    if written is not None:
        edits.append(written)
    if target is not None and not target.towncrier:
        existing = read_text(root, target.path, what="changelog")
        style = changelog_style.style_of(target.path, existing)
        section = changelog_style.render(style, version, date, plan.commits)
        text = changelog_style.insert(existing, section, version, style)
        edits.append(FileEdit(target.path, read_bytes(root, target.path), text.encode("utf-8")))
    return edits


def _write(
    root: Path,
    plan: Plan,
    edits: list[FileEdit],
    target: ChangelogTarget | None,
    name: str,
    date: dt.date,
    section: str,
    settings: ReleaseSettings,
    out: TextIO,
) -> str:
    """Write, commit and tag; on any failure put the repository back. Returns the commit."""
    version = plan.version
    if version is None:  # pragma: no cover - release() returned before
        raise ValueError("no version to write")
    head = git(root, "rev-parse", "HEAD").strip()
    created = target.path if target is not None and not (root / target.path).exists() else ""
    made = ""
    try:
        for edit in edits:
            edit.apply(root)
        if target is not None and target.towncrier:
            towncrier.build(root, name, version, date)
        paths = [edit.path for edit in edits] + (
            [target.path] if target is not None and target.towncrier else []
        )
        if paths:
            git(root, "add", "--", *paths, what="stage the release edits", fix=_STATE_FIX)
            message = settings.commit_message.replace("{version}", str(version))
            git(root, "commit", "--quiet", "--no-verify", "-m", message, what="commit the release", fix=_STATE_FIX)  # fmt: skip
            made = git(root, "rev-parse", "HEAD").strip()
        git(root, "tag", "--annotate", plan.tag, "-m", f"Release {version}\n\n{section}".rstrip() + "\n", what=f"tag {plan.tag}", fix=_TAG_FIX)  # fmt: skip
        return made or head
    except BaseException:
        put_back(root, head, made, edits, created)
        print(
            f"release: stopped; the repository was put back as it was (HEAD {head[:7]}, "
            f"no release commit, no tag {plan.tag})",
            file=out,
        )
        raise


_STATE_FIX = "see git's message; `git status` shows the repository (it was put back as it was)"
_TAG_FIX = "check tag-prefix and `git tag --list`; nothing was released"


def put_back(root: Path, head: str, made: str, edits: list[FileEdit], created: str) -> None:
    """Undo a release that failed half-way: the commit it made (and no other), the index, the
    files it wrote (back to their old bytes, or gone when it created them)."""
    current = (try_git(root, "rev-parse", "HEAD") or "").strip()
    if made and current == made:
        try_git(root, "reset", "--quiet", "--keep", head)
    changed = (try_git(root, "diff", "--name-only", "-z", "HEAD") or "").split("\0")
    try_git(root, "reset", "--quiet")
    tracked = [
        name
        for name in changed
        if name and try_git(root, "cat-file", "-e", f"HEAD:{name}") is not None
    ]
    if tracked:
        try_git(root, "checkout", "HEAD", "--", *tracked)
    for edit in edits:
        path = root / edit.path
        if edit.old is None:
            remove_tree(path, within=root)
        elif not path.is_file() or path.read_bytes() != edit.old:
            atomic_write_bytes(path, edit.old)
    if created:
        remove_tree(root / created, within=root)


def _describe(
    plan: Plan,
    source: VersionSource,
    settings: ReleaseSettings,
    target: ChangelogTarget | None,
    out: TextIO,
) -> None:
    print(f"release {plan.base} -> {plan.version} ({plan.reason})", file=out)
    print(f"  commits: {plan.summary()}", file=out)
    where = f"{source.path} ({source.how})" if source.path else source.how
    print(f"  version source: {where}", file=out)
    if target is not None:
        writer = "towncrier" if target.towncrier else "ci-sessions"
        print(f"  changelog: {target.path} (written by {writer})", file=out)
    committed = settings.commit_message.replace("{version}", str(plan.version))
    print(f'  commit "{committed}", annotated tag {plan.tag}; nothing is pushed', file=out)
