"""Secrets never leave a command: every text shown or stored passes through :func:`mask` first.

A secret is a value the command knows to be one (a token read from the environment, a
``--secret`` of ``ci-sessions ci``, a value a step asked to mask); and the password in any URL
(``https://user:password@host/``), or a whole userinfo without a password (``https://TOKEN@host``),
is masked wherever it appears, known or not. One function for every exit: terminal output, logs,
messages, history rows, summaries.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit, urlunsplit

MASK = "****"
#: values shorter than this are not masked (masking "1" would garble every number shown)
MIN_LENGTH = 4
#: ``scheme://user:password@`` and ``scheme://token@``: the credentials in a URL
_USERINFO = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]*://)(?P<user>[^/\s:@]+)(?::(?P<password>[^/\s@]*))?@",
    re.IGNORECASE,
)


def _hide(match: re.Match[str]) -> str:
    if match.group("password") is None:
        return f"{match.group('head')}{MASK}@"
    return f"{match.group('head')}{match.group('user')}:{MASK}@"


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret, and the credentials inside any URL, replaced by ``****``."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _USERINFO.sub(_hide, text)


def split_credentials(url: str) -> tuple[str, str, str]:
    """``(url without userinfo, user, password)``: credentials go to a tool through its
    environment, never on a command line other users can read."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, "", ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit(SplitResult(parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, parts.username or "", parts.password or ""


class Secrets:
    """The secrets of one run, added to while it goes on (a step's ``::add-mask::``), shared by
    threads."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = {v for v in values if v}

    def add(self, value: str) -> None:
        if value:
            with self._lock:
                self._values.add(value)
                # a multi-line value is masked line by line too, as GitHub does
                self._values.update(line for line in value.splitlines() if line)

    @property
    def values(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._values)

    @property
    def longest(self) -> int:
        with self._lock:
            return max((len(v) for v in self._values), default=0)

    def mask(self, text: str) -> str:
        return mask(text, self.values)
