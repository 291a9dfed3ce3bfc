"""The hostile corpus's sandbox: a project among canaries, and what every case must leave as it was.

The folder of a case (``tmp_path``) holds the project, a throwaway HOME and TMPDIR (each with a
canary file) and an ``outside/`` tree of canaries the hostile input aims at. Before the command
runs, everything there is recorded (type, mode, content digest, link target); afterwards nothing
outside the places the command may write may be created, changed or removed, TMPDIR holds only its
canary again, no process the command started is still alive, no output and no file written holds
the planted secret, and nothing printed a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gitrepo import git

Entry = tuple[str, int, str]  # kind, mode, digest or link target


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class Sandbox:
    root: Path
    secret: str = field(default_factory=lambda: f"csk-hostile-{uuid.uuid4().hex}")

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    def make(self) -> None:
        for folder in (
            self.project,
            self.home,
            self.tmp,
            self.outside / "src",
            self.outside / "ci",
        ):
            folder.mkdir(parents=True, exist_ok=True)
        (self.home / ".canary").write_text("home canary\n")
        (self.tmp / ".canary").write_text("tmp canary\n")
        (self.outside / "canary.txt").write_text("outside canary\n")
        (self.outside / "src" / "keep.py").write_text("KEEP = 1\n")
        (self.outside / "ci" / "keep.txt").write_text("keep\n")

    def fill(self, text: str) -> str:
        """A case's text with the sandbox's places and secret put in."""
        return (
            text.replace("@OUTSIDE@", str(self.outside))
            .replace("@HOME@", str(self.home))
            .replace("@TMP@", str(self.tmp))
            .replace("@PROJECT@", str(self.project))
            .replace("@SECRET@", self.secret)
        )

    def write(self, files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            path = self.project / self.fill(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(self.fill(content), encoding="utf-8")

    def commit(self, message: str = "initial") -> None:
        if not (self.project / ".git").exists():
            git(self.project, "init", "-q", "-b", "main")
        git(self.project, "add", "-A")
        git(self.project, "commit", "-qm", message)

    # ------------------------------------------------------------ what must stay as it was

    def snapshot(self, allowed: Iterable[str]) -> dict[str, Entry]:
        """Every entry under the case's folder but the ``allowed`` ones (relative prefixes)."""
        skip = tuple(allowed)
        found: dict[str, Entry] = {}
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            for name in [*dirs, *files]:
                path = Path(folder) / name
                relative = path.relative_to(self.root).as_posix()
                if any(relative == s or relative.startswith(s + "/") for s in skip):
                    continue
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    found[relative] = ("link", 0, os.readlink(path))
                elif stat.S_ISDIR(info.st_mode):
                    found[relative] = ("dir", stat.S_IMODE(info.st_mode), "")
                else:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                    found[relative] = ("file", stat.S_IMODE(info.st_mode), digest)
        return found

    def leftovers(self) -> list[str]:
        """Processes (other than this one) running in, or naming, the case's folder."""
        mine = str(self.root)
        found: list[str] = []
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            if int(pid) == os.getpid():
                continue
            try:
                cmdline = (
                    Path(f"/proc/{pid}/cmdline")
                    .read_bytes()
                    .replace(b"\0", b" ")
                    .decode("utf-8", "replace")
                )
                cwd = os.readlink(f"/proc/{pid}/cwd")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state == "Z":
                continue
            if mine in cmdline or cwd.startswith(mine):
                found.append(f"{pid}: {cmdline.strip()} (in {cwd})")
        return found

    def kill_leftovers(self) -> None:
        for line in self.leftovers():
            with contextlib.suppress(OSError):
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)


def wait_for_no_leftovers(box: Sandbox, seconds: float = 3.0) -> list[str]:
    """The processes still alive after a short grace (an exiting one may linger a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        found = box.leftovers()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _outside_allowed(entries: dict[str, Entry], allowed: tuple[str, ...]) -> dict[str, Entry]:
    """The entries outside the allowed places (the folders leading to one count as inside)."""
    return {
        name: entry
        for name, entry in entries.items()
        if not any(
            name == a
            or name.startswith(a + "/")
            or (entry[0] == "dir" and a.startswith(name + "/"))
            for a in allowed
        )
    }


def assert_contained(
    box: Sandbox, outcome: Outcome, before: dict[str, Entry], allowed: Iterable[str]
) -> None:
    """What every case must hold, whatever it ran: ``before`` is ``box.snapshot(())`` taken
    before the command, ``allowed`` the places (relative to the case's folder) it may write."""
    assert "Traceback (most recent call last)" not in outcome.text, outcome.text[-3000:]
    assert box.secret not in outcome.text, "the secret reached the output"
    after = box.snapshot(())
    for name, entry in after.items():
        if entry[0] == "file" and before.get(name) != entry:
            data = (box.root / name).read_bytes()
            assert box.secret.encode() not in data, f"the secret was written to {name}"
    places = tuple(allowed)
    kept, now = _outside_allowed(before, places), _outside_allowed(after, places)
    created = sorted(set(now) - set(kept))
    removed = sorted(set(kept) - set(now))
    changed = sorted(name for name in set(kept) & set(now) if kept[name] != now[name])
    assert (created, changed, removed) == ([], [], []), (
        f"outside the sandbox: created {created}, changed {changed}, removed {removed}"
    )
    assert sorted(p.name for p in box.tmp.iterdir()) == [".canary"], "TMPDIR kept files"
    left = wait_for_no_leftovers(box)
    if left:
        box.kill_leftovers()
    assert left == [], "processes outlived the command"
