"""Values of GitHub expressions and GitHub's coercions: string and number forms, truthiness,
loose equality (mismatched types compare as numbers, strings ignore case), property lookup."""

from __future__ import annotations

import math
import re

from ci_sessions._github_yaml import Value as Value  # where a workflow's values come from


class Filtered(list[Value]):
    """The result of ``.*``: further property access applies to every element."""


def format_number(number: int | float) -> str:
    if isinstance(number, bool):
        return "true" if number else "false"
    if isinstance(number, int):
        return str(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return format(number, ".15g")


def to_string(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, str):
        return value
    return "Array" if isinstance(value, list) else "Object"


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def to_number(value: Value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        if re.fullmatch(r"0x[0-9a-fA-F]+", text):
            return float(int(text, 16))
        return float(text) if _NUMBER.fullmatch(text) else math.nan
    return math.nan


def truthy(value: Value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def kind(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def equals(left: Value, right: Value) -> bool:
    """GitHub's ``==``: mismatched types compare as numbers, strings ignore case."""
    kinds = (kind(left), kind(right))
    if kinds[0] != kinds[1]:
        return to_number(left) == to_number(right)
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if kinds[0] in ("array", "object"):
        return left is right
    return left == right


def compare(op: str, left: Value, right: Value) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.casefold(), right.casefold()
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if kind(left) in ("array", "object") or kind(right) in ("array", "object"):
        return False
    x, y = to_number(left), to_number(right)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def lookup(value: Value, key: str) -> Value:
    """``value.key``: object keys are case-insensitive, a missing one is null."""
    if isinstance(value, Filtered):
        found = Filtered()
        for item in value:
            got = lookup(item, key)
            if got is not None:
                found.append(got)
        return found
    if isinstance(value, dict):
        if key in value:
            return value[key]
        folded = key.casefold()
        for name, item in value.items():
            if name.casefold() == folded:
                return item
    return None
