"""A JSON parser that keeps the source offset of every node.

The standard library's parser has no positions. This one is a small
recursive-descent parser that reads plain strings with one regex match
and leaves escaped ones to the standard library's C `scanstring`. Nesting
is bounded so hostile input gives a clear error, never a RecursionError.
"""

from __future__ import annotations

import re
from json.decoder import scanstring  # type: ignore[attr-defined]

from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar

MAX_DEPTH = 128

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class JSONPosError(ValueError):
    """Malformed JSON, with the offset where reading stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


_WS = re.compile(r"[ \t\n\r]*")
# A string without escapes, then whitespace: the common case, decoded
# without a call into scanstring. Group 1 is the content.
_SIMPLE = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*')


def parse(text: str) -> JNode:
    """Parse a whole document; raise JSONPosError on malformed input."""
    pos = _WS.match(text).end()  # type: ignore[union-attr]
    node, pos = _value(text, pos, 0)
    if pos != len(text):
        raise JSONPosError("extra data after the JSON value", pos)
    return node


def _value(text: str, pos: int, depth: int) -> tuple[JNode, int]:
    """The value at `pos` and the offset after it and its trailing space."""
    m = _SIMPLE.match(text, pos)
    if m is not None:
        end = m.end(1) + 1
        return JScalar(m.group(1), pos, end), m.end()
    if pos >= len(text):
        raise JSONPosError("unexpected end of file: a value was expected", pos)
    ch = text[pos]
    if ch == "{":
        return _object(text, pos, depth + 1)
    if ch == "[":
        return _array(text, pos, depth + 1)
    if ch == '"':
        value, end = _string(text, pos)
        node = JScalar(value, pos, end)
    elif ch == "t" and text.startswith("true", pos):
        node = JScalar(True, pos, pos + 4)
    elif ch == "f" and text.startswith("false", pos):
        node = JScalar(False, pos, pos + 5)
    elif ch == "n" and text.startswith("null", pos):
        node = JScalar(None, pos, pos + 4)
    else:
        num = _NUMBER.match(text, pos)
        if num is None:
            raise JSONPosError(_unexpected(ch, "a value"), pos)
        literal = num.group()
        number: int | float = float(literal) if num.group(1) or num.group(2) else int(literal)
        node = JScalar(number, pos, num.end())
    return node, _WS.match(text, node.end).end()  # type: ignore[union-attr]


def _object(text: str, start: int, depth: int) -> tuple[JObject, int]:
    if depth > MAX_DEPTH:
        raise JSONPosError(f"nesting deeper than {MAX_DEPTH} levels", start)
    ws = _WS.match
    simple = _SIMPLE.match
    pairs: list[tuple[JKey, JNode]] = []
    obj = JObject(pairs, start, start)
    pos = ws(text, start + 1).end()  # type: ignore[union-attr]
    if text.startswith("}", pos):
        obj.end = pos + 1
        return obj, ws(text, pos + 1).end()  # type: ignore[union-attr]
    while True:
        m = simple(text, pos)
        if m is not None:
            key = JKey(m.group(1), pos, m.end(1) + 1)
            pos = m.end()
        elif text.startswith('"', pos):
            value, end = _string(text, pos)
            key = JKey(value, pos, end)
            pos = ws(text, end).end()  # type: ignore[union-attr]
        else:
            raise JSONPosError(_expected(text, pos, "a quoted key"), pos)
        if not text.startswith(":", pos):
            raise JSONPosError(_expected(text, pos, "':' after the key"), pos)
        pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
        node, pos = _value(text, pos, depth)
        pairs.append((key, node))
        if text.startswith(",", pos):
            pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        if text.startswith("}", pos):
            obj.end = pos + 1
            return obj, ws(text, pos + 1).end()  # type: ignore[union-attr]
        raise JSONPosError(_expected(text, pos, "',' or '}'"), pos)


def _array(text: str, start: int, depth: int) -> tuple[JArray, int]:
    if depth > MAX_DEPTH:
        raise JSONPosError(f"nesting deeper than {MAX_DEPTH} levels", start)
    ws = _WS.match
    items: list[JNode] = []
    arr = JArray(items, start, start)
    pos = ws(text, start + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", pos):
        arr.end = pos + 1
        return arr, ws(text, pos + 1).end()  # type: ignore[union-attr]
    while True:
        node, pos = _value(text, pos, depth)
        items.append(node)
        if text.startswith(",", pos):
            pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        if text.startswith("]", pos):
            arr.end = pos + 1
            return arr, ws(text, pos + 1).end()  # type: ignore[union-attr]
        raise JSONPosError(_expected(text, pos, "',' or ']'"), pos)


def _expected(text: str, pos: int, what: str) -> str:
    if pos >= len(text):
        return f"unexpected end of file: {what} was expected"
    return _unexpected(text[pos], what)


def _string(text: str, start: int) -> tuple[str, int]:
    """A string with escapes, decoded by the standard library's C scanner."""
    try:
        result: tuple[str, int] = scanstring(text, start + 1, True)
    except ValueError as exc:
        offset = getattr(exc, "pos", start)
        message = getattr(exc, "msg", "invalid string")
        raise JSONPosError(message.lower(), offset) from None
    return result


def _unexpected(ch: str, wanted: str) -> str:
    shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
    return f"unexpected character {shown}: {wanted} was expected"
