"""Terraform's built-in functions, as far as a policy needs them.

Each takes evaluated arguments (JNodes) and gives a JNode; an argument
that is unknown makes the result unknown (with the call's text), and a
function not listed here is unknown too. file() and templatefile() read
only inside the scanned tree, and say why when they refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar
from iamlint.loaders.tf_eval import (
    MAX_ITEMS,
    MAX_STEPS,
    MAX_STRING,
    MISSING,
    DocError,
    Evaluator,
    TfJson,
    TfStr,
    _as_text,
    as_document,
    fully_known,
    is_unknown,
    plain,
    to_json_text,
    unknown,
)
from iamlint.loaders.tf_world import PFile, parse_template
from iamlint.model import Unknown

if TYPE_CHECKING:
    from tree_sitter import Node


def call_function(
    ev: Evaluator,
    name: str,
    arg_nodes: Sequence[Node],
    expand: bool,
    pf: PFile,
    depth: int,
    node: Node,
    s: int,
    e: int,
) -> JNode:
    text = pf.source(node)
    if name == "try":
        # try() falls through on errors, not on values unknown until apply:
        # the first argument that is known, skipping those Terraform would
        # reject; an argument unknown until apply makes the result unknown.
        for arg in arg_nodes:
            got = ev.ev(arg, pf, depth + 1)
            if not is_unknown(got):
                return got
            assert isinstance(got, JScalar) and isinstance(got.value, Unknown)
            if got.value.kind != MISSING:
                break
        return unknown(text, s, e)
    if name == "can":
        return unknown(text, s, e)
    args = [ev.ev(a, pf, depth + 1) for a in arg_nodes]
    # A function walks whole values (jsonencode, length, flatten): charge
    # their size to the step budget, or nested loops over big lists run
    # for minutes at no cost.
    run = ev.run
    run.steps += _weight(args, MAX_STEPS - run.steps + 1)
    if run.steps > MAX_STEPS:
        run.dep = True
        return unknown(f"{text} (evaluation budget exhausted)", s, e)
    if expand and args:
        last = args[-1]
        if isinstance(last, JArray):
            args = args[:-1] + list(last.items)
        else:
            return unknown(text, s, e)
    if name in ("file", "templatefile"):
        return _file(ev, name, args, pf, depth, text, s, e)
    fn = _FUNCTIONS.get(name)
    if fn is None:
        return unknown(text, s, e)
    try:
        out = fn(args, s, e)
    except RecursionError:
        ev.run.dep = True  # how deep the stack was, not what the expression says
        return unknown(text, s, e)
    except (_Unknown, TypeError, ValueError, IndexError, KeyError, OverflowError):
        return unknown(text, s, e)
    return out if out is not None else unknown(text, s, e)


def _weight(values: list[JNode], limit: int) -> int:
    """How many nodes the values hold, counting no further than `limit`."""
    count = 0
    stack: list[JNode] = list(values)
    while stack and count < limit:
        node = stack.pop()
        count += 1
        if isinstance(node, JArray):
            stack.extend(node.items)
        elif isinstance(node, JObject):
            stack.extend(v for _, v in node.pairs)
        elif isinstance(node, TfJson):
            stack.append(node.tree)
    return count


class _Unknown(Exception):  # noqa: N818 - a signal, not an error
    pass


def _known(node: JNode) -> Any:
    if isinstance(node, JScalar) and not isinstance(node, TfJson):
        if isinstance(node.value, Unknown):
            raise _Unknown
        return node.value
    if isinstance(node, TfJson):
        if isinstance(node.value, Unknown):
            raise _Unknown
        return node.value
    raise _Unknown


def _str(node: JNode) -> str:
    v = _as_text(node)
    if v is None:
        raise _Unknown
    return v


def _list(node: JNode) -> list[JNode]:
    if isinstance(node, JArray):
        return node.items
    if isinstance(node, JObject):
        return [v for _, v in node.pairs]
    raise _Unknown


def _string(value: str, s: int, e: int) -> JNode:
    if len(value) > MAX_STRING:
        raise _Unknown
    return TfStr(value, s, e, value, [(0, s, False)])


def _jsonencode(args: list[JNode], s: int, e: int) -> JNode:
    (arg,) = args
    if isinstance(arg, TfJson):
        tree = arg.tree
        return TfJson(to_json_text(_scalar_tree(arg)), _scalar_tree(arg), s, e)
    tree = arg
    return TfJson(to_json_text(tree), tree, s, e)


def _scalar_tree(arg: TfJson) -> JNode:
    # jsonencode of an already encoded string: a JSON string, not the tree.
    return JScalar(arg.value, arg.start, arg.end)


def _jsondecode(args: list[JNode], s: int, e: int) -> JNode:
    (arg,) = args
    if isinstance(arg, TfJson) and not isinstance(arg.value, Unknown):
        return arg.tree
    try:
        doc = as_document(arg)
    except DocError:
        raise _Unknown from None
    if doc is None:
        raise _Unknown
    return doc


def _join(args: list[JNode], s: int, e: int) -> JNode:
    sep = _str(args[0])
    items: list[str] = []
    for lst in args[1:]:
        items.extend(_str(i) for i in _list(lst))
    # Size first: building the result is what would exhaust memory.
    if len(sep) * max(len(items) - 1, 0) + sum(map(len, items)) > MAX_STRING:
        raise _Unknown
    return _string(sep.join(items), s, e)


def _concat(args: list[JNode], s: int, e: int) -> JNode:
    items: list[JNode] = []
    for a in args:
        items.extend(_list(a))
    return JArray(items[:MAX_ITEMS], s, e)


def _flatten(args: list[JNode], s: int, e: int) -> JNode:
    out: list[JNode] = []

    def walk(n: JNode, depth: int) -> None:
        if depth > 20 or len(out) > MAX_ITEMS:
            raise _Unknown
        if isinstance(n, JArray):
            for i in n.items:
                walk(i, depth + 1)
        elif is_unknown(n) and depth > 0:
            raise _Unknown
        else:
            out.append(n)

    walk(args[0], 0)
    if is_unknown(args[0]):
        raise _Unknown
    return JArray(out, s, e)


def _distinct(args: list[JNode], s: int, e: int) -> JNode:
    seen: set[Any] = set()
    out = []
    for i in _list(args[0]):
        key = repr(plain(i)) if fully_known(i) else id(i)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return JArray(out, s, e)


def _compact(args: list[JNode], s: int, e: int) -> JNode:
    out = []
    for i in _list(args[0]):
        if isinstance(i, JScalar) and (i.value == "" or i.value is None):
            continue
        out.append(i)
    return JArray(out, s, e)


def _identity(args: list[JNode], s: int, e: int) -> JNode:
    (arg,) = args
    return arg


def _merge(args: list[JNode], s: int, e: int) -> JNode:
    merged: dict[str, tuple[JKey, JNode]] = {}
    for a in args:
        if isinstance(a, JScalar) and a.value is None:
            continue
        if not isinstance(a, JObject):
            raise _Unknown
        for k, v in a.pairs:
            if isinstance(k.value, Unknown):
                raise _Unknown
            merged[k.text] = (k, v)
    return JObject(list(merged.values()), s, e)


def _lookup(args: list[JNode], s: int, e: int) -> JNode:
    obj, key = args[0], _str(args[1])
    if isinstance(obj, JObject):
        got = obj.get(key)
        if got is not None:
            return got
        if any(isinstance(k.value, Unknown) for k, _ in obj.pairs):
            raise _Unknown
        if len(args) > 2:
            return args[2]
    raise _Unknown


def _element(args: list[JNode], s: int, e: int) -> JNode:
    items = _list(args[0])
    idx = _known(args[1])
    if not isinstance(idx, (int, float)) or not items:
        raise _Unknown
    return items[int(idx) % len(items)]


def _coalesce(args: list[JNode], s: int, e: int) -> JNode:
    for a in args:
        if is_unknown(a):
            raise _Unknown
        if isinstance(a, JScalar) and (a.value is None or a.value == ""):
            continue
        return a
    raise _Unknown


def _coalescelist(args: list[JNode], s: int, e: int) -> JNode:
    for a in args:
        if is_unknown(a):
            raise _Unknown
        if isinstance(a, JArray) and a.items:
            return a
    raise _Unknown


def _format(args: list[JNode], s: int, e: int) -> JNode:
    fmt = _str(args[0])
    values = [_str(a) for a in args[1:]]
    out: list[str] = []
    i = 0
    pos = 0
    for m in re.finditer(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?[a-zA-Z])", fmt):
        out.append(fmt[pos : m.start()])
        if m.group() == "%%":
            out.append("%")
        else:
            if i >= len(values):
                raise _Unknown
            out.append(values[i])
            i += 1
        pos = m.end()
    out.append(fmt[pos:])
    return _string("".join(out), s, e)


def _replace(args: list[JNode], s: int, e: int) -> JNode:
    value, old, new = _str(args[0]), _str(args[1]), _str(args[2])
    if old.startswith("/") and old.endswith("/") and len(old) > 1:
        raise _Unknown
    count = len(value) + 1 if not old else value.count(old)
    if len(value) + count * (len(new) - len(old)) > MAX_STRING:
        raise _Unknown
    return _string(value.replace(old, new), s, e)


def _split(args: list[JNode], s: int, e: int) -> JNode:
    sep, value = _str(args[0]), _str(args[1])
    if not sep:
        raise _Unknown
    return JArray([_string(p, s, e) for p in value.split(sep)][:MAX_ITEMS], s, e)


def _str_fn(f: Callable[[str], str]) -> Callable[[list[JNode], int, int], JNode]:
    def fn(args: list[JNode], s: int, e: int) -> JNode:
        return _string(f(_str(args[0])), s, e)

    return fn


def _trim2(f: Callable[[str, str], str]) -> Callable[[list[JNode], int, int], JNode]:
    def fn(args: list[JNode], s: int, e: int) -> JNode:
        return _string(f(_str(args[0]), _str(args[1])), s, e)

    return fn


def _length(args: list[JNode], s: int, e: int) -> JNode:
    a = args[0]
    if isinstance(a, (JArray, JObject)):
        if isinstance(a, JObject) and any(isinstance(k.value, Unknown) for k, _ in a.pairs):
            raise _Unknown
        return JScalar(len(_list(a)), s, e)
    return JScalar(len(_str(a)), s, e)


def _keys(args: list[JNode], s: int, e: int) -> JNode:
    a = args[0]
    if not isinstance(a, JObject):
        raise _Unknown
    return JArray([JScalar(k.value, k.start, k.end) for k, _ in a.pairs], s, e)


def _values(args: list[JNode], s: int, e: int) -> JNode:
    a = args[0]
    if not isinstance(a, JObject):
        raise _Unknown
    return JArray([v for _, v in a.pairs], s, e)


def _contains(args: list[JNode], s: int, e: int) -> JNode:
    items = _list(args[0])
    needle = _known(args[1])
    values = []
    for i in items:
        values.append(_known(i))
    return JScalar(needle in values, s, e)


def _zipmap(args: list[JNode], s: int, e: int) -> JNode:
    keys = [_str(k) for k in _list(args[0])]
    vals = _list(args[1])
    return JObject([(JKey(k, s, e), v) for k, v in zip(keys, vals, strict=False)], s, e)


def _one(args: list[JNode], s: int, e: int) -> JNode:
    items = _list(args[0])
    if len(items) == 1:
        return items[0]
    if not items:
        return JScalar(None, s, e)
    raise _Unknown


def _tostring(args: list[JNode], s: int, e: int) -> JNode:
    a = args[0]
    if isinstance(a, JScalar) and isinstance(a.value, str):
        return a
    return _string(_str(a), s, e)


def _setunion(args: list[JNode], s: int, e: int) -> JNode:
    return _distinct([_concat(args, s, e)], s, e)


def _sort(args: list[JNode], s: int, e: int) -> JNode:
    items = _list(args[0])
    return JArray(sorted(items, key=_str), s, e)


def _reverse(args: list[JNode], s: int, e: int) -> JNode:
    return JArray(list(reversed(_list(args[0]))), s, e)


def _slice(args: list[JNode], s: int, e: int) -> JNode:
    items = _list(args[0])
    a, b = _known(args[1]), _known(args[2])
    return JArray(items[int(a) : int(b)], s, e)


_FUNCTIONS: dict[str, Callable[[list[JNode], int, int], JNode]] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "join": _join,
    "concat": _concat,
    "flatten": _flatten,
    "distinct": _distinct,
    "compact": _compact,
    "tolist": _identity,
    "toset": _distinct,
    "tomap": _identity,
    "merge": _merge,
    "lookup": _lookup,
    "element": _element,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "format": _format,
    "replace": _replace,
    "split": _split,
    "lower": _str_fn(str.lower),
    "upper": _str_fn(str.upper),
    "trimspace": _str_fn(str.strip),
    "chomp": _str_fn(lambda v: v.rstrip("\r\n")),
    "trimsuffix": _trim2(lambda v, x: v[: -len(x)] if x and v.endswith(x) else v),
    "trimprefix": _trim2(lambda v, x: v[len(x) :] if x and v.startswith(x) else v),
    "length": _length,
    "keys": _keys,
    "values": _values,
    "contains": _contains,
    "zipmap": _zipmap,
    "one": _one,
    "tostring": _tostring,
    "setunion": _setunion,
    "sort": _sort,
    "reverse": _reverse,
    "slice": _slice,
    "sensitive": _identity,
    "nonsensitive": _identity,
}


def _file(
    ev: Evaluator,
    name: str,
    args: list[JNode],
    pf: PFile,
    depth: int,
    text: str,
    s: int,
    e: int,
) -> JNode:
    ev.run.dep = True  # what the scanned tree holds is the run's
    if not args or _as_text(args[0]) is None:
        return unknown(text, s, e)
    raw = _as_text(args[0])
    assert raw is not None
    path = Path(raw)
    if not path.is_absolute():
        path = ev._root_dir() / path
    target, why = ev.run.read(path)
    if target is None:
        return unknown(f"{text} (not read: {why})", s, e)
    if name == "file":
        body = target.text
        return TfStr(body, target.base, target.end, body, [(0, target.base, True)])
    node = parse_template(target)
    if node is None:
        return unknown(f"{text} (not read: template did not parse)", s, e)
    bindings = {}
    if len(args) > 1:
        vars_node = args[1]
        if not isinstance(vars_node, JObject):
            return unknown(text, s, e)
        for k, v in vars_node.pairs:
            if isinstance(k.value, str):
                bindings[k.value] = v
    sub = Evaluator(ev.inst, bindings)
    got = sub.template(node, target, depth + 1)
    if isinstance(got, TfStr):
        got.start, got.end = target.base, target.end
    return got
