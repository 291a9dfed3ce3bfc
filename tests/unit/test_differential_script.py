"""benchmarks/differential.py run on some projects keeps the committed figures of the others."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from differential import with_earlier


def test_a_run_of_some_projects_keeps_the_other_projects_entries_and_edits(
    tmp_path: Path,
) -> None:
    out = tmp_path / "differential-results.json"
    out.write_text(
        json.dumps(
            {
                "projects": {"a": {"edits": 1}, "b": {"edits": 1}},
                "edits": [{"project": "a", "what": "old a"}, {"project": "b", "what": "old b"}],
            }
        )
    )
    results = {"a": {"edits": 1}}
    every = with_earlier(out, results, [{"project": "a", "what": "new a"}])
    assert results == {"a": {"edits": 1}, "b": {"edits": 1}}
    assert every == [{"project": "a", "what": "new a"}, {"project": "b", "what": "old b"}]
    assert with_earlier(tmp_path / "none.json", {}, []) == []
