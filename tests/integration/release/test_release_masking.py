"""A token planted in each channel a release writes to comes out masked: what twine says, what the
health check ran, what an index answers to a removal, the history rows (and so the evidence pack
that carries the history), and what the command prints. Each test exercises one masking call
(removing that call makes it fail; see the report of issue 22)."""

from __future__ import annotations

import base64
import http.server
import io
import sqlite3
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitrepo import git

from ci_sessions.builds.dists import gather
from ci_sessions.history.releases import ReleaseEvent, record_release
from ci_sessions.release import records
from ci_sessions.release.cli import main
from ci_sessions.release.health import health_check
from ci_sessions.release.indexes import remove
from ci_sessions.release.publish import PublishError, upload
from ci_sessions.release.settings import IndexSettings, PublishSettings
from ci_sessions.reports.pack import build as build_pack

pytestmark = pytest.mark.integration

TOKEN = "pypi-planted-0c1d2e3f4a5b6c7d"  # noqa: S105 - planted to be found


class _Echo(http.server.BaseHTTPRequestHandler):
    """An index that repeats the password it was sent in every error it answers."""

    def _password(self) -> str:
        login = self.headers.get("Authorization", "").removeprefix("Basic ")
        return base64.b64decode(login).decode().partition(":")[2] if login else ""

    def do_GET(self) -> None:
        body = b"pypiserver" if self.path == "/" else b""  # a removal asks what it is first
        self.send_response(200 if self.path == "/" else 404)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(500)
        self.end_headers()
        self.wfile.write(f"refused for {self._password()}".encode())

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def echo() -> Iterator[IndexSettings]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield IndexSettings("staging", url, url + "simple/", "ECHO_TOKEN", kind="pypiserver")
    server.shutdown()
    server.server_close()


def _wheel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "masked_demo-1.0-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("masked_demo/__init__.py", "")
        archive.writestr(
            "masked_demo-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: masked-demo\nVersion: 1.0\n",
        )
    path.write_bytes(buffer.getvalue())
    return folder


def test_twines_output_is_masked(tmp_path: Path, echo: IndexSettings) -> None:
    with pytest.raises(PublishError) as raised:
        upload(tmp_path, echo, gather(_wheel(tmp_path / "dist")), TOKEN)
    assert "refused for ****" in raised.value.message
    assert TOKEN not in raised.value.render()


def test_an_index_refusing_a_removal_is_quoted_masked(echo: IndexSettings) -> None:
    removal = remove(echo, "masked-demo", "1.0", TOKEN, ["masked_demo-1.0-py3-none-any.whl"])
    assert not removal.removed and "refused for ****" in removal.detail
    assert TOKEN not in removal.detail


def test_the_health_checks_output_is_masked(tmp_path: Path, echo: IndexSettings) -> None:
    """The environment step fails here on purpose (no index to install from): what it ran and
    printed, the token included, comes back masked."""
    settings = PublishSettings(retries=1, retry_delay=0)
    health = health_check(echo, f"masked-demo-{TOKEN}", "1.0", (), settings, secrets=[TOKEN])
    assert not health.ok
    assert "****" in health.output and TOKEN not in health.output


def test_history_rows_and_the_evidence_pack_hold_no_credential(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    url = f"https://__token__:{TOKEN}@upload.example/legacy/"
    record_release(root, ReleaseEvent("publish", "1.0", "failed", url=url, detail=f"at {url}"))
    records.SECRETS.add(TOKEN)  # as token_for does when it reads the token
    records.record(root, "rollback", "1.0", "failed", detail=f"the index said {TOKEN}")
    with sqlite3.connect(root / ".ci-sessions" / "history.db") as db:
        rows = db.execute("SELECT url, detail FROM releases ORDER BY id").fetchall()
    assert rows == [
        (
            "https://__token__:****@upload.example/legacy/",
            "at https://__token__:****@upload.example/legacy/",
        ),
        ("", "the index said ****"),
    ]
    data, _ = build_pack(root)
    with zipfile.ZipFile(io.BytesIO(data)) as pack:
        assert all(TOKEN.encode() not in pack.read(name) for name in pack.namelist())


def test_printed_text_is_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A commit message carrying a URL with a password: the dry run shows it masked."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0"\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"fix: mirror at https://bot:{TOKEN}@mirror.example/x")
    assert main(["--root", str(root), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "https://bot:****@mirror.example/x" in out and TOKEN not in out
