"""The one reader of test outcomes: per-test outcomes and counts, with ids you can paste into pytest.

Two sources: JUnit XML (what CI systems read) and the compact outcomes file of the ci-sessions
pytest plugin (cheaper on big suites). The tests check reads its own run with it, the history
records and imports with it, and the failure classifier reads the failed tests from it, so a test
has one id and one outcome everywhere. A test case carrying both a ``<failure>`` and an ``<error>`` counts as failed: the
test's own verdict comes before what went wrong around it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

from ci_sessions.results import Status

#: the order in which a test case's child elements decide its outcome
_OUTCOME_TAGS = (("failure", "failed"), ("error", "error"), ("skipped", "skipped"))
FAILED_OUTCOMES = ("failed", "error")
#: pytest's JUnit spelling of an expected failure: ``<skipped type="pytest.xfail">``
_XFAIL_TYPE = "pytest.xfail"


@dataclass(frozen=True)
class TestOutcome:
    """One test case: its id, outcome (passed | failed | error | skipped | xfailed), time and
    message. An xfailed test ran and failed as expected (pytest counts it apart from skips)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    test_id: str
    outcome: str
    duration: float = 0.0
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


@dataclass
class JUnitReport:
    """Every test case of one report, in file order."""

    outcomes: list[TestOutcome] = field(default_factory=list[TestOutcome])

    def count(self, outcome: str) -> int:
        return sum(1 for t in self.outcomes if t.outcome == outcome)

    @property
    def tests(self) -> int:
        return len(self.outcomes)

    @property
    def failures(self) -> int:
        return self.count("failed")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def xfailed(self) -> int:
        return self.count("xfailed")

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> list[TestOutcome]:
        return [t for t in self.outcomes if t.failed]

    @property
    def status(self) -> Status:
        """FAIL if any test failed or errored, PASS if some ran, SKIP for an empty report."""
        if self.failed:
            return Status.FAIL
        return Status.PASS if self.outcomes else Status.SKIP


def node_id(root: Path | None, classname: str, name: str) -> str:
    """A pytest node id (``tests/test_x.py::TestA::test_b[1]``) from JUnit's names.

    JUnit spells the file as a dotted module in ``classname``; the longest prefix that is a file
    under ``root`` becomes the path. Without a match it stays ``classname::name``.
    """
    parts = classname.split(".") if classname else []
    if root is not None:
        for cut in range(len(parts), 0, -1):
            candidate = Path(*parts[:cut]).with_suffix(".py")
            if (root / candidate).is_file():
                return "::".join([candidate.as_posix(), *parts[cut:], name])
    return "::".join([classname, name]) if classname else name


def parse_junit(path: Path, root: Path | None = None) -> JUnitReport:
    """Read a JUnit XML file; ``root`` (the project) turns ids into pytest node ids.

    Raises ``ElementTree.ParseError`` or ``OSError`` for a file that is not readable XML.
    """
    tree = ElementTree.parse(path)  # noqa: S314 - a report a test run of the project wrote
    report = JUnitReport()
    for case in tree.getroot().iter("testcase"):
        outcome, message = "passed", ""
        for tag, name in _OUTCOME_TAGS:
            element = case.find(tag)
            if element is not None:
                outcome = "xfailed" if element.get("type") == _XFAIL_TYPE else name
                message = (element.get("message") or element.text or "").strip()
                break
        try:
            duration = float(case.get("time", "0") or 0)
        except ValueError:
            duration = 0.0
        test_id = node_id(root, case.get("classname", ""), case.get("name", ""))
        report.outcomes.append(TestOutcome(test_id, outcome, duration, message[:2000]))
    return report


def read_junit(path: Path | None, root: Path | None = None) -> JUnitReport:
    """Like :func:`parse_junit`, but an empty report when the file is missing or unreadable."""
    if path is None:
        return JUnitReport()
    try:
        return parse_junit(path, root)
    except (ElementTree.ParseError, OSError):
        return JUnitReport()


#: the last outcomes file read: a run's file is read by the check, by its incremental state and
#: by the history, and on a 60,000-test suite each read costs a noticeable fraction of a second.
#: Keyed by the file, not its name: the check reads its own file, then publishes it by renaming
_LAST_READ: dict[tuple[int, int, int, int, str], JUnitReport] = {}


def parse_outcomes(path: Path, root: Path | None = None) -> JUnitReport:
    """Read the outcomes file of the ci-sessions pytest plugin (``checks/pytest_plugin``).

    Its ids are pytest node ids relative to pytest's rootdir; they are made relative to ``root``
    when the rootdir is a folder inside it. Raises ``OSError`` or ``ValueError`` for a file that is
    not such a document.
    """
    stat = path.stat()
    key = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size, str(root))
    known = _LAST_READ.get(key)
    if known is not None:
        return JUnitReport(list(known.outcomes))
    report = _parse_outcomes(path, root)
    _LAST_READ.clear()
    _LAST_READ[key] = report
    return JUnitReport(list(report.outcomes))


def _parse_outcomes(path: Path, root: Path | None) -> JUnitReport:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} is not a ci-sessions outcomes file")
    document = cast("dict[str, Any]", data)
    if document.get("format") != 1:
        raise ValueError(f"{path.name} is not a ci-sessions outcomes file")
    prefix = ""
    if root is not None:
        try:
            inner = Path(str(document.get("rootdir", ""))).resolve().relative_to(root.resolve())
        except ValueError:
            inner = Path()
        prefix = "" if inner == Path() else inner.as_posix() + "/"
    report = JUnitReport()
    append = report.outcomes.append
    for row in cast("list[list[Any]]", document.get("tests", [])):
        node, outcome, seconds, message = row
        append(TestOutcome(prefix + str(node), str(outcome), float(seconds), str(message)))
    return report


def read_outcomes(path: Path | None, root: Path | None = None) -> JUnitReport:
    """Like :func:`parse_outcomes`, but an empty report when the file is missing or unreadable."""
    if path is None:
        return JUnitReport()
    try:
        return parse_outcomes(path, root)
    except (OSError, ValueError, TypeError):
        return JUnitReport()
