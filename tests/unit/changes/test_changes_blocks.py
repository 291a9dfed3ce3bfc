"""Outlines and function bodies: what importing a module depends on, and what running one of its
functions does."""

from __future__ import annotations

from ci_sessions.changes.blocks import block_at, outline

SOURCE = '''"""Module."""

import functools

LIMIT = 3


@functools.cache
def first(x):
    """Doc."""
    return x + LIMIT


class Box:
    size = 2

    def grow(self, n):
        def inner():
            return n
        return inner() * self.size

    @property
    def area(self):
        return self.size**2


if LIMIT:
    def late():
        return 1


def short(): return 5
'''


def test_blocks_are_functions_not_nested_in_functions_with_stable_names() -> None:
    _skeleton, blocks = outline(SOURCE.encode())
    assert [b.ident for b in blocks] == ["first#0", "Box.grow#0", "Box.area#0", "late#0"]
    first = blocks[0]
    assert (first.start, first.end) == (8, 11)  # from its decorator: what co_firstlineno says
    assert block_at(blocks, 19).ident == "Box.grow#0"  # `inner` is part of grow
    assert block_at(blocks, 5) is None and block_at(blocks, 32) is None  # module level, a one-liner


def test_an_edit_in_a_body_changes_that_body_only() -> None:
    skeleton, blocks = outline(SOURCE.encode())
    edited = SOURCE.replace("return n\n", "return n + 1\n")
    skeleton2, blocks2 = outline(edited.encode())
    assert skeleton2 == skeleton
    assert [b.digest for b in blocks2] != [b.digest for b in blocks]
    assert blocks2[0].digest == blocks[0].digest and blocks2[2].digest == blocks[2].digest


def test_what_importing_does_is_the_outline() -> None:
    skeleton, _ = outline(SOURCE.encode())
    for old, new in [
        ("LIMIT = 3", "LIMIT = 4"),  # module level
        ("size = 2", "size = 3"),  # a class body
        ('"""Doc."""', '"""Other doc."""'),  # a docstring (__doc__, doctests)
        ("def grow(self, n):", "def grow(self, n=1):"),  # a def line
        ("@functools.cache\n", ""),  # a decorator
        ("return n\n", "return n\n        pass\n"),  # a body edit that moves the lines below
        ("return x + LIMIT", "yield x + LIMIT"),  # a function that becomes a generator
        ("def short(): return 5", "def short(): return 6"),  # a body on the def line
    ]:
        assert old in SOURCE
        assert outline(SOURCE.replace(old, new, 1).encode())[0] != skeleton, old


def test_a_file_that_does_not_parse_is_all_outline() -> None:
    skeleton, blocks = outline(b"def broken(:\n")
    assert blocks == [] and skeleton == outline(b"def broken(:\n")[0]
    assert outline(b"def broken(:\n  x\n")[0] != skeleton
