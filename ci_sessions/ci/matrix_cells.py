"""``strategy.matrix`` to the list of cells, with GitHub's include/exclude rules.

Cells are the product of the matrix's keys (in file order), minus every combination an
``exclude`` entry partly matches; then each ``include`` entry is merged into every original
combination whose original values it does not change, or becomes a cell of its own when it fits
none. A matrix of only ``include`` is its entries.
"""

from __future__ import annotations

import itertools
import json
import re

from ci_sessions.ci.values import Value, to_string
from ci_sessions.errors import MatrixError

Cell = dict[str, Value]

#: GitHub's limit: "A matrix will generate a maximum of 256 jobs per workflow run"
MAX_JOBS = 256
#: combinations expanded at most before ``exclude`` applies (more cannot come down to 256)
MAX_COMBINATIONS = 65_536


def expand(matrix: Value) -> list[Cell]:
    if not isinstance(matrix, dict):
        raise MatrixError(f"a matrix must be a mapping, got {_show(matrix)}")
    include = _entries(matrix.get("include"), "include")
    exclude = _entries(matrix.get("exclude"), "exclude")
    keys = [k for k in matrix if k not in ("include", "exclude")]
    vectors: list[list[Value]] = []
    for key in keys:
        vector = matrix[key]
        if not isinstance(vector, list):
            raise MatrixError(f"matrix vector {key!r} must be a list, got {_show(vector)}")
        if not vector:
            raise MatrixError(f"matrix vector {key!r} does not contain any values")
        vectors.append(vector)
    product = 1
    for vector in vectors:
        product *= len(vector)
    if product > MAX_COMBINATIONS:
        raise MatrixError(
            f"the matrix makes {product:,} combinations before exclude: GitHub runs at most "
            f"{MAX_JOBS} jobs per matrix"
        )
    original: list[Cell] = (
        [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*vectors)]
        if keys
        else []
    )
    original = [
        cell
        for cell in original
        if not any(all(cell.get(k) == v for k, v in entry.items()) for entry in exclude)
    ]
    cells = [dict(cell) for cell in original]
    for entry in include:
        merged = False
        for cell, base in zip(cells, original, strict=False):
            if all(base[k] == v for k, v in entry.items() if k in base):
                cell.update(entry)
                merged = True
        if not merged:
            cells.append(dict(entry))
    if not cells:
        raise MatrixError("the matrix has no cell (every combination was excluded)")
    if len(cells) > MAX_JOBS:
        raise MatrixError(
            f"the matrix makes {len(cells)} jobs: GitHub runs at most {MAX_JOBS} jobs per matrix"
        )
    return cells


def _entries(value: Value, key: str) -> list[dict[str, Value]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise MatrixError(f"matrix {key} must be a list of mappings, got {_show(value)}")
    return [v for v in value if isinstance(v, dict)]


def _show(value: Value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def label(cell: Cell) -> str:
    """How GitHub names a cell: its values in order, ``3.12, ubuntu-latest``."""
    return ", ".join(
        json.dumps(v, separators=(",", ":")) if isinstance(v, dict | list) else to_string(v)
        for v in cell.values()
    )


def slug(text: str) -> str:
    """A file-name-safe form of a job or cell name."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return cleaned[:80] or "default"
