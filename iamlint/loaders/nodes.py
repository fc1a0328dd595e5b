"""A neutral syntax tree that every loader can produce, with offsets.

JSON, YAML and HCL all reduce to objects, arrays and scalars. Loaders build
these nodes with [start, end) offsets into their source text; a Locator
turns offsets into Spans, so one policy-document builder serves them all.
A scalar may hold an Unknown for what a loader could not resolve.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from typing import Protocol

from iamlint.model import Scalar, Span, Unknown


class JNode:
    """A parsed value with its [start, end) offsets in the text."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end


class JScalar(JNode):
    __slots__ = ("from_default", "value")

    def __init__(
        self, value: Scalar | Unknown, start: int, end: int, from_default: bool = False
    ) -> None:
        super().__init__(start, end)
        self.value = value
        self.from_default = from_default


class JArray(JNode):
    __slots__ = ("items",)

    def __init__(self, items: list[JNode], start: int, end: int) -> None:
        super().__init__(start, end)
        self.items = items


class JKey(JScalar):
    """An object key: a string scalar with the key's own position."""

    __slots__ = ()

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else ""


class JObject(JNode):
    """An object; `pairs` keeps every key in order, duplicates included."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[JKey, JNode]], start: int, end: int) -> None:
        super().__init__(start, end)
        self.pairs = pairs

    def get(self, key: str) -> JNode | None:
        """The value of the last pair with this key, as JSON parsers do."""
        found = None
        for k, v in self.pairs:
            if k.value == key:
                found = v
        return found

    def entry(self, key: str) -> tuple[JKey, JNode] | None:
        found = None
        for pair in self.pairs:
            if pair[0].value == key:
                found = pair
        return found

    def keys(self) -> Iterator[str]:
        return (k.text for k, _ in self.pairs)


class LineIndex:
    """Turns offsets into 1-based (line, column)."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        # Lines end at \n only, as JSON, YAML and HCL count them; built in C.
        lengths = map(len, text.split("\n")[:-1])
        self.starts = [0, *accumulate(map((1).__add__, lengths))]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


class Locator(Protocol):
    """Maps [start, end) offsets of a tree to a Span in the scanned file."""

    def span(self, start: int, end: int) -> Span: ...


class TextLocator:
    """Locator for a tree parsed straight from one file's text."""

    __slots__ = ("_index", "path")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self._index = LineIndex(text)

    def span(self, start: int, end: int) -> Span:
        starts = self._index.starts
        line = bisect_right(starts, start)
        line_start = starts[line - 1]
        if line == len(starts) or end < starts[line]:
            # Most elements sit on one line: no second search.
            return Span(self.path, line, start - line_start + 1, line, end - line_start + 1)
        end_line = bisect_right(starts, end)
        return Span(
            self.path, line, start - line_start + 1, end_line, end - starts[end_line - 1] + 1
        )
