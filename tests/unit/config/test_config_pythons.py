"""The Pythons a project declares (classifiers, requires-python, configuration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions._interpreters import current
from ci_sessions.config import Config, load_config
from ci_sessions.config.pythons import declared_versions, found_here, require_default_python
from ci_sessions.errors import ConfigError


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


def _config(tmp_path: Path, table: str) -> Config:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\nversion = "1"\n\n[tool.ci-sessions]\n{table}\n', encoding="utf-8"
    )
    return load_config(tmp_path, environ={})


def test_a_default_python_this_machine_lacks_is_a_configuration_error(tmp_path: Path) -> None:
    config = _config(tmp_path, 'default-python = "3.99"')
    with pytest.raises(ConfigError) as caught:
        require_default_python(config)
    message = caught.value.render()
    assert caught.value.exit_code == 2
    assert "default-python" in message and "3.99" in message
    assert f"found here: {', '.join(found_here())})" in message  # what exists instead
    assert current() in found_here()


def test_a_default_python_that_exists_or_may_be_downloaded_is_fine(tmp_path: Path) -> None:
    require_default_python(_config(tmp_path, f'default-python = "{current()}"'))
    require_default_python(_config(tmp_path, 'default-python = "3.99"\ndownload-python = true'))
    require_default_python(_config(tmp_path, ""))  # derived: always one that exists


def test_pythons_ci_sessions_cannot_test_on_are_never_declared() -> None:
    """Jinja2 says requires-python >= 3.7: with Python 3.7 installed here (pyenv), the derived
    list held 3.7, init wrote it into [tool.ci-sessions] python, and the configuration it wrote
    was then refused (ci-sessions tests on 3.8 and newer)."""
    old = {"project": {"requires-python": ">=3.7"}}
    versions, origin = declared_versions([], old)
    assert origin == "requires-python (interpreters found here)"
    assert versions and all(tuple(map(int, v.split("."))) >= (3, 8) for v in versions)
    listed = {"project": {"classifiers": ["Programming Language :: Python :: 3.7",
                                          "Programming Language :: Python :: 3.12"]}}  # fmt: skip
    assert declared_versions([], listed) == (["3.12"], "classifiers")
