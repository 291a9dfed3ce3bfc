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
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from ci_sessions._secrets import mask
from ci_sessions.release.settings import IndexSettings

PYPI_HOSTS = {"pypi.org": "https://pypi.org", "upload.pypi.org": "https://pypi.org",
              "test.pypi.org": "https://test.pypi.org"}  # fmt: skip
TIMEOUT = 30.0


@dataclass(frozen=True)
class Removal:
    """The outcome of removing a release: done, or the steps a person must take."""

    removed: bool
    detail: str
    steps: tuple[str, ...] = ()


def basic_auth(username: str, password: str) -> dict[str, str]:
    """The Authorization header of a login (none without a password)."""
    if not password:
        return {}
    raw = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
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
        status, headers, body = _request(index.upload)
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


def spellings(name: str, version: str, files: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The (name, version) pairs an index may know a release by: as its files spell them
    (``rel_pkg-1.0.tar.gz``: pypiserver looks releases up that way), the metadata's name, and
    the PEP 503 normalized name (``rel-pkg``)."""
    found: list[tuple[str, str]] = []
    for file in files:
        stem = file.removesuffix(".tar.gz").removesuffix(".zip").removesuffix(".whl")
        if file.endswith(".whl"):
            parts = stem.split("-")
            if len(parts) >= 5:
                found.append((parts[0], parts[1]))
        elif "-" in stem:
            spelt, _, spelt_version = stem.rpartition("-")
            found.append((spelt, spelt_version))
    found += [(name, version), (canonicalize_name(name), version)]
    return list(dict.fromkeys(found))


def remove(
    index: IndexSettings, name: str, version: str, token: str, files: Iterable[str] = ()
) -> Removal:
    """Remove every file of ``name`` ``version`` from the index, where its API allows it, under
    every spelling of the name the index may use (see :func:`spellings`)."""
    kind = kind_of(index)
    if kind not in ("pypiserver", "devpi"):
        return Removal(False, f"{kind} index: no removal API", yank_steps(index, name, version))
    user, password = index.login(token)
    headers = basic_auth(user, password)
    removed: list[str] = []
    refused: list[str] = []
    for spelt, spelt_version in spellings(name, version, files):
        if kind == "pypiserver":
            url, method = index.upload, "POST"
            data: bytes | None = urllib.parse.urlencode(
                {":action": "remove_pkg", "name": spelt, "version": spelt_version}
            ).encode()
            sent = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        else:
            quoted = f"{urllib.parse.quote(spelt)}/{urllib.parse.quote(spelt_version)}"
            url, method, data, sent = (
                f"{index.upload.rstrip('/')}/{quoted}",
                "DELETE",
                None,
                headers,
            )
        try:
            status, _, body = _request(url, method=method, data=data, headers=sent)
        except (OSError, ValueError) as exc:
            refused.append(f"{spelt}: {getattr(exc, 'reason', exc)}")
            continue
        if 200 <= status < 300:
            removed.append(spelt)
        elif status != 404:  # 404: not known under this spelling
            first = body.strip().splitlines()[0] if body.strip() else ""
            refused.append(f"{spelt}: HTTP {status} {first}".strip())
    secrets = [token, password]
    if removed and not refused:
        return Removal(
            True, f"removed {name} {version} from {index.upload} ({kind}, as {', '.join(removed)})"
        )
    detail = "; ".join(refused) or f"HTTP 404 for every spelling of {name} {version}"
    return Removal(
        False,
        mask(f"{kind} refused the removal: {detail}", secrets),
        yank_steps(index, name, version),
    )
