"""benchmarks/corpus.py: pins, safe extraction, the one-commit repository, the cache."""

from __future__ import annotations

import gzip
import io
import os
import socket
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import corpus
from corpus import CorpusError, Project

FILES = {
    "pyproject.toml": '[project]\nname = "tiny"\nversion = "1.0"\n',
    "src/tiny/__init__.py": "VALUE = 1\n",
    "tests/test_tiny.py": "def test_value():\n    assert True\n",
}

Member = Callable[[tarfile.TarFile], None]


def make_sdist(
    folder: Path,
    files: dict[str, str] | None = None,
    extra: list[Member] | None = None,
    top: str = "tiny-1.0",
) -> tuple[Path, str]:
    """A tiny .tar.gz sdist and its sha256; ``extra`` adds hand-made (hostile) members."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny-1.0.tar.gz"
    with (  # gzip's header holds a time unless told: the same files give the same sha256
        gzip.GzipFile(path, "wb", mtime=0) as packed,
        tarfile.open(fileobj=packed, mode="w") as tar,
    ):
        for name, text in (FILES if files is None else files).items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
        for add in extra or []:
            add(tar)
    return path, corpus.sha256_of(path)


def project(sha256: str, **changes: object) -> Project:
    base = Project(
        name="tiny",
        version="1.0",
        sdist="tiny-1.0.tar.gz",
        sha256=sha256,
        shapes=("flit",),
        layout="src",
        packages=("src/tiny",),
        tests=("tests",),
        backend="flit_core",
        requires_python=">=3.10",
        tag="v1.0",
        commit="",
        install=(".", "pytest"),
        test=("pytest",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def cached(tmp_path: Path, files: dict[str, str] | None = None, extra: list[Member] | None = None):
    """A cache root whose sdists/ already holds the tarball (no network), and its project."""
    root = tmp_path / "cache"
    _, sha = make_sdist(root / "sdists", files, extra)
    return root, project(sha)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> Member:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, target
        tar.addfile(info)

    return add


def plain(name: str, kind: bytes = tarfile.REGTYPE) -> Member:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        tar.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)

    return add


# --------------------------------------------------------------------------- the repository


def test_fetch_makes_a_repository_with_one_commit_and_the_version_tag(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    repo = corpus.fetch(tiny, root=root)
    assert repo == root / "projects" / "tiny-1.0"
    assert git(repo, "rev-list", "--count", "--all") == "1"
    assert git(repo, "rev-parse", "v1.0^{commit}") == git(repo, "rev-parse", "HEAD")
    assert git(repo, "describe", "--tags", "--exact-match") == "v1.0"
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert sorted(git(repo, "ls-files").splitlines()) == sorted(FILES)
    assert (
        git(repo, "log", "-1", "--format=%an %ad", "--date=unix") == "ci-sessions corpus 1735689600"
    )


def test_the_commit_id_is_the_same_on_every_machine_and_checked(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    first = git(corpus.fetch(tiny, root=root), "rev-parse", "HEAD")
    other, _ = cached(tmp_path / "elsewhere")
    assert git(corpus.fetch(tiny, root=other), "rev-parse", "HEAD") == first
    pinned = replace(tiny, commit=first)
    assert corpus.fetch(pinned, root=root).is_dir()
    wrong, _ = cached(tmp_path / "third")
    with pytest.raises(CorpusError, match="pins"):
        corpus.fetch(replace(tiny, commit="0" * 40), root=wrong)
    assert not (wrong / "projects" / "tiny-1.0").exists()


def test_the_projects_gitignore_applies_and_ignored_files_stay_in_the_tree(tmp_path: Path) -> None:
    files = {**FILES, ".gitignore": "src/tiny/_version.py\n", "src/tiny/_version.py": "v = 1\n"}
    root, tiny = cached(tmp_path, files)
    repo = corpus.fetch(tiny, root=root)
    assert "src/tiny/_version.py" not in git(repo, "ls-files").splitlines()
    copy = corpus.fresh_copy(tiny, tmp_path / "work", root=root)
    assert (copy / "src/tiny/_version.py").read_text() == "v = 1\n"
    assert git(copy, "status", "--porcelain") == ""


def test_a_second_fetch_reuses_the_prepared_repository(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    repo = corpus.fetch(tiny, root=root)
    marker = repo / ".git" / "marker"
    marker.write_text("kept")
    assert corpus.fetch(tiny, root=root) == repo
    assert marker.read_text() == "kept"


def test_a_mutated_cache_entry_is_made_again(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    repo = corpus.fetch(tiny, root=root)
    (repo / "src/tiny/__init__.py").write_text("VALUE = 2\n")
    (repo / "stray.py").write_text("")
    assert corpus.fetch(tiny, root=root) == repo
    assert (repo / "src/tiny/__init__.py").read_text() == "VALUE = 1\n"
    assert not (repo / "stray.py").exists()
    assert sorted(p.name for p in (root / "projects").iterdir()) == ["tiny-1.0"]


def test_a_fresh_copy_is_independent_and_never_overwrites(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    copy = corpus.fresh_copy(tiny, tmp_path / "work" / "tiny", root=root)
    (copy / "src/tiny/__init__.py").write_text("VALUE = 3\n")
    git(copy, "commit", "-qam", "an edit")  # the copy's own config has an identity
    again = corpus.fetch(tiny, root=root)
    assert (again / "src/tiny/__init__.py").read_text() == "VALUE = 1\n"
    assert git(again, "rev-list", "--count", "--all") == "1"
    with pytest.raises(CorpusError, match="already exists"):
        corpus.fresh_copy(tiny, copy, root=root)
    assert (copy / "src/tiny/__init__.py").read_text() == "VALUE = 3\n"


# --------------------------------------------------------------------------- refusals


def test_a_cached_sdist_with_another_sha256_is_refused(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    with pytest.raises(CorpusError, match="sha256 mismatch") as info:
        corpus.fetch(replace(tiny, sha256="a" * 64), root=root)
    assert info.value.code == 3
    assert not (root / "projects" / "tiny-1.0").exists()


def test_a_download_with_another_sha256_leaves_nothing(tmp_path: Path) -> None:
    sdist, sha = make_sdist(tmp_path / "index")
    dest = tmp_path / "cache" / "sdists" / sdist.name
    with pytest.raises(CorpusError, match="sha256 mismatch"):
        corpus.download(sdist.as_uri(), dest, "b" * 64)
    assert list(dest.parent.iterdir()) == []
    assert corpus.download(sdist.as_uri(), dest, sha) == dest
    assert dest.read_bytes() == sdist.read_bytes()
    assert [p.name for p in dest.parent.iterdir()] == [sdist.name]


def test_an_sdist_without_tests_is_refused(tmp_path: Path) -> None:
    files = {k: v for k, v in FILES.items() if not k.startswith("tests/")}
    root, tiny = cached(tmp_path, files)
    with pytest.raises(CorpusError, match="ships no tests"):
        corpus.fetch(replace(tiny, tests=("src/tiny",)), root=root)
    assert not (root / "projects" / "tiny-1.0").exists()
    assert [p.name for p in (root / "projects").iterdir()] == []  # no temporary left behind


def test_a_tests_folder_the_data_file_names_must_be_in_the_sdist(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    with pytest.raises(CorpusError, match="'testing' is not in the sdist"):
        corpus.fetch(replace(tiny, tests=("testing",)), root=root)


@pytest.mark.parametrize(
    "member",
    [
        plain("tiny-1.0/../escaped.txt"),
        plain("/tmp/absolute-escape.txt"),
        plain("other-top/file.txt"),
        link("tiny-1.0/evil", "../../escaped.txt"),
        link("tiny-1.0/evil", "/etc/passwd"),
        link("tiny-1.0/evil", "../escaped.txt", tarfile.LNKTYPE),
        plain("tiny-1.0/fifo", tarfile.FIFOTYPE),
        plain("tiny-1.0/dev", tarfile.CHRTYPE),
    ],
    ids=[
        "dotdot",
        "absolute",
        "second-top",
        "symlink-out",
        "symlink-abs",
        "hardlink-out",
        "fifo",
        "device",
    ],
)
def test_an_unsafe_member_is_refused_before_anything_is_written(
    tmp_path: Path, member: Member
) -> None:
    root, tiny = cached(tmp_path, extra=[member])
    with pytest.raises(CorpusError, match="unsafe"):
        corpus.fetch(tiny, root=root)
    assert not (tmp_path / "escaped.txt").exists()
    assert not (root / "projects" / "escaped.txt").exists()
    assert [p.name for p in (root / "projects").iterdir()] == []


def test_a_link_inside_the_sdist_is_kept(tmp_path: Path) -> None:
    root, tiny = cached(
        tmp_path, extra=[link("tiny-1.0/docs/readme.py", "../src/tiny/__init__.py")]
    )
    repo = corpus.fetch(tiny, root=root)
    assert os.readlink(repo / "docs/readme.py") == "../src/tiny/__init__.py"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "../tiny"),
        ("name", "a/b"),
        ("name", "Tiny"),
        ("sdist", "../tiny-1.0.tar.gz"),
        ("sdist", "dir/tiny-1.0.tar.gz"),
        ("version", "1.0/../../x"),
        ("tag", "v1/../x"),
        ("tests", ["../outside"]),
        ("tests", ["/abs"]),
        ("packages", ["src/../../x"]),
        ("sha256", "abc"),
        ("commit", "nothex"),
        ("layout", "weird"),
        ("shapes", ["no-such-shape"]),
        ("tset", ["pytest"]),
    ],
)
def test_names_from_the_data_file_are_checked_before_they_become_paths(
    key: str, value: object
) -> None:
    entry = {
        "name": "tiny", "version": "1.0", "sdist": "tiny-1.0.tar.gz", "sha256": "c" * 64,
        "commit": "", "shapes": ["flit"], "layout": "src", "packages": ["src/tiny"],
        "tests": ["tests"], "backend": "flit_core", "install": ["."], "test": ["pytest"],
    }  # fmt: skip
    corpus.project_from(entry, "corpus.toml")
    with pytest.raises(CorpusError) as info:
        corpus.project_from({**entry, key: value}, "corpus.toml")
    assert info.value.code == 2


def test_a_bad_data_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "corpus.toml"
    bad.write_text('[[project]]\nname = "x"\n')
    with pytest.raises(CorpusError, match="missing key 'version'"):
        corpus.load(bad)
    bad.write_text("not toml [")
    with pytest.raises(CorpusError, match=r"corpus\.toml"):
        corpus.load(bad)


# --------------------------------------------------------------------------- CLI and data


def test_the_command_line_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, tiny = cached(tmp_path)
    monkeypatch.setenv("CI_SESSIONS_CORPUS_DIR", str(root))
    monkeypatch.setattr(corpus, "PROJECTS", {"tiny": tiny})
    assert corpus.main(["copy", "nope", str(tmp_path / "x")]) == 2
    assert "unknown project 'nope'" in capsys.readouterr().err
    assert corpus.main(["copy", "tiny", str(tmp_path / "w")]) == 0
    assert (tmp_path / "w" / ".git").is_dir()
    monkeypatch.setattr(corpus, "PROJECTS", {"tiny": replace(tiny, sha256="d" * 64)})
    assert corpus.main(["fetch", "tiny"]) == 3
    assert "sha256 mismatch" in capsys.readouterr().err


def test_pytest_summary_counts() -> None:
    out = "...\n=== 3 failed, 5060 passed, 264 skipped, 17 xfailed, 2 errors in 36.59s ===\n"
    got = corpus.parse_summary(out)
    assert (got["failed"], got["passed"], got["skipped"], got["xfailed"], got["errors"]) == (
        3, 5060, 264, 17, 2,
    )  # fmt: skip
    assert (
        corpus.parse_summary("== 2434 passed, 31000 deselected, 1 xfailed in 7.36s ==")[
            "deselected"
        ]
        == 31000
    )


def test_the_corpus_covers_the_shapes_both_issues_need() -> None:
    projects = corpus.load()
    assert len(projects) >= 12
    covered = {shape for p in projects.values() for shape in p.shapes}
    needed = {
        "c-extension-flat", "c-extension-src", "cython", "setuptools-scm", "hatch-vcs", "flit",
        "tox-ini-only", "sphinx", "mkdocs", "hypothesis", "filterwarnings-error", "big-suite",
    }  # fmt: skip
    assert needed <= covered
    assert covered & {"poetry-core", "pdm-scm"}
    assert all(p.commit for p in projects.values())
    assert 2 <= len(corpus.QUICK) <= 3


def test_the_cache_lives_outside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI_SESSIONS_CORPUS_DIR", raising=False)
    assert corpus.cache_dir() == Path.home() / ".cache" / "ci-sessions" / "corpus"
    monkeypatch.setenv("CI_SESSIONS_CORPUS_DIR", "/somewhere/else")
    assert corpus.cache_dir() == Path("/somewhere/else")


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _pypi_reachable(), reason="PyPI is not reachable")
def test_network_fetch_of_the_smallest_project(tmp_path: Path) -> None:
    smallest = corpus.PROJECTS["iniconfig"]
    repo = corpus.fetch(smallest, root=tmp_path)
    assert corpus.sha256_of(tmp_path / "sdists" / smallest.sdist) == smallest.sha256
    assert git(repo, "rev-parse", "HEAD") == smallest.commit
    assert git(repo, "describe", "--tags") == smallest.tag


def test_package_modules_leave_out_tests_and_the_recorded_count_is_checked(tmp_path: Path) -> None:
    files = {
        **FILES,
        "src/tiny/core.py": "",
        "src/tiny/tests/test_core.py": "",
        "src/tiny/x.pyi": "",
    }
    root, tiny = cached(tmp_path, files)
    repo = corpus.fetch(replace(tiny, modules=2), root=root)
    assert corpus.package_modules(tiny, repo) == ["src/tiny/__init__.py", "src/tiny/core.py"]
    other, _ = cached(tmp_path / "other", files)
    with pytest.raises(CorpusError, match="2 package modules, the data file says 5"):
        corpus.fetch(replace(tiny, modules=5), root=other)


def test_the_docs_table_is_what_the_script_prints() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "corpus.md").read_text()
    start, end = "<!-- corpus-table:start -->\n", "<!-- corpus-table:end -->"
    shown = page[page.index(start) + len(start) : page.index(end)]
    assert shown == corpus.table(corpus.PROJECTS, corpus._observed())


def test_a_concurrent_fetch_keeps_the_repository_already_in_place(tmp_path: Path) -> None:
    root, tiny = cached(tmp_path)
    final = corpus.fetch(tiny, root=root)
    head = git(final, "rev-parse", "HEAD")
    racer_root, _ = cached(tmp_path / "racer")
    racer = corpus.fetch(tiny, root=racer_root)
    corpus.place(tiny, racer, final)  # the other process lost the race: no error, nothing replaced
    assert git(final, "rev-parse", "HEAD") == head
    (final / "stray.py").write_text("")
    with pytest.raises(CorpusError, match="cannot put"):
        corpus.place(tiny, racer, final)
