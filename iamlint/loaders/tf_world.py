"""Terraform sources: parsing with tree-sitter, offsets, comments, errors.

Every text the Terraform loader reads (a `.tf` file, a `file()`d JSON
document, a template, a `.tfvars` file) is registered once in one process-
wide offset space: a file's characters sit at `base + offset`. Nodes of the
neutral tree (nodes.py) carry such global offsets, so one policy may hold
elements from several files (a statement in `main.tf`, its actions in a
`locals.tf` list, its document in a `file()`d JSON) and `WorldLocator` still
gives each element the Span of the file it was written in.

tree-sitter reports byte offsets; Spans count characters. `PFile.char`
converts, per line, for files that are not pure ASCII.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iamlint.loaders.nodes import LineIndex
from iamlint.model import ParseError, Span, Suppression

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

# The sentinel that wraps a template file into a heredoc for the parser.
_TEMPLATE_TAG = "IAMLINT_TEMPLATE_EOT"
_MAX_ERRORS_SHOWN = 1


class PFile:
    """One registered text, with its place in the global offset space."""

    __slots__ = (
        "_byte_lines",
        "_char_lines",
        "_lines",
        "ascii",
        "base",
        "data",
        "delta",
        "display",
        "path",
        "text",
        "tree",
    )

    def __init__(self, path: Path, display: str, data: bytes, text: str, base: int) -> None:
        self.path = path
        self.display = display
        self.data = data
        self.text = text
        self.base = base
        self.ascii = len(data) == len(text)
        self.tree: Tree | None = None
        self.delta = 0  # bytes of a synthetic prefix the parser saw before the text
        self._lines = LineIndex(text)
        self._byte_lines: list[int] | None = None
        self._char_lines: list[int] | None = None

    @property
    def end(self) -> int:
        return self.base + len(self.text)

    def char(self, byte_offset: int) -> int:
        """Character offset in the text of a byte offset the parser gave."""
        b = byte_offset - self.delta
        if b <= 0:
            return 0
        if self.ascii:
            return min(b, len(self.text))
        if self._byte_lines is None:
            starts = [0]
            starts.extend(m.end() for m in re.finditer(b"\n", self.data))
            self._byte_lines = starts
            chars = [0]
            chars.extend(m.end() for m in re.finditer("\n", self.text))
            self._char_lines = chars
        assert self._char_lines is not None
        line = bisect_right(self._byte_lines, b) - 1
        line_start_byte = self._byte_lines[line]
        line_start_char = self._char_lines[min(line, len(self._char_lines) - 1)]
        piece = self.data[line_start_byte:b].decode("utf-8", errors="replace")
        return line_start_char + len(piece)

    def g(self, node: Node) -> tuple[int, int]:
        """Global [start, end) of a tree-sitter node."""
        if self.ascii and not self.delta:
            base = self.base
            return base + node.start_byte, base + node.end_byte
        return self.base + self.char(node.start_byte), self.base + self.char(node.end_byte)

    def gstart(self, node: Node) -> int:
        if self.ascii and not self.delta:
            return self.base + node.start_byte
        return self.base + self.char(node.start_byte)

    def source(self, node: Node) -> str:
        """The source text of a node."""
        delta = self.delta
        if not delta:  # the common case, and a hot path of the evaluator
            return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")
        start = max(node.start_byte - delta, 0)
        return self.data[start : node.end_byte - delta].decode("utf-8", "replace")

    def position(self, offset: int) -> tuple[int, int]:
        return self._lines.position(offset)

    def span(self, start: int, end: int) -> Span:
        line, col = self._lines.position(start)
        end_line, end_col = self._lines.position(end)
        return Span(self.display, line, col, end_line, end_col)


class World:
    """Texts read recently, in one offset space, with what was built from
    them (module indexes): neighbouring module directories share modules
    (examples calling ../.. ones), so they are parsed once."""

    def __init__(self) -> None:
        self.files: list[PFile] = []
        self._bases: list[int] = []
        self._by_key: dict[tuple[str, int, int], PFile] = {}
        self._next = 0
        self.modules: dict[tuple[Path, tuple[int, ...]], Any] = {}

    @property
    def size(self) -> int:
        """Characters held."""
        return self._next

    def register(self, path: Path, display: str, data: bytes, text: str) -> PFile:
        if data.startswith(b"\xef\xbb\xbf"):
            # decode() drops a BOM from the text: the parser must not see it
            # either, or the first line's columns are one off.
            data = data[3:]
        key = (str(path) + "\x00" + display, len(data), hash(data))
        found = self._by_key.get(key)
        if found is not None:
            return found
        pf = PFile(path, display, data, text, self._next)
        self._next += len(text) + 1  # one offset past the end stays in this file
        self.files.append(pf)
        self._bases.append(pf.base)
        self._by_key[key] = pf
        return pf

    def file_at(self, offset: int) -> PFile | None:
        i = bisect_right(self._bases, offset) - 1
        return self.files[i] if i >= 0 else None


class WorldLocator:
    """Spans for global offsets; an end in another file collapses to the start."""

    __slots__ = ("world",)

    def __init__(self, world: World) -> None:
        self.world = world

    def span(self, start: int, end: int) -> Span:
        pf = self.world.file_at(start)
        if pf is None:
            return Span("", 1, 1, 1, 1)
        a = start - pf.base
        b = end - pf.base if pf.base <= end <= pf.end else a
        return pf.span(a, max(a, b))


_world: World | None = None
_parser: Parser | None = None


# Past this many characters a fresh World starts, so a long scan holds a
# bounded amount of text and parse results, not every file it has seen.
# Parse trees and indexes cost about 80 bytes per character (measured), so
# 1 MiB of text keeps a worker near 100 MB while a module directory and the
# modules it calls still fit in one World.
WORLD_LIMIT = 1024 * 1024


def world() -> World:
    """The current World; a new one once it holds more than WORLD_LIMIT.
    Call at the start of a unit: spans already built stay valid."""
    global _world
    if _world is None or _world.size > WORLD_LIMIT:
        _world = World()
    return _world


def parser() -> Parser:
    """The HCL parser, created on first use (the import is paid only here)."""
    global _parser
    if _parser is None:
        import tree_sitter
        import tree_sitter_hcl

        _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    return _parser


def parse(pf: PFile) -> Tree:
    if pf.tree is None:
        pf.tree = parser().parse(pf.data)
    return pf.tree


def parse_template(pf: PFile) -> Node | None:
    """A template file's text as the heredoc_template node of a wrapper."""
    if pf.tree is None:
        prefix = f"t = <<{_TEMPLATE_TAG}\n".encode()
        suffix = f"\n{_TEMPLATE_TAG}\n".encode()
        if _TEMPLATE_TAG.encode() in pf.data:
            return None
        pf.delta = len(prefix)
        pf.tree = parser().parse(prefix + pf.data + suffix)
    node: Node | None = pf.tree.root_node
    for _ in range(12):  # config_file > body > attribute > expression > template_expr > heredoc
        if node is None or node.type == "heredoc_template":
            break
        node = next((c for c in node.named_children if c.type != "comment"), None)
        if node is not None and node.type == "attribute":
            node = node.child_by_field_name("val") or (
                node.named_children[-1] if node.named_children else None
            )
    return node if node is not None and node.type == "heredoc_template" else None


def syntax_errors(pf: PFile, tree: Tree) -> list[ParseError]:
    """IAM000 errors for the ERROR and MISSING nodes of a parse, first one located."""
    root = tree.root_node
    if not root.has_error:
        return []
    first: Node | None = None
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
            if first is None or node.start_byte < first.start_byte:
                first = node
            if node.is_error:
                continue
        if node.has_error:
            stack.extend(reversed(node.children))
    if first is None:
        return []
    start, end = pf.g(first)
    if first.is_missing:
        what = first.type
        message = f"invalid HCL: {_missing(what)} expected here"
    else:
        snippet = pf.text[start - pf.base : end - pf.base].split("\n", 1)[0].strip()
        message = "invalid HCL: unexpected " + (repr(snippet[:40]) if snippet else "end of file")
        end = start + 1 if end > start else end
    if count > 1:
        message += f" (and {count - 1} more syntax error{'s' if count > 2 else ''})"
    return [ParseError(message, pf.span(start - pf.base, end - pf.base))]


def _missing(kind: str) -> str:
    names = {
        "heredoc_identifier": "the heredoc's closing identifier (unterminated heredoc)",
        "}": "'}'",
        "]": "']'",
        ")": "')'",
        '"': "'\"'",
        "quoted_template_end": "a closing '\"'",
        "block_end": "'}'",
        "object_end": "'}'",
        "tuple_end": "']'",
    }
    return names.get(kind, repr(kind))


def error_node_ranges(tree: Tree) -> list[tuple[int, int]]:
    """Byte ranges of the top-level constructs that hold a syntax error."""
    out: list[tuple[int, int]] = []
    root = tree.root_node
    if not root.has_error:
        return out
    for child in _top_level(root):
        if child.has_error or child.is_error:
            out.append((child.start_byte, child.end_byte))
    return out


def _top_level(root: Node) -> Iterator[Node]:
    for child in root.children:
        if child.type == "body":
            yield from child.children
        else:
            yield child


# `# iamlint: ignore[IAM101, IAM102] reason`, after # or // or inside /* */.
_SUPPRESSION = re.compile(
    r"iamlint:\s*ignore\s*\[\s*([A-Za-z0-9_,\s-]*?)\s*\]\s*(.*?)\s*(?:\*/)?\s*$", re.M
)


def suppressions(pf: PFile, tree: Tree | None) -> list[Suppression]:
    """Suppression comments; covers its line and the next, or the whole block
    or attribute that starts on the comment's line."""
    out: list[Suppression] = []
    if "iamlint" not in pf.text:
        return out
    for m in _SUPPRESSION.finditer(pf.text):
        start = m.start()
        line_start = pf.text.rfind("\n", 0, start) + 1
        prefix = pf.text[line_start:start]
        if tree is None:
            if not re.search(r"(#|//|/\*)", prefix):
                continue
            comment_start, comment_end = start, m.end()
            cover_node = None
        else:
            byte = len(pf.text[:start].encode("utf-8")) + pf.delta
            node = tree.root_node.descendant_for_byte_range(byte, byte + 1)
            while node is not None and node.type != "comment" and node.parent is not None:
                if node.type in ("body", "block", "attribute", "config_file"):
                    node = None
                    break
                node = node.parent
            if node is None or node.type != "comment":
                continue
            comment_start, comment_end = pf.g(node)
            comment_start -= pf.base
            comment_end -= pf.base
            cover_node = _block_on_line(node)
        ids = tuple(i.strip().upper() for i in m.group(1).split(",") if i.strip())
        reason = m.group(2).strip()
        span = pf.span(comment_start, comment_end)
        if cover_node is not None:
            a, b = pf.g(cover_node)
            covers = pf.span(a - pf.base, b - pf.base)
            covers = Span(
                covers.path, min(span.line, covers.line), 1, covers.end_line, covers.end_column
            )
        else:
            covers = Span(pf.display, span.line, 1, span.line + 1, 1)
            nl = pf.text.find("\n", comment_end)
            if nl != -1:
                nxt = pf.text.find("\n", nl + 1)
                end_off = len(pf.text) if nxt == -1 else nxt
                covers = pf.span(line_start, end_off)
                covers = Span(pf.display, covers.line, 1, covers.end_line, covers.end_column)
            else:
                covers = pf.span(line_start, len(pf.text))
        out.append(Suppression(ids, reason, span, covers))
    return out


def _block_on_line(comment: Node) -> Node | None:
    """The outermost block or attribute that starts on the comment's line."""
    row = comment.start_point.row
    found = None
    node = comment.parent
    while node is not None:
        if node.type in ("block", "attribute") and node.start_point.row == row:
            found = node
        node = node.parent
    return found


def node_text(pf: PFile, node: Any) -> str:
    return pf.source(node)
