"""strategy.matrix expansion with GitHub's include/exclude rules."""

from __future__ import annotations

import pytest

from ci_sessions.ci.matrix_cells import expand, label, slug
from ci_sessions.ci.values import Value
from ci_sessions.errors import MatrixError


def test_product_in_key_order() -> None:
    cells = expand({"python": ["3.11", "3.12"], "os": ["ubuntu-latest", "macos-latest"]})
    assert cells == [
        {"python": "3.11", "os": "ubuntu-latest"},
        {"python": "3.11", "os": "macos-latest"},
        {"python": "3.12", "os": "ubuntu-latest"},
        {"python": "3.12", "os": "macos-latest"},
    ]


def test_exclude_matches_partially() -> None:
    cells = expand(
        {
            "python": ["3.11", "3.12"],
            "os": ["ubuntu-latest", "macos-latest"],
            "exclude": [{"os": "macos-latest", "python": "3.11"}],
        }
    )
    assert {"python": "3.11", "os": "macos-latest"} not in cells
    assert len(cells) == 3
    assert expand({"a": [1, 2, 3], "exclude": [{"a": 2}]}) == [{"a": 1}, {"a": 3}]


def test_include_follows_the_documented_example() -> None:
    """The example of GitHub's documentation, "Expanding or adding matrix configurations"."""
    cells = expand(
        {
            "fruit": ["apple", "pear"],
            "animal": ["cat", "dog"],
            "include": [
                {"color": "green"},
                {"color": "pink", "animal": "cat"},
                {"fruit": "apple", "shape": "circle"},
                {"fruit": "banana"},
                {"fruit": "banana", "animal": "cat"},
            ],
        }
    )
    assert cells == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_a_matrix_of_only_include_is_its_entries() -> None:
    """What `ci-sessions matrix` prints: every entry is a cell of its own."""
    entries: list[Value] = [
        {"session": "tests-3.11", "python": "3.11", "os": "ubuntu-latest"},
        {"session": "tests-3.12", "python": "3.12", "os": "ubuntu-latest"},
    ]
    assert expand({"include": entries}) == entries


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ({"package": []}, "does not contain any values"),
        ({"package": "a"}, "must be a list"),
        ("not a mapping", "must be a mapping"),
        ({"a": [1], "exclude": [{"a": 1}]}, "no cell"),
        ({"include": "x"}, "list of mappings"),
    ],
)
def test_matrices_github_refuses(matrix: Value, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        expand(matrix)


def test_cell_labels_and_file_names() -> None:
    assert label({"python": "3.12", "os": "ubuntu-latest"}) == "3.12, ubuntu-latest"
    assert label({"n": 3, "flag": True, "obj": {"a": 1}}) == '3, true, {"a":1}'
    assert slug("3.12, ubuntu-latest") == "3.12-ubuntu-latest"
    assert slug("../../etc") == "etc"
    assert slug("") == "default"
