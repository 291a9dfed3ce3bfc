"""Where the packaged configs/ and templates/ are: inside the wheel, or beside the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the directory ``configs`` or ``templates``, installed or from a checkout."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"ci-sessions data directory {name!r} is missing from the installation")


def config_file(name: str) -> Path:
    """A packaged YAML file from configs/, e.g. ``quality-tiers.yaml``."""
    return data_dir("configs") / name
