"""Why two builds of the same sources differ: the archive members that differ, and how.

Reads both wheels (zip) or both sdists (gzip'd tar) and compares member by member: the set of
names, their order, and per member the content, the time stamp, the mode, the owner and, for
zip, the compression. The gzip header's own time stamp is checked for an sdist too.
"""

from __future__ import annotations

import gzip
import struct
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: how much of a differing text line the detail shows
_SNIPPET = 100


@dataclass(frozen=True)
class MemberDiff:
    """One difference: the archive, the member (or ``(order)``/``(gzip header)``), how."""

    archive: str
    member: str
    #: content | mtime | mode | owner | order | compression | only-in-first | only-in-second | type
    how: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"archive": self.archive, "member": self.member, "how": self.how, "detail": self.detail}  # fmt: skip

    def render(self) -> str:
        return f"{self.archive}: {self.member}: {self.how}" + (f" ({self.detail})" if self.detail else "")  # fmt: skip


def _clip(text: str) -> str:
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


def content_detail(first: bytes, second: bytes) -> str:
    """Where two versions of a member part: the first differing line of a text, else sizes."""
    try:
        a_lines = first.decode("utf-8").splitlines()
        b_lines = second.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return f"{len(first)} vs {len(second)} bytes"
    for number, (a, b) in enumerate(zip(a_lines, b_lines, strict=False), start=1):
        if a != b:
            return f"line {number}: {_clip(a)!r} vs {_clip(b)!r}"
    return f"{len(a_lines)} vs {len(b_lines)} lines"


def _order(archive: str, first: list[str], second: list[str]) -> list[MemberDiff]:
    common = set(first) & set(second)
    a = [n for n in first if n in common]
    b = [n for n in second if n in common]
    for position, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return [MemberDiff(archive, "(order)", "order", f"position {position}: {x} vs {y}")]
    return []


def _presence(archive: str, first: list[str], second: list[str]) -> list[MemberDiff]:
    diffs = [MemberDiff(archive, n, "only-in-first") for n in first if n not in set(second)]
    diffs += [MemberDiff(archive, n, "only-in-second") for n in second if n not in set(first)]
    return diffs


def diff_zip(first: Path, second: Path, label: str = "") -> list[MemberDiff]:
    label = label or first.name
    with zipfile.ZipFile(first) as za, zipfile.ZipFile(second) as zb:
        a = {info.filename: info for info in za.infolist()}
        b = {info.filename: info for info in zb.infolist()}
        diffs = _presence(label, list(a), list(b)) + _order(label, list(a), list(b))
        for name in (n for n in a if n in b):
            x, y = a[name], b[name]
            data_a, data_b = za.read(name), zb.read(name)
            if data_a != data_b:
                diffs.append(MemberDiff(label, name, "content", content_detail(data_a, data_b)))
            if x.date_time != y.date_time:
                diffs.append(MemberDiff(label, name, "mtime", f"{_stamp(x.date_time)} vs {_stamp(y.date_time)}"))  # fmt: skip
            if x.external_attr != y.external_attr:
                diffs.append(MemberDiff(label, name, "mode", f"{_zip_mode(x)} vs {_zip_mode(y)}"))
            if x.compress_type != y.compress_type:
                diffs.append(MemberDiff(label, name, "compression", f"{x.compress_type} vs {y.compress_type}"))  # fmt: skip
    return diffs


def _stamp(date_time: tuple[int, int, int, int, int, int]) -> str:
    return "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(*date_time)


def _zip_mode(info: zipfile.ZipInfo) -> str:
    return oct((info.external_attr >> 16) & 0o7777)


def _gzip_header(path: Path) -> tuple[int, bytes]:
    """(mtime, stored file name) from a gzip header (RFC 1952)."""
    with path.open("rb") as handle:
        head = handle.read(10)
        if len(head) < 10 or head[:2] != b"\x1f\x8b":
            return 0, b""
        flags = head[3]
        mtime = struct.unpack("<I", head[4:8])[0]
        name = b""
        if flags & 0x04:  # FEXTRA
            (length,) = struct.unpack("<H", handle.read(2))
            handle.read(length)
        if flags & 0x08:  # FNAME
            while (byte := handle.read(1)) not in (b"", b"\x00"):
                name += byte
        return mtime, name


def diff_tar(first: Path, second: Path, label: str = "") -> list[MemberDiff]:
    label = label or first.name
    diffs: list[MemberDiff] = []
    (mtime_a, name_a), (mtime_b, name_b) = _gzip_header(first), _gzip_header(second)
    if mtime_a != mtime_b:
        diffs.append(MemberDiff(label, "(gzip header)", "mtime", f"{mtime_a} vs {mtime_b}"))
    if name_a != name_b:
        diffs.append(MemberDiff(label, "(gzip header)", "content", f"file name {name_a!r} vs {name_b!r}"))  # fmt: skip
    with tarfile.open(first) as ta, tarfile.open(second) as tb:
        a = {m.name: m for m in ta.getmembers()}
        b = {m.name: m for m in tb.getmembers()}
        diffs += _presence(label, list(a), list(b)) + _order(label, list(a), list(b))
        for name in (n for n in a if n in b):
            x, y = a[name], b[name]
            if x.type != y.type or x.linkname != y.linkname:
                diffs.append(MemberDiff(label, name, "type"))
            elif x.isfile():
                data_a, data_b = _read(ta, x), _read(tb, y)
                if data_a != data_b:
                    diffs.append(MemberDiff(label, name, "content", content_detail(data_a, data_b)))
            if x.mtime != y.mtime:
                diffs.append(MemberDiff(label, name, "mtime", f"{x.mtime!r} vs {y.mtime!r}"))
            if x.mode != y.mode:
                diffs.append(MemberDiff(label, name, "mode", f"{oct(x.mode)} vs {oct(y.mode)}"))
            if (x.uid, x.gid, x.uname, x.gname) != (y.uid, y.gid, y.uname, y.gname):
                diffs.append(MemberDiff(label, name, "owner", f"{x.uname or x.uid}:{x.gname or x.gid} vs {y.uname or y.uid}:{y.gname or y.gid}"))  # fmt: skip
    if not diffs and _decompressed(first) != _decompressed(second):
        diffs.append(MemberDiff(label, "(tar headers)", "content", "pax or padding bytes differ"))
    return diffs


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    return handle.read() if handle is not None else b""


def _decompressed(path: Path) -> bytes:
    with gzip.open(path, "rb") as handle:
        return handle.read()


#: the order differences are listed in: what a person fixes first
SEVERITY = ("content", "only-in-first", "only-in-second", "type", "order", "mode", "owner", "compression", "mtime")  # fmt: skip


def by_severity(diffs: list[MemberDiff]) -> list[MemberDiff]:
    return sorted(
        diffs, key=lambda d: SEVERITY.index(d.how) if d.how in SEVERITY else len(SEVERITY)
    )


def diff_archives(first: Path, second: Path, label: str = "") -> list[MemberDiff]:
    """Every difference between two builds of one distribution file, most telling first."""
    differ: Callable[[Path, Path, str], list[MemberDiff]]
    if first.suffix == ".whl" or first.suffix == ".zip":
        differ = diff_zip
    elif first.name.endswith((".tar.gz", ".tgz")):
        differ = diff_tar
    else:
        return [MemberDiff(label or first.name, "(file)", "content", "not an archive")]
    try:
        return by_severity(differ(first, second, label))
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        return [MemberDiff(label or first.name, "(file)", "content", f"unreadable: {exc}")]
