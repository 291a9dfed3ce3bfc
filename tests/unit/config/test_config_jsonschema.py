"""The JSON Schema of [tool.ci-sessions]: generated from the settings schema, equal to the committed
file, valid draft-07, accepting every example in docs/ and rejecting what the loader rejects."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ci_sessions.config import load_config
from ci_sessions.config.jsonschema import json_schema, render
from ci_sessions.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "ci-sessions.schema.json"
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.S | re.M)


def _as_json(value: Any) -> Any:
    """What an editor validates: TOML dates become RFC 3339 strings."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def doc_examples() -> list[tuple[str, dict[str, Any]]]:
    """Every ```toml block of docs/ and the README holding [tool.ci-sessions], by file:line."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]:
        text = path.read_text(encoding="utf-8")
        for match in _TOML_BLOCK.finditer(text):
            line = text[: match.start()].count("\n") + 1
            where = f"{path.relative_to(ROOT).as_posix()}:{line}"
            data = tomllib.loads(match.group(1))  # a block that is not TOML fails here
            table = data.get("tool", {}).get("ci-sessions")
            if table is not None:
                found.append((where, table))
    return found


EXAMPLES = doc_examples()


def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json_schema(), format_checker=jsonschema.FormatChecker())


def test_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/ci-sessions.schema.json drifted: regenerate it with "
        "`ci-sessions config --schema > docs/ci-sessions.schema.json`"
    )


def test_schema_is_valid_draft_07_in_schemastore_form() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == "https://json.schemastore.org/partial-ci-sessions.json"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["lint"]["properties"]["max-findings"]["title"] == (
        "CI_SESSIONS_LINT_MAX_FINDINGS"
    )


def test_the_docs_have_examples_to_check() -> None:
    assert len(EXAMPLES) >= 20, [where for where, _ in EXAMPLES]


@pytest.mark.parametrize(("where", "table"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_every_docs_example_validates_and_loads(
    where: str, table: dict[str, Any], tmp_path: Path
) -> None:
    errors = [e.message for e in validator().iter_errors(_as_json(table))]
    assert not errors, f"{where}: {errors}"
    load_config(tmp_path, environ={}, table=table)  # the loader agrees


BAD = [
    ({"lint": {"max-finding": 2}}, "misspelt key"),
    ({"jobz": 2}, "misspelt top-level key"),
    ({"jobs": "two"}, "wrong type"),
    ({"jobs": -1}, "below the minimum"),
    ({"venv-backend": "uvv"}, "not a choice"),
    ({"python": ["3.12", "banana"]}, "not a version"),
    ({"python": ["2.7"]}, "unsupported Python"),
    ({"coverage": {"min": 150}}, "above the maximum"),
    ({"tools": {"ruff": 17}}, "map value of the wrong type"),
    ({"tiers": {"quick": "lint"}}, "tier not a list"),
    ({"sast": {"allow": [{"id": "B101", "reason": "x"}]}}, "allow entry without expires"),
    ({"sast": {"allow": [{"id": "B101", "reason": "x", "expires": "soon"}]}}, "not a date"),
    (
        {"publish": {"indexes": {"staging": {"upload-url": "https://x"}}}},
        "index without simple-url",
    ),
    ({"release": {"changelog": True}}, "changelog true"),
]


@pytest.mark.parametrize(("table", "why"), BAD, ids=[why for _, why in BAD])
def test_schema_and_loader_reject_the_same_mistakes(
    table: dict[str, Any], why: str, tmp_path: Path
) -> None:
    assert list(validator().iter_errors(table)), f"the schema accepts: {why}"
    with pytest.raises(ConfigError):
        load_config(tmp_path, environ={}, table=table)
