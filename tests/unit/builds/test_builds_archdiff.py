"""Archive diffing: which members of two builds differ, and how (content, mtime, order, mode, owner)."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

from ci_sessions.builds.archdiff import diff_archives

Member = tuple[str, bytes]


def make_zip(path: Path, members: list[Member], *, date: tuple[int, ...] = (2020, 1, 1, 0, 0, 0), mode: int = 0o644) -> Path:  # fmt: skip
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=date)  # type: ignore[arg-type]
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


def make_tar(path: Path, members: list[Member], *, mtime: int = 1_600_000_000, mode: int = 0o644, uid: int = 0, gzip_mtime: int = 0) -> Path:  # fmt: skip
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode, info.uid = len(data), mtime, mode, uid
            archive.addfile(info, io.BytesIO(data))
    with path.open("wb") as handle, gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=gzip_mtime) as gz:  # fmt: skip
        gz.write(raw.getvalue())
    return path


FILES: list[Member] = [("pkg/__init__.py", b"x = 1\n"), ("pkg/_built.py", b"BUILT = '10:00'\n")]


def hows(diffs) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(d.member, d.how) for d in diffs}


def test_identical_zips_have_no_differences(tmp_path: Path) -> None:
    a = make_zip(tmp_path / "a.whl", FILES)
    b = make_zip(tmp_path / "b.whl", FILES)
    assert diff_archives(a, b) == []


def test_zip_content_names_the_member_and_the_line(tmp_path: Path) -> None:
    a = make_zip(tmp_path / "a.whl", FILES)
    b = make_zip(tmp_path / "b.whl", [FILES[0], ("pkg/_built.py", b"BUILT = '10:01'\n")])
    diffs = diff_archives(a, b, "demo.whl")
    assert hows(diffs) == {("pkg/_built.py", "content")}
    assert diffs[0].detail == "line 1: \"BUILT = '10:00'\" vs \"BUILT = '10:01'\""
    assert diffs[0].render().startswith("demo.whl: pkg/_built.py: content")


def test_zip_time_mode_order_and_presence(tmp_path: Path) -> None:
    a = make_zip(tmp_path / "a.whl", FILES)
    assert hows(diff_archives(a, make_zip(tmp_path / "t.whl", FILES, date=(2021, 1, 1, 0, 0, 0)))) == {
        ("pkg/__init__.py", "mtime"), ("pkg/_built.py", "mtime"),
    }  # fmt: skip
    assert hows(diff_archives(a, make_zip(tmp_path / "m.whl", FILES, mode=0o755))) == {
        ("pkg/__init__.py", "mode"), ("pkg/_built.py", "mode"),
    }  # fmt: skip
    assert hows(diff_archives(a, make_zip(tmp_path / "o.whl", FILES[::-1]))) == {
        ("(order)", "order")
    }
    extra = make_zip(tmp_path / "e.whl", [*FILES, ("pkg/new.py", b"")])
    assert hows(diff_archives(a, extra)) == {("pkg/new.py", "only-in-second")}


def test_tar_members_and_gzip_header(tmp_path: Path) -> None:
    a = make_tar(tmp_path / "a.tar.gz", FILES)
    assert diff_archives(a, make_tar(tmp_path / "same.tar.gz", FILES)) == []
    assert hows(diff_archives(a, make_tar(tmp_path / "g.tar.gz", FILES, gzip_mtime=5))) == {("(gzip header)", "mtime")}  # fmt: skip
    assert ("pkg/__init__.py", "mtime") in hows(diff_archives(a, make_tar(tmp_path / "t.tar.gz", FILES, mtime=1)))  # fmt: skip
    assert ("pkg/_built.py", "mode") in hows(diff_archives(a, make_tar(tmp_path / "m.tar.gz", FILES, mode=0o600)))  # fmt: skip
    assert ("pkg/_built.py", "owner") in hows(diff_archives(a, make_tar(tmp_path / "u.tar.gz", FILES, uid=1000)))  # fmt: skip
    changed = make_tar(tmp_path / "c.tar.gz", [FILES[0], ("pkg/_built.py", b"BUILT = '10:01'\n")])
    assert hows(diff_archives(a, changed)) == {("pkg/_built.py", "content")}


def test_content_differences_come_first(tmp_path: Path) -> None:
    a = make_tar(tmp_path / "a.tar.gz", FILES)
    b = make_tar(tmp_path / "b.tar.gz", [FILES[0], ("pkg/_built.py", b"other\n")], mtime=7)
    assert diff_archives(a, b)[0].how == "content"


def test_unreadable_archive_is_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    (diff,) = diff_archives(bad, bad)
    assert diff.detail.startswith("unreadable")
