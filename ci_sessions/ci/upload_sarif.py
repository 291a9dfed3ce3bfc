"""``github/codeql-action/upload-sarif`` run locally: the file is validated, not uploaded.

Code scanning rejects a SARIF file that breaks the SARIF 2.1.0 schema; the schema ships beside
this module (``sarif-schema-2.1.0.json``, OASIS errata 01) and is checked with jsonschema, which
is not part of a plain install (``ci-sessions[sarif]``): without it the step says it could not
check the file, never that the file is valid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

from ci_sessions.errors import MissingValidator, SarifError

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")


def sarif_files(path: Path) -> list[Path]:
    """The file, or the ``*.sarif`` files of a folder (as upload-sarif takes either)."""
    if path.is_dir():
        return sorted(path.rglob("*.sarif"))
    if path.is_file():
        return [path]
    raise SarifError(f"{path.name}: path does not exist")


def validate(path: Path) -> int:
    """Check one SARIF file; return its number of results."""
    try:
        import jsonschema  # optional (the [sarif] extra): only a workflow that uploads SARIF needs it
    except ImportError:
        raise MissingValidator(
            "not checked: jsonschema is not installed; "
            "pip install 'ci-sessions[sarif]' to validate SARIF locally"
        ) from None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SarifError(f"{path.name}: not readable JSON: {error}") from None
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    found = validator.iter_errors(data)  # pyright: ignore[reportUnknownMemberType]
    problems = sorted(found, key=lambda e: [str(p) for p in e.path])
    if problems:
        shown = [
            f"{'/'.join(str(p) for p in e.path) or '(top)'}: {e.message}" for e in problems[:5]
        ]
        raise SarifError(f"{path.name}: not valid SARIF 2.1.0:\n  " + "\n  ".join(shown))
    runs = cast("list[dict[str, object]]", data.get("runs") or [])
    return sum(len(cast("list[object]", run.get("results") or [])) for run in runs)
