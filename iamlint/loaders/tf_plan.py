"""The model objects of a Terraform plan's planned values (terraform_plan.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from iamlint.loaders.identities import IdentityDraft
from iamlint.loaders.jsonpos import JSONPosError
from iamlint.loaders.jsonpos import parse as parse_json
from iamlint.loaders.nodes import JArray, JNode, JObject, JScalar, TextLocator
from iamlint.loaders.policydoc import build_policy, compact_size
from iamlint.loaders.tf_resources import (
    ATTACHMENTS,
    FILTER_POLICIES,
    IDENTITY_TYPES,
    INLINE_POLICIES,
    OTHER_IDENTITY_POLICIES,
    PASSWORD_FIELDS,
    RESOURCE_POLICIES,
)
from iamlint.model import (
    AccessKey,
    Document,
    Identity,
    IdentityKind,
    ParseError,
    PasswordPolicy,
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
    passwords: list[PasswordPolicy] = []
    idents: dict[str, _Ident] = {}
    by_name: dict[tuple[str, str], str] = {}
    resources = list(_resources(module))
    after_unknown = _after_unknown(root)
    refs = _config_references(root)

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
        node: JNode | None = None,
        name: Value | None = None,
    ) -> Policy | None:
        values = res.get("values")
        if node is None:
            node = values.get(attr) if isinstance(values, JObject) else None
        span = loc.span(res.start, res.start + 1)
        if node is None:
            if attr not in after_unknown.get(_str(res.get("address")) or "", ()):
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
                name=name,
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
            name=name,
            size=compact_size(text),
        )

    def owners(res: JObject, attr: str, kind: str, many: bool = False) -> list[str]:
        """The identities an attribute names: by name, else by the
        configuration's reference, else an external identity (declared
        outside the plan, or named by what is known only after apply)."""
        address = _str(res.get("address")) or ""
        node = _values(res).get(attr)
        items: list[JNode] = []
        if node is not None:
            items = node.items if many and isinstance(node, JArray) else [node]
        prefix = f"aws_iam_{kind}."
        module = _module_of(address)
        referenced = [
            r for r in refs.get((_without_keys(address), attr), []) if r.startswith(prefix)
        ]
        linked = [found for r in referenced if (found := ident_at(module, r)) is not None]
        if not items and attr in after_unknown.get(address, ()):
            if referenced and len(linked) == len(referenced):
                return linked  # all of them, in whatever order the value has
            items = [
                JScalar(Unknown(f"{address}.{attr} (known after apply)"), res.start, res.start)
            ]
        out = []
        for i, item in enumerate(items):
            got = by_name.get((kind, _str(item) or ""))
            if got is None and len(linked) == len(items) == len(referenced):
                got = linked[i] if len(items) == 1 else None
            if got is None and isinstance(item, JScalar) and item.value is not None:
                # A known name is one identity wherever it is written; an
                # unresolved one is its own at each place.
                where = f"{address}.{attr}" + (f"[{i}]" if many else "")
                name = item.value if isinstance(item.value, str) else "\x00" + where
                got = by_name.get((f"external {kind}", name))
                if got is None:
                    got = where
                    by_name[(f"external {kind}", name)] = got
                    idents[got] = _Ident(_kind(kind), res, value(item), external=True)
            if got is not None:
                out.append(got)
        return out

    # (module path, configuration address) -> the planned identities and
    # policies there, keys and all (`aws_iam_role.this[0]`).
    identity_index: dict[tuple[str, str], list[str]] = {}
    policy_index: dict[tuple[str, str], list[str]] = {}

    def index(table: dict[tuple[str, str], list[str]], address: str) -> None:
        module = _module_of(address)
        table.setdefault((module, _without_keys(address[len(module) :])), []).append(address)

    def ident_at(module: str, reference: str) -> str | None:
        found = identity_index.get((module, reference), [])
        return found[0] if len(found) == 1 else None

    def target(res: JObject) -> str | None:
        """The aws_iam_policy an attachment's policy_arn references."""
        address = _str(res.get("address")) or ""
        module = _module_of(address)
        for r in refs.get((_without_keys(address), "policy_arn"), []):
            if r.startswith("aws_iam_policy."):
                found = policy_index.get((module, r), [])
                return found[0] if len(found) == 1 else module + r
        return None

    for res in resources:
        type_ = _str(res.get("type")) or ""
        address = _str(res.get("address")) or type_
        if _str(res.get("mode")) == "data":
            continue
        kind = IDENTITY_TYPES.get(type_)
        if kind is None:
            continue
        vals = _values(res)
        name = vals.get("name")
        ident = _Ident(_kind(kind), res, value(name) if name is not None else None)
        if isinstance(name, JScalar) and isinstance(name.value, str):
            by_name[(kind, name.value)] = address
        if type_ == "aws_iam_role":
            ident.trust = policy(
                res, "assume_role_policy", f"{address}.assume_role_policy", "trust", address, type_
            )
            arns = vals.get("managed_policy_arns")
            if isinstance(arns, JArray):
                ident.managed = [PolicyRef(value(a)) for a in arns.items]
            inline = vals.get("inline_policy")
            for block in inline.items if isinstance(inline, JArray) else []:
                if not isinstance(block, JObject):
                    continue
                pname = block.get("name")
                label = _str(pname) or str(len(ident.inline))
                p = policy(
                    res,
                    "policy",
                    f'{address}.inline_policy["{label}"]',
                    "identity",
                    address,
                    type_,
                    node=block.get("policy"),
                    name=value(pname) if pname is not None else None,
                )
                if p is not None:
                    ident.inline.append(p)
        pb = vals.get("permissions_boundary")
        if isinstance(pb, JScalar) and isinstance(pb.value, str) and pb.value:
            ident.boundary = PolicyRef(value(pb))
        elif "permissions_boundary" in after_unknown.get(address, ()):
            # A boundary created in the same plan: there, only not yet known.
            later = Unknown(f"{address}.permissions_boundary (known after apply)")
            ident.boundary = PolicyRef(Value(later, loc.span(res.start, res.start + 1)))
        idents[address] = ident
        index(identity_index, address)
    for res in resources:
        if _str(res.get("type")) == "aws_iam_policy" and _str(res.get("mode")) != "data":
            index(policy_index, _str(res.get("address")) or "")

    for res in resources:
        type_ = _str(res.get("type")) or ""
        address = _str(res.get("address")) or type_
        if _str(res.get("mode")) == "data":
            continue
        vals = _values(res)
        if type_ == "aws_iam_policy":
            name = vals.get("name")
            p = policy(
                res,
                "policy",
                address,
                "identity",
                None,
                type_,
                managed=True,
                name=value(name) if name is not None else None,
            )
            if p is not None:
                policies.append(p)
        elif type_ in INLINE_POLICIES:
            kind, attr = INLINE_POLICIES[type_]
            found = owners(res, attr, kind)
            owner = found[0] if len(found) == 1 else None
            name = vals.get("name")
            p = policy(
                res,
                "policy",
                address,
                "identity",
                owner,
                f"aws_iam_{kind}",
                name=value(name) if name is not None else None,
            )
            if p is None:
                continue
            if owner is not None:
                idents[owner].inline.append(p)
            else:
                policies.append(p)
        elif type_ in ATTACHMENTS or type_ == "aws_iam_policy_attachment":
            arn = vals.get("policy_arn")
            ref = PolicyRef(
                value(arn)
                if arn is not None
                else Value(Unknown(f"{address}.policy_arn"), loc.span(res.start, res.start + 1)),
                target=target(res),
                address=address,
            )
            pairs = (
                [ATTACHMENTS[type_]]
                if type_ in ATTACHMENTS
                else [("user", "users"), ("group", "groups"), ("role", "roles")]
            )
            for kind, attr in pairs:
                for owner in owners(res, attr, kind, many=type_ not in ATTACHMENTS):
                    idents[owner].managed.append(ref)
        elif type_ in _MEMBERSHIPS:
            users_attr, groups_attr = _MEMBERSHIPS[type_]
            users = owners(res, users_attr, "user", many=users_attr == "users")
            groups = vals.get(groups_attr)
            names: list[Value] = []
            if groups is not None:
                items = groups.items if isinstance(groups, JArray) else [groups]
                names = [value(g) for g in items]
            elif groups_attr in after_unknown.get(address, ()):
                # Named by what is known after apply: the groups referenced.
                span = loc.span(res.start, res.start + 1)
                scope = _module_of(address)
                for ref_ in refs.get((_without_keys(address), groups_attr), []):
                    group = ident_at(scope, ref_)
                    names.append(Value(group or scope + ref_, span))
            for owner in users:
                idents[owner].groups.extend(names)
        elif type_ == "aws_iam_user_login_profile":
            for owner in owners(res, "user", "user"):
                idents[owner].login = True
        elif type_ == "aws_iam_access_key":
            user = vals.get("user")
            keys.append(
                AccessKey(
                    address,
                    loc.span(res.start, res.start + 1),
                    value(user) if user is not None else None,
                )
            )
        elif type_ == "aws_iam_account_password_policy":
            fields = {
                name: value(node)
                for hcl, name in PASSWORD_FIELDS.items()
                if (node := vals.get(hcl)) is not None
                and not (isinstance(node, JScalar) and node.value is None)
            }
            passwords.append(PasswordPolicy(address, loc.span(res.start, res.start + 1), **fields))
        elif type_ in RESOURCE_POLICIES:
            attr, _ = RESOURCE_POLICIES[type_]
            kind_: PolicyKind = "boundary" if type_ in FILTER_POLICIES else "resource"
            p = policy(res, attr, address, kind_, address, type_)
            if p is not None:
                policies.append(p)
        elif type_ in OTHER_IDENTITY_POLICIES:
            attr, owner_attr, owner_type = OTHER_IDENTITY_POLICIES[type_]
            found_refs = refs.get((_without_keys(address), owner_attr), [])
            owner = _module_of(address) + found_refs[-1] if found_refs else None
            p = policy(res, attr, address, "identity", owner, owner_type)
            if p is not None:
                policies.append(p)

    return Document(
        path,
        FORMAT,
        policies=tuple(policies),
        identities=tuple(i.build(address, loc) for address, i in idents.items()),
        access_keys=tuple(keys),
        password_policies=tuple(passwords),
        errors=tuple(errors),
    )


# Group membership resources: the attribute naming the users, the groups.
_MEMBERSHIPS = {
    "aws_iam_user_group_membership": ("user", "groups"),
    "aws_iam_group_membership": ("users", "group"),
}


class _Ident(IdentityDraft):
    """An identity of the plan, declared (or, external, named) by `res`."""

    __slots__ = ("res",)

    def __init__(
        self, kind: IdentityKind, res: JObject, name: Value | None, external: bool = False
    ) -> None:
        super().__init__(kind, name, external)
        self.res = res

    def build(self, address: str, loc: TextLocator) -> Identity:
        return self.freeze(address, loc.span(self.res.start, self.res.start + 1), FORMAT)


def _values(res: JObject) -> JObject:
    values = res.get("values")
    return values if isinstance(values, JObject) else JObject([], res.start, res.end)


# Reference roots that are not resources.
_NOT_RESOURCES = ("var.", "local.", "module.", "data.", "each.", "count.", "path.", "self.")
_KEY = re.compile(r"\[[^\]]*\]")


def _without_keys(address: str) -> str:
    """`module.a[0].aws_x.y["k"]` -> `module.a.aws_x.y`: the configuration's
    name for an instance."""
    return _KEY.sub("", address)


def _module_of(address: str) -> str:
    """The module path of a resource address, instance keys and all
    (`module.a["x"].` of `module.a["x"].aws_x.y`), "" at the root."""
    parts = re.findall(r"module\.[^.\[]+(?:\[[^\]]*\])?\.", address)
    return "".join(parts) if address.startswith("module.") else ""


def _config_references(root: JObject) -> dict[tuple[str, str], list[str]]:
    """(resource address without keys, attribute) -> the resources its
    expression references, from the plan's `configuration`."""
    out: dict[tuple[str, str], list[str]] = {}
    config = root.get("configuration")
    start = config.get("root_module") if isinstance(config, JObject) else None
    stack: list[tuple[str, JNode | None]] = [("", start)]
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        prefix, module = stack.pop()
        if not isinstance(module, JObject):
            continue
        resources = module.get("resources")
        for res in resources.items if isinstance(resources, JArray) else []:
            if not isinstance(res, JObject):
                continue
            address = _str(res.get("address"))
            exprs = res.get("expressions")
            if address is None or not isinstance(exprs, JObject):
                continue
            for key, expr in exprs.pairs:
                found = expr.get("references") if isinstance(expr, JObject) else None
                if isinstance(found, JArray):
                    # Terraform lists `aws_iam_role.x[0].name`, then
                    # `aws_iam_role.x[0]`, then `aws_iam_role.x`: the
                    # resources, once each, without instance keys.
                    names = (_without_keys(t) for t in (_str(i) for i in found.items) if t)
                    referenced = [n for n in names if n.count(".") == 1]
                    out[(prefix + address, key.text)] = [
                        n for n in dict.fromkeys(referenced) if not n.startswith(_NOT_RESOURCES)
                    ]
        calls = module.get("module_calls")
        if isinstance(calls, JObject):
            for key, call in calls.pairs:
                inner = call.get("module") if isinstance(call, JObject) else None
                stack.append((f"{prefix}module.{key.text}.", inner))
    return out


def _kind(kind: str) -> IdentityKind:
    return "user" if kind == "user" else "group" if kind == "group" else "role"


def _after_unknown(root: JObject) -> dict[str, set[str]]:
    """Resource address -> its attributes the plan marks known after apply."""
    out: dict[str, set[str]] = {}
    changes = root.get("resource_changes")
    if not isinstance(changes, JArray):
        return out
    for change in changes.items:
        if not isinstance(change, JObject):
            continue
        address = _str(change.get("address"))
        body = change.get("change")
        au = body.get("after_unknown") if isinstance(body, JObject) else None
        if address is not None and isinstance(au, JObject):
            out[address] = {
                k.text for k, v in au.pairs if isinstance(v, JScalar) and v.value is True
            }
    return out
