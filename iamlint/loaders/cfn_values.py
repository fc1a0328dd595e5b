"""CloudFormation intrinsic functions, resolved as far as a linter can.

`resolve` turns a template subtree into plain neutral nodes a policy
builder can read: a `Ref` to a parameter with a Default becomes that value
(marked from_default); AWS::AccountId, AWS::Partition and AWS::Region
become Unknowns of a known kind; `Fn::Sub` and `Fn::Join` become strings,
or Unknowns with `parts` when a piece is not known; `Fn::If` yields both
branches; everything else is an Unknown that keeps the expression, never a
guessed string. Positions are kept: a resolved value sits where the
intrinsic was written.

This is a helper, not a loader (no `load`/`sniff`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar
from iamlint.model import PARTITION, REGION, THIS_ACCOUNT, Unknown

PSEUDO_KINDS = {
    "AWS::AccountId": THIS_ACCOUNT,
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
}
_MAX_EXPRESSION = 160
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
# Parameter types whose Default is not the value (an SSM parameter name).
_INDIRECT_TYPES = ("AWS::SSM::Parameter::Value",)


def intrinsic(node: JNode) -> tuple[str, JNode] | None:
    """(`Ref` / `Fn::X`, argument) when the node is an intrinsic function."""
    if isinstance(node, JObject) and len(node.pairs) == 1:
        key, arg = node.pairs[0]
        name = key.value
        if isinstance(name, str) and (name == "Ref" or name.startswith("Fn::")):
            return name, arg
        if name == "Condition" and isinstance(arg, JScalar) and isinstance(arg.value, str):
            return name, arg
    return None


def render(node: JNode, limit: int = _MAX_EXPRESSION) -> str:
    """Short, source-like text of an expression: `!Ref Bucket`, `!GetAtt Role.Arn`."""
    text = _render(node, 0)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render(node: JNode, depth: int) -> str:
    if depth > 6:
        return "..."
    fn = intrinsic(node)
    if fn is not None:
        name, arg = fn
        short = "!" + (name[4:] if name.startswith("Fn::") else name)
        if name == "Fn::GetAtt" and isinstance(arg, JArray):
            parts = [_render(i, depth + 1) for i in arg.items]
            return f"{short} {'.'.join(parts)}"
        return f"{short} {_render(arg, depth + 1)}"
    if isinstance(node, JScalar):
        v = node.value
        if isinstance(v, Unknown):
            return v.expression
        return v if isinstance(v, str) else json.dumps(v)
    if isinstance(node, JArray):
        return "[" + ", ".join(_render(i, depth + 1) for i in node.items) + "]"
    if isinstance(node, JObject):
        inner = ", ".join(f"{k.text}: {_render(v, depth + 1)}" for k, v in node.pairs)
        return "{" + inner + "}"
    return "?"


class Scope:
    """What a template declares that values can refer to."""

    __slots__ = ("conditions", "mappings", "parameters", "resources")

    def __init__(
        self,
        parameters: Mapping[str, JObject] | None = None,
        resources: Mapping[str, str] | None = None,
        mappings: JObject | None = None,
    ) -> None:
        self.parameters: Mapping[str, JObject] = parameters or {}
        self.resources: Mapping[str, str] = resources or {}  # logical id -> type
        self.mappings = mappings


class Resolver:
    """Resolves intrinsics within one template (and optional local bindings,
    as SAM policy templates have)."""

    __slots__ = ("bindings", "scope")

    def __init__(self, scope: Scope, bindings: Mapping[str, JNode] | None = None) -> None:
        self.scope = scope
        self.bindings: Mapping[str, JNode] = bindings or {}

    def with_bindings(self, bindings: Mapping[str, JNode], outer: Resolver) -> Resolver:
        """A resolver for a SAM template body: its Refs read `bindings`,
        whose values are resolved by `outer`."""
        resolved = {k: outer.resolve(v) for k, v in bindings.items()}
        return Resolver(self.scope, {k: v for k, v in resolved.items() if v is not None})

    # -- the tree ----------------------------------------------------------

    def resolve(self, node: JNode) -> JNode | None:
        """The node with every intrinsic resolved; None for AWS::NoValue."""
        if isinstance(node, JScalar):
            return node
        fn = intrinsic(node)
        if fn is not None:
            return self._function(node, fn[0], fn[1])
        if isinstance(node, JArray):
            items: list[JNode] = []
            for item in node.items:
                items.extend(self.resolve_item(item))
            return JArray(items, node.start, node.end)
        if isinstance(node, JObject):
            pairs: list[tuple[JKey, JNode]] = []
            for key, value in node.pairs:
                resolved = self.resolve(value)
                if resolved is not None:
                    pairs.append((key, resolved))
            return JObject(pairs, node.start, node.end)
        return node

    def resolve_item(self, node: JNode) -> list[JNode]:
        """A list item: `Fn::If` contributes both branches, NoValue none."""
        fn = intrinsic(node)
        if fn is not None and fn[0] == "Fn::If":
            branches = _if_branches(fn[1])
            if branches is not None:
                out: list[JNode] = []
                for branch in branches:
                    out.extend(self.resolve_item(branch))
                return out
        resolved = self.resolve(node)
        return [] if resolved is None else [resolved]

    # -- functions ---------------------------------------------------------

    def unknown(self, node: JNode, kind: str = "") -> JScalar:
        return JScalar(Unknown(render(node), kind=kind), node.start, node.end)

    def _function(self, node: JNode, name: str, arg: JNode) -> JNode | None:
        if name == "Ref":
            return self._ref(node, arg)
        if name == "Fn::If":
            return self._if(node, arg)
        if name == "Fn::Sub":
            return self._sub(node, arg)
        if name == "Fn::Join":
            return self._join(node, arg)
        if name == "Fn::FindInMap":
            return self._find_in_map(node, arg)
        return self.unknown(node)

    def _ref(self, node: JNode, arg: JNode) -> JNode | None:
        if not isinstance(arg, JScalar) or not isinstance(arg.value, str):
            return self.unknown(node)
        name = arg.value
        if name in self.bindings:
            bound = self.bindings[name]
            return _moved(bound, node) if isinstance(bound, JScalar) else bound
        if name == "AWS::NoValue":
            return None
        if name.startswith("AWS::"):
            return self.unknown(node, PSEUDO_KINDS.get(name, ""))
        param = self.scope.parameters.get(name)
        if param is not None:
            return self._parameter(node, param)
        return self.unknown(node)

    def _parameter(self, node: JNode, param: JObject) -> JNode:
        default = param.get("Default")
        type_node = param.get("Type")
        type_name = type_node.value if isinstance(type_node, JScalar) else ""
        if not isinstance(default, JScalar) or default.value is None:
            return self.unknown(node)
        if isinstance(type_name, str) and type_name.startswith(_INDIRECT_TYPES):
            return self.unknown(node)
        value = default.value
        if isinstance(value, Unknown):
            return self.unknown(node)
        if isinstance(type_name, str) and (
            type_name == "CommaDelimitedList" or type_name.startswith("List<")
        ):
            parts = str(value).split(",") if value != "" else []
            items: list[JNode] = [
                JScalar(p.strip(), node.start, node.end, from_default=True) for p in parts
            ]
            return JArray(items, node.start, node.end)
        if not isinstance(value, str):
            value = _key_text(value)
        return JScalar(value, node.start, node.end, from_default=True)

    def _if(self, node: JNode, arg: JNode) -> JNode | None:
        branches = _if_branches(arg)
        if branches is None:
            return self.unknown(node)
        resolved = [r for b in branches if (r := self.resolve(b)) is not None]
        if not resolved:
            return None
        if len(resolved) == 1:
            return resolved[0]
        a, b = resolved
        if isinstance(a, JObject) and isinstance(b, JObject):
            return JObject(a.pairs + b.pairs, node.start, node.end)
        if isinstance(a, JScalar) and isinstance(b, JScalar) and a.value == b.value:
            return a
        if isinstance(a, JObject) or isinstance(b, JObject):
            return self.unknown(node)
        items = [*(a.items if isinstance(a, JArray) else [a])]
        items += b.items if isinstance(b, JArray) else [b]
        return JArray(items, node.start, node.end)

    def _piece(self, node: JNode | None, whole: JNode) -> tuple[list[str | Unknown], bool]:
        """A resolved value as string pieces (and whether a default was used)."""
        if node is None:
            return [], False
        if isinstance(node, JScalar):
            v = node.value
            if isinstance(v, Unknown):
                return (list(v.parts) if v.parts else [v]), node.from_default
            return [v if isinstance(v, str) else _key_text(v)], node.from_default
        return [Unknown(render(whole))], False

    def _sub(self, node: JNode, arg: JNode) -> JNode:
        variables: dict[str, JNode] = {}
        template = arg
        if isinstance(arg, JArray):
            if len(arg.items) != 2 or not isinstance(arg.items[1], JObject):
                return self.unknown(node)
            template = arg.items[0]
            for key, value in arg.items[1].pairs:
                variables[key.text] = value
        if not isinstance(template, JScalar) or not isinstance(template.value, str):
            return self.unknown(node)
        text = template.value
        parts: list[str | Unknown] = []
        from_default = False
        pos = 0
        for m in _SUB_VAR.finditer(text):
            parts.append(text[pos : m.start()])
            pos = m.end()
            name = m.group(1).strip()
            if name.startswith("!"):
                parts.append("${" + name[1:] + "}")
                continue
            if name in variables:
                piece, used = self._piece(self.resolve(variables[name]), variables[name])
            elif "." in name and not name.startswith("AWS::"):
                piece, used = [Unknown("${" + name + "}")], False
            else:
                ref = JObject([(JKey("Ref", 0, 0), JScalar(name, 0, 0))], 0, 0)
                resolved = self._ref(ref, ref.pairs[0][1])
                if isinstance(resolved, JScalar) and isinstance(resolved.value, Unknown):
                    v = resolved.value
                    piece, used = [Unknown("${" + name + "}", v.parts, v.kind)], False
                else:
                    piece, used = self._piece(resolved, ref)
            parts.extend(piece)
            from_default = from_default or used
        parts.append(text[pos:])
        expression = _written(parts) if self.bindings else render(node)
        return _joined(parts, expression, node, from_default)

    def _join(self, node: JNode, arg: JNode) -> JNode:
        if not isinstance(arg, JArray) or len(arg.items) != 2:
            return self.unknown(node)
        delim_node, list_node = arg.items
        if not isinstance(delim_node, JScalar) or not isinstance(delim_node.value, str):
            return self.unknown(node)
        delimiter = delim_node.value
        if not isinstance(list_node, JArray):
            return self.unknown(node)
        parts: list[str | Unknown] = []
        from_default = False
        first = True
        for item in list_node.items:
            fn = intrinsic(item)
            if fn is not None and fn[0] == "Fn::If":
                piece: list[str | Unknown] = [Unknown(render(item))]
                used = False
            else:
                resolved = self.resolve(item)
                if resolved is None:
                    continue
                if isinstance(resolved, JArray):
                    piece, used = [Unknown(render(item))], False
                else:
                    piece, used = self._piece(resolved, item)
            if not first:
                parts.append(delimiter)
            first = False
            parts.extend(piece)
            from_default = from_default or used
        return _joined(parts, render(node), node, from_default)

    def _find_in_map(self, node: JNode, arg: JNode) -> JNode | None:
        mappings = self.scope.mappings
        if mappings is None or not isinstance(arg, JArray) or len(arg.items) < 3:
            return self.unknown(node)
        current: JNode | None = mappings
        for key in arg.items[:3]:
            resolved = self.resolve(key)
            if (
                not isinstance(resolved, JScalar)
                or not isinstance(resolved.value, str)
                or not isinstance(current, JObject)
            ):
                return self.unknown(node)
            current = current.get(resolved.value)
        if current is None:
            return self.unknown(node)
        value = self.resolve(current)
        return _moved(value, node) if isinstance(value, JScalar) else value


def _written(parts: list[str | Unknown]) -> str:
    """A Sub's text with its bound values in place (for SAM's templates,
    whose own text the user never wrote)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part.expression.startswith("${"):
            out.append(part.expression)
        else:
            name = part.expression
            for prefix in ("!Ref ", "!GetAtt "):
                name = name.removeprefix(prefix)
            out.append("${" + name + "}")
    return "!Sub " + "".join(out)


def _if_branches(arg: JNode) -> tuple[JNode, JNode] | None:
    if isinstance(arg, JArray) and len(arg.items) == 3:
        return arg.items[1], arg.items[2]
    return None


def _moved(node: JScalar, where: JNode) -> JScalar:
    return JScalar(node.value, where.start, where.end, node.from_default)


# Fn::Join and Fn::Sub over YAML aliases can multiply a small template
# into megabytes; past this many characters the result is Unknown.
MAX_JOINED = 256 * 1024


def _joined(
    parts: list[str | Unknown], expression: str, node: JNode, from_default: bool
) -> JScalar:
    total = sum(len(p) if isinstance(p, str) else len(p.expression) for p in parts)
    if total > MAX_JOINED:
        return JScalar(Unknown(f"{expression[:200]} (too long)"), node.start, node.end)
    merged: list[str | Unknown] = []
    run: list[str] = []  # adjacent literal pieces, joined once (not +=)
    for part in parts:
        if isinstance(part, str):
            run.append(part)
            continue
        if run:
            text = "".join(run)
            if text:
                merged.append(text)
            run = []
        merged.append(part)
    if run and (text := "".join(run)):
        merged.append(text)
    if all(isinstance(p, str) for p in merged):
        return JScalar(
            "".join(p for p in merged if isinstance(p, str)), node.start, node.end, from_default
        )
    return JScalar(Unknown(expression, tuple(merged)), node.start, node.end, from_default)


def _key_text(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def to_json(node: JNode) -> object:
    """The resolved document as AWS would receive it, for its size; an
    Unknown counts as its known parts plus its expression."""
    if isinstance(node, JObject):
        return {k.text: to_json(v) for k, v in node.pairs}
    if isinstance(node, JArray):
        return [to_json(i) for i in node.items]
    if isinstance(node, JScalar):
        v = node.value
        if isinstance(v, Unknown):
            if v.parts:
                return "".join(p if isinstance(p, str) else p.expression for p in v.parts)
            return v.expression
        return v
    return None
