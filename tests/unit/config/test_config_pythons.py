"""The Pythons a project declares (classifiers, requires-python, configuration)."""

from __future__ import annotations

from ci_sessions.config.pythons import declared_versions


def test_declared_python_versions() -> None:
    classifiers = {
        "project": {
            "classifiers": [
                "Programming Language :: Python :: 3",
                "Programming Language :: Python :: 3.12",
                "Programming Language :: Python :: 3.10",
            ]
        }
    }
    assert declared_versions([], classifiers) == (["3.10", "3.12"], "classifiers")
    assert declared_versions(["3.13", "3.11"], classifiers)[0] == ["3.11", "3.13"]
