"""GitHub's YAML: a workflow file read as GitHub reads it, for every reader of one (``ci``,
``validate``, ``migrate``).

GitHub's parser follows the YAML 1.2 core schema (actions/runner's ``YamlObjectReader``); PyYAML's
SafeLoader reads YAML 1.1, where many plain scalars mean something else. Here, as on GitHub:
only ``true``/``false`` (``True``, ``TRUE``, ...) are booleans, so ``on:`` is a key and
``yes``/``no``/``on``/``off`` are text; integers are decimal, ``0o`` octal or ``0x`` hex
(``010`` is ten; ``0b1``, ``1_000`` and ``1:30`` are text); ``1e3`` is a number; null is ``~``,
``null`` or nothing; a date is text. Mappings and lists remember the line where each value
starts, so an error anywhere names it, and a key given twice is refused, as GitHub does.
"""

from __future__ import annotations

import re
from typing import TypeAlias, cast

import yaml

from ci_sessions.errors import YamlError

#: what a workflow holds (and what GitHub's expressions work on)
Value: TypeAlias = "bool | int | float | str | list[Value] | dict[str, Value] | None"


class YamlMap(dict[str, Value]):
    """A mapping from the file, with the line where each value starts (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class YamlList(list[Value]):
    """A sequence from the file, with the line of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's plain scalars and line-aware containers."""


#: (tag, plain scalar, first characters): the YAML 1.2 core schema, as GitHub's reader has it;
#: ints before floats (``10`` matches both). Merge keys (``<<``) are read as PyYAML reads them.
_CORE_SCHEMA = (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN)",
        "-+.0123456789",
    ),
    ("null", r"~|null|Null|NULL|", "~nN"),
    ("merge", r"<<", "<"),
)
_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in _CORE_SCHEMA:
    _Loader.add_implicit_resolver(  # pyright: ignore[reportUnknownMemberType]
        f"tag:yaml.org,2002:{_tag}",
        re.compile(f"^(?:{_pattern})$"),
        [*_first, ""] if _tag == "null" else list(_first),
    )


def _value_line(node: yaml.Node) -> int:
    """The line where a value's text starts: a ``|`` or ``>`` block starts below its indicator."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line += 1
    return line


def _construct(loader: _Loader, node: yaml.Node) -> Value:
    return cast("Value", loader.construct_object(node, deep=True))  # pyright: ignore[reportUnknownMemberType]


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))  # pyright: ignore[reportUnknownMemberType]
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)  # decimal, leading zeros and all: 010 is ten


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = _construct(loader, key_node)
        name = ("true" if key else "false") if isinstance(key, bool) else str(key)
        if name in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {name!r}", key_node.start_mark
            )
        value = _construct(loader, value_node)
        result[name] = value
        result.lines[name] = _value_line(value_node)
    return result


def _construct_list(loader: _Loader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(node.start_mark.line + 1)
    for item in node.value:
        value = _construct(loader, item)
        result.append(value)
        result.lines.append(_value_line(item))
    return result


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)  # pyright: ignore[reportUnknownMemberType]
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)  # pyright: ignore[reportUnknownMemberType]
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)  # pyright: ignore[reportUnknownMemberType]


def parse(text: str) -> Value:
    """The workflow's data as GitHub reads it; a YamlError with the line (0: unknown) and the
    problem when it is not valid YAML."""
    try:
        return cast("Value", yaml.load(text, Loader=_Loader))  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = str(getattr(error, "problem", "") or error).strip()
        raise YamlError(problem, line=mark.line + 1 if mark is not None else 0) from None
    except RecursionError:
        raise YamlError("nested too deeply to read") from None
