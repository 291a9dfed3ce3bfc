"""Local OSV advisories: PEP 440 range matching, YAML and JSON files, bad files named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_sessions.checks.security import advisories
from ci_sessions.errors import ConfigError


def osv(ident: str, name: str, events: list[dict[str, str]], **extra: object) -> dict[str, object]:
    return {
        "id": ident,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }


@pytest.mark.parametrize(
    ("events", "version", "affected"),
    [
        ([{"introduced": "0"}, {"fixed": "2.0"}], "1.9.9", True),
        ([{"introduced": "0"}, {"fixed": "2.0"}], "2.0", False),
        ([{"introduced": "0"}, {"fixed": "2.0"}], "2.0rc1", True),  # PEP 440: rc sorts before final
        ([{"introduced": "1.5"}, {"fixed": "2.0"}], "1.4", False),
        ([{"introduced": "1.5"}, {"last_affected": "1.7"}], "1.7", True),
        ([{"introduced": "1.5"}, {"last_affected": "1.7"}], "1.7.1", False),
        (
            [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
            "2.1",
            True,
        ),
        (
            [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
            "1.5",
            False,
        ),
        (
            [{"fixed": "3.0"}, {"introduced": "0"}],
            "2.0",
            True,
        ),  # event order in the file does not matter
        ([{"introduced": "0"}], "99", True),
        ([{"introduced": "1.0"}, {"fixed": "1.0.1"}], "1.0.0", True),  # 1.0 == 1.0.0 under PEP 440
    ],
)
def test_ranges_use_pep440(events: list[dict[str, str]], version: str, affected: bool) -> None:
    (advisory,) = advisories.parse(osv("X-1", "Demo_Pkg", events))
    assert advisory.affects(version) is affected


def test_explicit_versions_list_and_other_ecosystems() -> None:
    document = {
        "id": "PYSEC-1",
        "aliases": ["CVE-1"],
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": "a"}, "versions": ["1.0", "1.1"]},
            {"package": {"ecosystem": "npm", "name": "a"}, "versions": ["1.0"]},
        ],
        "database_specific": {"severity": "moderate"},
    }
    (advisory,) = advisories.parse(document)
    assert advisory.affects("1.1.0") and not advisory.affects("1.2")
    assert advisory.severity == "MODERATE"
    assert advisory.aliases == ("CVE-1",)


def test_directory_of_json_and_yaml_matched_against_installed(tmp_path: Path) -> None:
    (tmp_path / "six").mkdir()
    (tmp_path / "six" / "PYSEC-2099-1.json").write_text(
        json.dumps(
            osv(
                "PYSEC-2099-1", "six", [{"introduced": "0"}, {"fixed": "1.17.0"}], summary="bad six"
            )
        )
    )
    (tmp_path / "GHSA-xxxx.yaml").write_text(
        "id: GHSA-xxxx\naffected:\n- package: {ecosystem: PyPI, name: requests}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '2.0'\n    - fixed: '2.32.0'\n"
    )
    (tmp_path / "README.md").write_text("not an advisory")
    loaded = advisories.load_directory(tmp_path)
    assert sorted(a.id for a in loaded) == ["GHSA-xxxx", "PYSEC-2099-1"]
    hits = advisories.match(loaded, {"Six": "1.16.0", "requests": "2.32.3", "idna": "3.0"})
    assert [(h.advisory.id, h.package, h.version) for h in hits] == [
        ("PYSEC-2099-1", "Six", "1.16.0")
    ]
    assert hits[0].advisory.fixed_versions() == ["1.17.0"]
    assert hits[0].advisory.summary == "bad six"


def test_missing_directory_and_broken_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        advisories.load_directory(tmp_path / "nope")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError) as caught:
        advisories.load_directory(tmp_path)
    assert "bad.json" in caught.value.render()
    assert caught.value.key == "audit.advisories"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"affected": {"package": "six"}}, r"affected: expected a JSON list"),
        ({"affected": ["six"]}, r"affected\[0\]: expected a JSON object"),
        ({"affected": [{"package": "six"}]}, r"affected\[0\]: package: expected a JSON object"),
        ({"affected": [{"package": {"ecosystem": "PyPI", "name": "six"}, "ranges": ["x"]}]},
         r"affected\[0\]: ranges\[0\]: expected a JSON object"),
        ({"affected": [{"package": {"ecosystem": "PyPI", "name": "six"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [["fixed", "2"]]}]}]},
         r"ranges\[0\]: events\[0\]: expected a JSON object"),
        ({"affected": [{"package": {"ecosystem": "PyPI", "name": "six"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": None}]}]}]},
         r"events\[0\]\.fixed: expected a version"),
        ({"affected": [{"package": {"ecosystem": "PyPI", "name": "six"}, "versions": "1.0"}]},
         r"affected\[0\]: versions: expected a JSON list"),
        ({"affected": [{"package": {"ecosystem": "PyPI", "name": "six"}, "versions": [{}]}]},
         r"versions\[0\]: expected a version"),
    ],
)  # fmt: skip
def test_an_advisory_of_another_shape_is_a_config_error_naming_the_file(
    tmp_path: Path, change: dict[str, object], where: str
) -> None:
    document = {**osv("PYSEC-9", "six", [{"introduced": "0"}]), **change}
    (tmp_path / "PYSEC-9.json").write_text(json.dumps(document))
    with pytest.raises(ConfigError, match=where) as caught:
        advisories.load_directory(tmp_path)
    assert "PYSEC-9.json" in caught.value.render()


def test_yaml_versions_read_as_numbers_still_match() -> None:
    document = {"id": "X-2", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"},
                                           "versions": [1.5], "ranges": [{"type": "ECOSYSTEM",
                                           "events": [{"introduced": 2}, {"fixed": 2.5}]}]}]}  # fmt: skip
    (advisory,) = advisories.parse(document)
    assert advisory.affects("1.5") and advisory.affects("2.1") and not advisory.affects("2.5")
