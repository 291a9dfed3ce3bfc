"""Which modules a loader's call asks for, read from its arguments as it starts: a module asked
for by a computed name that is loaded already runs no import, so this is all the tracker sees."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import EntryPoint
from types import SimpleNamespace
from typing import Any

from ci_sessions.checks.pytest import PLUGIN_DIR

sys.path.insert(0, str(PLUGIN_DIR))

from ci_sessions_pytest_reach import asked_modules


def frame_of(func: Any, *args: Any, **kwargs: Any) -> Any:
    """The frame of ``func`` as it runs with these arguments (taken by a trace at its start)."""
    caught: list[Any] = []

    def tracer(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is func.__code__ and not caught:
            caught.append(frame)

    sys.setprofile(tracer)
    try:
        func(*args, **kwargs)
    except Exception:  # noqa: S110 - only the frame's arguments matter here
        pass
    finally:
        sys.setprofile(None)
    return caught[0]


def test_an_import_module_call_asks_for_the_module_and_its_packages() -> None:
    frame = frame_of(importlib.import_module, "json.decoder")
    assert asked_modules(frame) == ["json", "json.decoder"]


def test_a_relative_name_is_resolved_against_its_package() -> None:
    assert asked_modules(frame_of(importlib.import_module, ".decoder", "json")) == [
        "json",
        "json.decoder",
    ]
    assert asked_modules(frame_of(importlib.import_module, "..scanner", "json.decoder")) == [
        "json",
        "json.scanner",
    ]


def test_an_entry_point_asks_for_its_module() -> None:
    point = EntryPoint(name="x", value="json.decoder:JSONDecoder", group="g")
    assert asked_modules(frame_of(EntryPoint.load, point)) == [
        "json",
        "json.decoder",
        "json.decoder.JSONDecoder",
    ]


def test_a_reload_asks_for_the_module_it_is_given() -> None:
    # not a module: reload refuses it after it started (nothing is reloaded under other tests)
    given = SimpleNamespace(__name__="json.decoder")
    assert asked_modules(frame_of(importlib.reload, given)) == ["json", "json.decoder"]


def test_no_frame_asks_for_nothing() -> None:
    assert asked_modules(None) == []
