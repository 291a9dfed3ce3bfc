"""From a git diff to what must run: changed files and their categories (``detect``), monorepo
packages (``monorepo``, ``selection``), and the tests a change reaches (``affected``)."""

from ci_sessions.changes.detect import ChangeReport, Rules, detect_changes
from ci_sessions.changes.monorepo import Package, discover_packages

__all__ = ["ChangeReport", "Package", "Rules", "detect_changes", "discover_packages"]
