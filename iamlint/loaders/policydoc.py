"""Turns a policy document, as a neutral node tree, into a model Policy.

The IAM policy grammar lives here once for every loader: Statement as one
object or a list, string-or-list elements, the Principal forms, Condition
blocks. What does not fit the grammar is kept as a problem on the element
(IAM507 reports it), never raised.
"""

from __future__ import annotations

from collections.abc import Iterable

from iamlint.loaders.nodes import JArray, JNode, JObject, JScalar, Locator
from iamlint.model import (
    Condition,
    Policy,
    PolicyKind,
    Principal,
    PrincipalKind,
    Span,
    Statement,
    Unknown,
    Value,
)

POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
PRINCIPAL_KINDS: frozenset[str] = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithwebidentity",
        "sts:assumerolewithsaml",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)


def looks_like_policy(node: JNode) -> bool:
    """A document is a policy when it is an object with a Statement."""
    return isinstance(node, JObject) and node.get("Statement") is not None


class _Builder:
    __slots__ = ("loc",)

    def __init__(self, loc: Locator) -> None:
        self.loc = loc

    def span(self, node: JNode) -> Span:
        return self.loc.span(node.start, node.end)

    def value(self, node: JNode) -> Value:
        if isinstance(node, JScalar):
            return Value(node.value, self.span(node), node.from_default)
        # A container where a scalar belongs: keep it visible as Unknown.
        return Value(Unknown(_kind_name(node)), self.span(node))

    def problem(self, node: JNode, message: str) -> Value:
        return Value(message, self.span(node))

    def strings(self, node: JNode, problems: list[Value], name: str) -> tuple[Value, ...]:
        """An element that is a string or a list of strings."""
        if isinstance(node, JArray):
            out = []
            for item in node.items:
                if isinstance(item, JScalar):
                    if not isinstance(item.value, (str, Unknown)):
                        problems.append(self.problem(item, f"{name} must hold strings"))
                    out.append(self.value(item))
                else:
                    problems.append(self.problem(item, f"{name} must hold strings"))
            if not out:
                problems.append(self.problem(node, f"{name} is an empty list"))
            return tuple(out)
        if isinstance(node, JScalar):
            if not isinstance(node.value, (str, Unknown)):
                problems.append(self.problem(node, f"{name} must be a string or a list"))
            return (self.value(node),)
        problems.append(self.problem(node, f"{name} must be a string or a list of strings"))
        return ()

    def principals(self, node: JNode, problems: list[Value], name: str) -> tuple[Principal, ...]:
        if isinstance(node, JScalar):
            if node.value == "*":
                return (Principal("*", self.value(node)),)
            if isinstance(node.value, Unknown):
                return (Principal("AWS", self.value(node)),)
            problems.append(self.problem(node, f'{name} must be "*" or a map of principal types'))
            return ()
        if not isinstance(node, JObject):
            problems.append(self.problem(node, f'{name} must be "*" or a map of principal types'))
            return ()
        out: list[Principal] = []
        for key, val in node.pairs:
            kind = key.text
            if kind not in PRINCIPAL_KINDS:
                problems.append(self.problem(key, f"{name} has an unknown principal type {kind!r}"))
                continue
            for v in self.strings(val, problems, f"{name}.{kind}"):
                out.append(Principal(_principal_kind(kind), v))
        return tuple(out)

    def conditions(self, node: JNode, problems: list[Value]) -> tuple[Condition, ...]:
        if not isinstance(node, JObject):
            problems.append(self.problem(node, "Condition must be a map of operators"))
            return ()
        out: list[Condition] = []
        for op_key, block in node.pairs:
            operator = self.value(op_key)
            if not isinstance(block, JObject):
                problems.append(self.problem(block, "a condition operator must hold a map of keys"))
                continue
            for cond_key, vals in block.pairs:
                if isinstance(vals, JArray):
                    values = tuple(self.value(v) for v in vals.items)
                else:
                    values = (self.value(vals),)
                span = self.loc.span(cond_key.start, vals.end)
                out.append(Condition(operator, self.value(cond_key), values, span))
        return tuple(out)

    def statement(self, node: JNode, index: int) -> Statement:
        span = self.span(node)
        if not isinstance(node, JObject):
            return Statement(
                span, index, problems=(self.problem(node, "a statement must be an object"),)
            )
        problems: list[Value] = []
        unknown: list[Value] = []
        fields: dict[str, object] = {}
        seen: set[str] = set()
        for key, val in node.pairs:
            name = key.text
            if name in seen:
                problems.append(self.problem(key, f"duplicate element {name!r}"))
            seen.add(name)
            if name not in STATEMENT_KEYS:
                unknown.append(self.value(key))
            elif name in ("Sid", "Effect"):
                fields[name] = self.value(val)
                if not isinstance(val, JScalar):
                    problems.append(self.problem(val, f"{name} must be a string"))
            elif name in ("Action", "NotAction", "Resource", "NotResource"):
                fields[name] = self.strings(val, problems, name)
            elif name in ("Principal", "NotPrincipal"):
                fields[name] = self.principals(val, problems, name)
                fields["principal_span"] = self.loc.span(key.start, val.end)
            else:
                fields["Condition"] = self.conditions(val, problems)
                fields["condition_span"] = self.loc.span(key.start, val.end)
        return Statement(
            span,
            index,
            effect=fields.get("Effect"),  # type: ignore[arg-type]
            sid=fields.get("Sid"),  # type: ignore[arg-type]
            actions=fields.get("Action"),  # type: ignore[arg-type]
            not_actions=fields.get("NotAction"),  # type: ignore[arg-type]
            resources=fields.get("Resource"),  # type: ignore[arg-type]
            not_resources=fields.get("NotResource"),  # type: ignore[arg-type]
            principals=fields.get("Principal"),  # type: ignore[arg-type]
            not_principals=fields.get("NotPrincipal"),  # type: ignore[arg-type]
            principal_span=fields.get("principal_span"),  # type: ignore[arg-type]
            conditions=fields.get("Condition", ()),  # type: ignore[arg-type]
            condition_span=fields.get("condition_span"),  # type: ignore[arg-type]
            unknown_keys=tuple(unknown),
            problems=tuple(problems),
        )


def build_policy(
    node: JNode,
    loc: Locator,
    *,
    address: str,
    source_format: str,
    kind: PolicyKind | None = None,
    owner: str | None = None,
    owner_type: str | None = None,
    managed: bool = False,
    name: Value | None = None,
    size: int | None = None,
) -> Policy:
    """Build a Policy from a document node; `kind` is inferred when None."""
    b = _Builder(loc)
    span = b.span(node)
    problems: list[Value] = []
    unknown: list[Value] = []
    statements: list[Statement] = []
    version = policy_id = None
    statement_span = None
    if not isinstance(node, JObject):
        problems.append(b.problem(node, "a policy document must be an object"))
    else:
        for key, val in node.pairs:
            name_ = key.text
            if name_ == "Version":
                version = b.value(val)
            elif name_ == "Id":
                policy_id = b.value(val)
            elif name_ == "Statement":
                statement_span = loc.span(key.start, val.end)
                items: Iterable[JNode] = val.items if isinstance(val, JArray) else (val,)
                statements = [b.statement(item, i) for i, item in enumerate(items)]
            else:
                unknown.append(b.value(key))
        if statement_span is None:
            problems.append(b.problem(node, "the policy has no Statement"))
    if kind is None:
        kind = infer_kind(statements)
    return Policy(
        kind=kind,
        source_format=source_format,
        address=address,
        span=span,
        statements=tuple(statements),
        version=version,
        policy_id=policy_id,
        statement_span=statement_span,
        owner=owner,
        owner_type=owner_type,
        managed=managed,
        name=name,
        size=size,
        unknown_keys=tuple(unknown),
        problems=tuple(problems),
    )


def infer_kind(statements: Iterable[Statement]) -> PolicyKind:
    """A Principal makes a resource policy, or a trust policy when every
    action is one of assuming a role."""
    statements = list(statements)
    if not any(s.principals is not None or s.not_principals is not None for s in statements):
        return "identity"
    actions = [a for s in statements for a in (s.actions or ())]
    if actions and all(
        isinstance(a.value, str) and a.value.lower() in _TRUST_ACTIONS for a in actions
    ):
        return "trust"
    return "resource"


def compact_size(text: str) -> int:
    """Characters of a document without whitespace, as AWS counts policy size."""
    return len(text) - sum(text.count(c) for c in " \t\r\n")


def _principal_kind(kind: str) -> PrincipalKind:
    if kind == "AWS":
        return "AWS"
    if kind == "Service":
        return "Service"
    if kind == "Federated":
        return "Federated"
    return "CanonicalUser"


def _kind_name(node: JNode) -> str:
    if isinstance(node, JObject):
        return "{...}"
    if isinstance(node, JArray):
        return "[...]"
    return "?"


__all__ = ["build_policy", "compact_size", "infer_kind", "looks_like_policy"]
