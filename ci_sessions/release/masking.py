"""Tokens never reach output: every text shown or recorded passes through :func:`mask` first."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "****"
#: ``scheme://user:password@host``: the password part of a URL
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@", re.IGNORECASE)


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret, and any password inside a URL, replaced by ``****``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)
