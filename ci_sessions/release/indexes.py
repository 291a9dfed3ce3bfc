"""What a package index can do about a bad release: remove it (pypiserver, devpi) or not (PyPI).

The kind comes from ``kind`` in the index's configuration, else from the URL (pypi.org hosts),
else from asking the server: pypiserver names itself on its front page, devpi sends an
``X-Devpi-Server-Version`` header.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ci_sessions._secrets import mask
from ci_sessions.release.config import IndexSettings

PYPI_HOSTS = {"pypi.org": "https://pypi.org", "upload.pypi.org": "https://pypi.org",
              "test.pypi.org": "https://test.pypi.org"}  # fmt: skip
TIMEOUT = 30.0


@dataclass(frozen=True)
class Removal:
    """The outcome of removing a release: done, or the steps a person must take."""

    removed: bool
    detail: str
    steps: tuple[str, ...] = ()


def _auth_header(username: str, token: str) -> dict[str, str]:
    if not token:
        return {}
    raw = base64.b64encode(f"{username}:{token}".encode()).decode("ascii")
    return {"Authorization": f"Basic {raw}"}


def _request(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310 - the configured index URL
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read(65536).decode("utf-8", "replace")
            return response.status, dict(response.headers.items()), body
    except urllib.error.HTTPError as exc:
        body = exc.read(65536).decode("utf-8", "replace")
        return exc.code, dict(exc.headers.items()), body


def kind_of(index: IndexSettings) -> str:
    """pypi | pypiserver | devpi | other."""
    if index.kind != "auto":
        return index.kind
    host = urllib.parse.urlsplit(index.upload_url).hostname or ""
    if host in PYPI_HOSTS:
        return "pypi"
    try:
        status, headers, body = _request(index.upload_url)
    except (OSError, ValueError):
        return "other"
    if any(key.lower() == "x-devpi-server-version" for key in headers):
        return "devpi"
    if "pypiserver" in body.lower() and status < 500:
        return "pypiserver"
    return "other"


def yank_steps(index: IndexSettings, name: str, version: str) -> tuple[str, ...]:
    """What a person does where the index cannot remove a release through its API."""
    host = urllib.parse.urlsplit(index.upload_url).hostname or ""
    site = PYPI_HOSTS.get(host)
    if site is not None:
        return (
            f"PyPI keeps every file name forever and has no API to delete or yank; yank {name} {version} "
            "in the web UI so installers skip it (PEP 592):",
            f"  1. open {site}/manage/project/{name}/release/{version}/ (log in as an owner)",
            '  2. Options -> "Yank", give the reason (e.g. "failed health check"), confirm',
            f"  3. release a fixed version: a new upload of {version} is refused, even after deletion",
        )
    return (
        f"{index.upload_url} cannot remove releases through an API ci-sessions knows:",
        f"  remove or yank {name} {version} with the index's own tools, then release a fixed version",
    )


def remove(index: IndexSettings, name: str, version: str, token: str) -> Removal:
    """Remove every file of ``name`` ``version`` from the index, where its API allows it."""
    kind = kind_of(index)
    headers = _auth_header(index.username, token)
    if kind == "pypiserver":
        url, method = index.upload_url, "POST"
        data: bytes | None = urllib.parse.urlencode(
            {":action": "remove_pkg", "name": name, "version": version}
        ).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif kind == "devpi":
        quoted = f"{urllib.parse.quote(name)}/{urllib.parse.quote(version)}"
        url, method, data = f"{index.upload_url.rstrip('/')}/{quoted}", "DELETE", None
    else:
        return Removal(False, f"{kind} index: no removal API", yank_steps(index, name, version))
    try:
        status, _, body = _request(url, method=method, data=data, headers=headers)
    except (OSError, ValueError) as exc:
        return Removal(False, mask(f"{kind}: {exc}", [token]), yank_steps(index, name, version))
    if 200 <= status < 300:
        return Removal(True, f"removed {name} {version} from {index.upload_url} ({kind})")
    first = body.strip().splitlines()[0] if body.strip() else ""
    return Removal(
        False,
        mask(f"{kind} refused the removal: HTTP {status} {first}".strip(), [token]),
        yank_steps(index, name, version),
    )
