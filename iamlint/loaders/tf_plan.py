"""The model objects of a Terraform plan's planned values (terraform_plan.py)."""

from __future__ import annotations

from collections.abc import Iterator

from iamlint.loaders.jsonpos import JSONPosError
from iamlint.loaders.jsonpos import parse as parse_json
from iamlint.loaders.nodes import JArray, JNode, JObject, JScalar, TextLocator
from iamlint.loaders.policydoc import build_policy, compact_size
from iamlint.loaders.tf_resources import (
    ATTACHMENTS,
    IDENTITY_TYPES,
    INLINE_POLICIES,
    RESOURCE_POLICIES,
)
from iamlint.model import (
    AccessKey,
    Document,
    Identity,
    IdentityKind,
    ParseError,
    Policy,
    PolicyKind,
    PolicyRef,
    Span,
    Unknown,
    Value,
)

FORMAT = "terraform-plan"


class _Fixed:
    """A locator that puts every offset at one place (the JSON string that
    holds an embedded policy)."""

    __slots__ = ("_span",)

    def __init__(self, span: Span) -> None:
        self._span = span

    def span(self, start: int, end: int) -> Span:
        return self._span


def _resources(module: JNode) -> Iterator[JObject]:
    stack = [module]
    while stack:
        node = stack.pop()
        if not isinstance(node, JObject):
            continue
        res = node.get("resources")
        if isinstance(res, JArray):
            yield from (r for r in res.items if isinstance(r, JObject))
        kids = node.get("child_modules")
        if isinstance(kids, JArray):
            stack.extend(reversed(kids.items))


def _str(node: JNode | None) -> str | None:
    return node.value if isinstance(node, JScalar) and isinstance(node.value, str) else None


def extract(path: str, root: JNode, loc: TextLocator) -> Document:
    if not isinstance(root, JObject):
        return Document(path, FORMAT)
    planned = root.get("planned_values")
    module = planned.get("root_module") if isinstance(planned, JObject) else None
    if module is None:
        return Document(path, FORMAT)
    policies: list[Policy] = []
    errors: list[ParseError] = []
    keys: list[AccessKey] = []
    idents: dict[str, dict[str, object]] = {}
    by_name: dict[tuple[str, str], str] = {}
    resources = list(_resources(module))

    def value(node: JNode) -> Value:
        if isinstance(node, JScalar):
            return Value(node.value, loc.span(node.start, node.end))
        return Value(Unknown("{...}"), loc.span(node.start, node.end))

    def policy(
        res: JObject,
        attr: str,
        address: str,
        kind: PolicyKind,
        owner: str | None,
        owner_type: str,
        managed: bool = False,
    ) -> Policy | None:
        values = res.get("values")
        node = values.get(attr) if isinstance(values, JObject) else None
        span = loc.span(res.start, res.start + 1)
        if node is None:
            unknown_attrs = _after_unknown(root, address)
            if attr not in unknown_attrs:
                return None
            return Policy(
                kind,
                FORMAT,
                address,
                span,
                version=Value(Unknown(f"{address}.{attr} (known after apply)"), span),
                owner=owner,
                owner_type=owner_type,
                managed=managed,
            )
        text = _str(node)
        if text is None or not text.strip():
            return None
        where = loc.span(node.start, node.end)
        try:
            tree = parse_json(text)
        except JSONPosError as exc:
            errors.append(ParseError(f"{address}: invalid JSON in {attr}: {exc.message}", where))
            return None
        return build_policy(
            tree,
            _Fixed(where),
            address=address,
            source_format=FORMAT,
            kind=kind,
            owner=owner,
            owner_type=owner_type,
            managed=managed,
            size=compact_size(text),
        )

    for res in resources:
        type_ = _str(res.get("type")) or ""
        address = _str(res.get("address")) or type_
        if _str(res.get("mode")) == "data":
            continue
        kind = IDENTITY_TYPES.get(type_)
        if kind is None:
            continue
        values = res.get("values")
        name = values.get("name") if isinstance(values, JObject) else None
        entry: dict[str, object] = {
            "kind": kind,
            "res": res,
            "inline": [],
            "managed": [],
            "name": value(name) if name is not None else None,
        }
        if isinstance(name, JScalar) and isinstance(name.value, str):
            by_name[(kind, name.value)] = address
        if type_ == "aws_iam_role":
            entry["trust"] = policy(
                res, "assume_role_policy", f"{address}.assume_role_policy", "trust", address, type_
            )
            arns = values.get("managed_policy_arns") if isinstance(values, JObject) else None
            if isinstance(arns, JArray):
                entry["managed"] = [PolicyRef(value(a)) for a in arns.items]
        pb = values.get("permissions_boundary") if isinstance(values, JObject) else None
        if isinstance(pb, JScalar) and isinstance(pb.value, str) and pb.value:
            entry["boundary"] = PolicyRef(value(pb))
        idents[address] = entry

    for res in resources:
        type_ = _str(res.get("type")) or ""
        address = _str(res.get("address")) or type_
        if _str(res.get("mode")) == "data":
            continue
        values = res.get("values")
        vals = values if isinstance(values, JObject) else JObject([], res.start, res.end)
        if type_ == "aws_iam_policy":
            p = policy(res, "policy", address, "identity", None, type_, managed=True)
            if p is not None:
                policies.append(p)
        elif type_ in INLINE_POLICIES:
            kind, attr = INLINE_POLICIES[type_]
            owner = by_name.get((kind, _str(vals.get(attr)) or ""))
            p = policy(res, "policy", address, "identity", owner, f"aws_iam_{kind}")
            if p is None:
                continue
            if owner is not None:
                idents[owner]["inline"].append(p)  # type: ignore[attr-defined]
            else:
                policies.append(p)
        elif type_ in ATTACHMENTS:
            kind, attr = ATTACHMENTS[type_]
            owner = by_name.get((kind, _str(vals.get(attr)) or ""))
            arn = vals.get("policy_arn")
            if owner is not None and arn is not None:
                idents[owner]["managed"].append(PolicyRef(value(arn), address=address))  # type: ignore[attr-defined]
        elif type_ == "aws_iam_access_key":
            user = vals.get("user")
            keys.append(
                AccessKey(
                    address,
                    loc.span(res.start, res.start + 1),
                    value(user) if user is not None else None,
                )
            )
        elif type_ in RESOURCE_POLICIES:
            attr, _ = RESOURCE_POLICIES[type_]
            p = policy(res, attr, address, "resource", address, type_)
            if p is not None:
                policies.append(p)

    identities = []
    for address, e in idents.items():
        block = e["res"]
        assert isinstance(block, JObject)
        identities.append(
            Identity(
                kind=_kind(str(e["kind"])),
                address=address,
                span=loc.span(block.start, block.start + 1),
                source_format=FORMAT,
                name=e.get("name"),  # type: ignore[arg-type]
                inline_policies=tuple(e["inline"]),  # type: ignore[arg-type]
                managed_policies=tuple(e["managed"]),  # type: ignore[arg-type]
                permissions_boundary=e.get("boundary"),  # type: ignore[arg-type]
                trust_policy=e.get("trust"),  # type: ignore[arg-type]
            )
        )
    return Document(
        path,
        FORMAT,
        policies=tuple(policies),
        identities=tuple(identities),
        access_keys=tuple(keys),
        errors=tuple(errors),
    )


def _kind(kind: str) -> IdentityKind:
    return "user" if kind == "user" else "group" if kind == "group" else "role"


def _after_unknown(root: JObject, address: str) -> set[str]:
    """Attributes of a resource that the plan marks as known after apply."""
    changes = root.get("resource_changes")
    if not isinstance(changes, JArray):
        return set()
    for change in changes.items:
        if isinstance(change, JObject) and _str(change.get("address")) == address:
            body = change.get("change")
            au = body.get("after_unknown") if isinstance(body, JObject) else None
            if isinstance(au, JObject):
                return {k.text for k, v in au.pairs if isinstance(v, JScalar) and v.value is True}
    return set()
