"""CloudFormation YAML to neutral nodes, safely and with positions.

pyyaml's C parser (libyaml) produces the events; this module composes them
into JObject/JArray/JScalar nodes itself, without recursion, so that:

- nothing is ever constructed: only the standard scalar, sequence and
  mapping tags and CloudFormation's short forms (`!Ref`, `!Sub`, ...) are
  accepted, anything else (`!!python/object`, `!Foo`) is an error;
- a short form becomes the long form's one-key object (`!Ref X` reads as
  `{"Ref": "X"}`), with the key placed on the tag;
- nesting is bounded (libyaml's own composer recurses in C and crashes on
  deep input) and aliases are counted as they would expand (an alias bomb
  is an error, not an hour of work);
- duplicate keys are an error, as CloudFormation rejects them.

This is a helper, not a loader: it defines no `load`/`sniff`, and imports
pyyaml only when called.
"""

from __future__ import annotations

import re
from typing import Any

from iamlint.loaders import LoadError
from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar

MAX_DEPTH = 128
MAX_NODES = 1_000_000  # nodes after expanding every alias

# CloudFormation's short forms and the long form each stands for.
SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!Sub": "Fn::Sub",
    "!GetAtt": "Fn::GetAtt",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!If": "Fn::If",
    "!Equals": "Fn::Equals",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!Not": "Fn::Not",
    "!FindInMap": "Fn::FindInMap",
    "!ImportValue": "Fn::ImportValue",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!GetAZs": "Fn::GetAZs",
    "!Transform": "Fn::Transform",
    "!Length": "Fn::Length",
    "!ToJsonString": "Fn::ToJsonString",
    "!ForEach": "Fn::ForEach",
    # The functions of a template's Rules section.
    "!Contains": "Fn::Contains",
    "!EachMemberEquals": "Fn::EachMemberEquals",
    "!EachMemberIn": "Fn::EachMemberIn",
    "!RefAll": "Fn::RefAll",
    "!ValueOf": "Fn::ValueOf",
    "!ValueOfAll": "Fn::ValueOfAll",
}
# A tool's namespaced tag (`!Rain::Embed file.py`), expanded before deployment:
# read as a function whose value is unknown.
_NAMESPACED = re.compile(r"![A-Za-z][A-Za-z0-9]*::[A-Za-z][A-Za-z0-9:]*\Z")
_STD = "tag:yaml.org,2002:"
_STD_SCALARS = frozenset({"str", "int", "float", "bool", "null"})

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


def plain_scalar(text: str) -> str | int | float | bool | None:
    """The value of an untagged plain scalar.

    Only the YAML 1.2 core forms are typed: null, true/false, decimal
    integers and floats. Everything else stays a string, as a policy wants
    it: `2012-10-17` is a Version, not a date; `012345678901` an account
    id, not an octal number; `yes` a string.
    """
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    first = text[0]
    if first.isdigit() or first in "-+.":
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
    return text


def _tagged_scalar(tag: str, text: str, offset: int) -> str | int | float | bool | None:
    kind = tag[len(_STD) :]
    if kind == "str":
        return text
    if kind == "null":
        return None
    if kind == "bool":
        if text.lower() in ("true", "yes", "on"):
            return True
        if text.lower() in ("false", "no", "off"):
            return False
    value = plain_scalar(text)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise LoadError(f"invalid !!{kind} value {text!r}", offset)


class _Frame:
    __slots__ = ("anchor", "count", "is_map", "items", "key", "keys", "pairs", "start", "tag")

    def __init__(self, is_map: bool, start: int, tag: str | None, anchor: str | None, count: int):
        self.is_map = is_map
        self.start = start
        self.tag = tag
        self.anchor = anchor
        self.count = count  # nodes composed before this one
        self.items: list[JNode] = []
        self.pairs: list[tuple[JKey, JNode]] = []
        self.keys: set[str] = set()
        self.key: JKey | None = None


def _wrap(tag: str | None, node: JNode, start: int, offset: int) -> JNode:
    """Apply a node's tag: a short form becomes its long form's object."""
    if tag is None or tag == "!":
        return node
    long_form = SHORT_FORMS.get(tag)
    if long_form is None and _NAMESPACED.match(tag):
        long_form = "Fn::" + tag[1:]
    if long_form is not None:
        key = JKey(long_form, start, start + len(tag))
        return JObject([(key, node)], start, node.end)
    if tag.startswith(_STD) and tag[len(_STD) :] in ("map", "seq", "str"):
        return node
    shown = "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag
    raise LoadError(f"unsupported YAML tag {shown}: only CloudFormation's tags are read", offset)


def parse(text: str) -> JNode | None:
    """The template's root node, None for an empty file; LoadError when the
    text is not a YAML document iamlint can read safely."""
    import yaml  # type: ignore[import-untyped,unused-ignore]

    loader_cls: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    parser = loader_cls(text)
    try:
        return _compose(parser, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise LoadError(f"invalid YAML: {problem}", mark.index if mark else None) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML: {exc}", None) from None
    finally:
        parser.dispose()


def _compose(parser: Any, text: str) -> JNode | None:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    ev = yaml.events
    scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
    mapping_start, sequence_start = ev.MappingStartEvent, ev.SequenceStartEvent
    mapping_end, sequence_end = ev.MappingEndEvent, ev.SequenceEndEvent
    document_start, stream_end = ev.DocumentStartEvent, ev.StreamEndEvent
    get_event = parser.get_event
    root: JNode | None = None
    documents = 0
    stack: list[_Frame] = []
    top: _Frame | None = None
    anchors: dict[str, tuple[JNode, int]] = {}
    count = 0  # nodes, aliases expanded
    node: JNode

    while True:
        event = get_event()
        if event is None:
            break
        cls = type(event)
        size = 1
        if cls is scalar_event:
            count += 1
            start = event.start_mark.index
            end = event.end_mark.index
            tag = event.tag
            value: Any
            if tag is None:
                value = event.value if event.style else plain_scalar(event.value)
            elif tag == "!":
                value = event.value
                tag = None
            elif tag in SHORT_FORMS or _NAMESPACED.match(tag):
                value = event.value
            elif tag.startswith(_STD) and tag[len(_STD) :] in _STD_SCALARS:
                value = _tagged_scalar(tag, event.value, start)
                tag = None
            else:
                value = None  # _wrap raises for the tag
            if top is not None and top.is_map and top.key is None:
                if tag is not None:
                    raise LoadError("a mapping key must be a plain string", start)
                key_text = value if isinstance(value, str) else _key_text(value)
                if key_text in top.keys:
                    raise LoadError(f"duplicate key {key_text!r}", start)
                top.keys.add(key_text)
                top.key = JKey(key_text, start, end)
                if event.anchor is not None:
                    anchors[event.anchor] = (top.key, 1)
                continue
            if tag is None:
                node = JScalar(value, start, end)
            else:
                node = _wrap(tag, JScalar(value, _after_tag(text, start, end), end), start, start)
            anchor = event.anchor
        elif cls is mapping_start or cls is sequence_start:
            start = event.start_mark.index
            if len(stack) >= MAX_DEPTH:
                raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", start)
            if top is not None and top.is_map and top.key is None:
                raise LoadError("a mapping key must be a plain string", start)
            count += 1
            top = _Frame(cls is mapping_start, start, event.tag, event.anchor, count)
            stack.append(top)
            continue
        elif cls is mapping_end or cls is sequence_end:
            frame = stack.pop()
            top = stack[-1] if stack else None
            end = event.end_mark.index
            tag = frame.tag
            inner = frame.start if tag is None else _after_tag(text, frame.start, end)
            built: JNode = (
                JObject(frame.pairs, inner, end)
                if frame.is_map
                else JArray(frame.items, inner, end)
            )
            node = built if tag is None else _wrap(tag, built, frame.start, frame.start)
            anchor = frame.anchor
            size = count - frame.count + 1
        elif cls is alias_event:
            target = anchors.get(event.anchor)
            if target is None:
                raise LoadError(f"unknown alias *{event.anchor}", event.start_mark.index)
            node, size = target
            count += size
            if count > MAX_NODES:
                raise LoadError(
                    f"aliases expand to more than {MAX_NODES:,} nodes (an alias bomb?)",
                    event.start_mark.index,
                )
            if top is not None and top.is_map and top.key is None:
                raise LoadError("a mapping key must be a plain string", event.start_mark.index)
            anchor = None
        elif cls is document_start:
            documents += 1
            if documents > 1:
                raise LoadError(
                    "more than one YAML document: a template is one document",
                    event.start_mark.index,
                )
            continue
        elif cls is stream_end:
            break
        else:
            continue
        if count > MAX_NODES:
            raise LoadError(f"more than {MAX_NODES:,} nodes", event.start_mark.index)
        if anchor is not None:
            anchors[anchor] = (node, size)
        if top is None:
            root = node
        elif not top.is_map:
            top.items.append(node)
        else:
            key = top.key
            assert key is not None
            top.pairs.append((key, node))
            top.key = None
    return root


def _after_tag(text: str, start: int, end: int) -> int:
    """Where a node's value starts, past its anchor and tag."""
    pos = start
    for _ in range(2):
        if pos < end and text[pos] in "&!":
            while pos < end and not text[pos].isspace():
                pos += 1
            while pos < end and text[pos] in " \t":
                pos += 1
    return pos


def _key_text(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


_SUPPRESS = re.compile(r"(?:^|[ \t])#[ \t]*iamlint:[ \t]*ignore\[([^\]\n]*)\][ \t]*([^\n]*)", re.M)


def suppression_comments(text: str) -> list[tuple[tuple[str, ...], str, int, int]]:
    """`# iamlint: ignore[IAM102,IAM205] reason` comments: (ids, reason,
    start offset, end offset) for each."""
    if "iamlint" not in text:
        return []
    out = []
    for m in _SUPPRESS.finditer(text):
        ids = tuple(p.strip().upper() for p in m.group(1).split(",") if p.strip())
        start = m.start() + (0 if text[m.start()] == "#" else 1)
        out.append((ids, m.group(2).strip(), start, m.end()))
    return out
