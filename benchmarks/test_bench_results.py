"""How long the results.json round trip of a large run takes (written after every session)."""

from __future__ import annotations

import json

from ci_sessions.results import CheckResult, Finding, Gate, RunRecord, Status


def _record() -> RunRecord:
    results = [
        CheckResult(
            check="lint",
            session="essential",
            status=Status.FAIL,
            gates=[Gate("findings", Status.FAIL, 200, 0)],
            metrics={"findings": 200},
            findings=[
                Finding("ruff", f"F{i % 9}01", f"message {i}", f"pkg/module_{i % 40}.py", i, 1)
                for i in range(200)
            ],
        )
        for _ in range(5)
    ]
    return RunRecord(run_id="abc", project="demo", started=0.0, results=results)


def test_results_json_round_trip(benchmark) -> None:  # type: ignore[no-untyped-def]
    record = _record()

    def round_trip() -> RunRecord:
        return RunRecord.from_json(json.loads(json.dumps(record.to_json())))

    back = benchmark(round_trip)
    assert len(back.results[0].findings) == 200
