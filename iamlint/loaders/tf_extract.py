"""From a module instance to model objects: policies, identities, keys.

Addresses are Terraform's (`aws_iam_role_policy.app`,
`module.x.aws_iam_policy.y`, `aws_iam_policy.p["k"]` for a literal
for_each). A Policy's owner is the address of the identity or resource it
belongs to; owner_type is that identity's type (`aws_iam_role`) for inline
policies and trust policies, `aws_iam_policy` for managed ones, and the
type of the resource carrying the document (`aws_s3_bucket_policy`) for
resource policies. A document that does not resolve (`policy =
var.policy`) is still a Policy: no statements, and `version` holding the
Unknown with the expression, so it is visible and never mistaken for an
empty document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iamlint.loaders.identities import IdentityDraft
from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar, Locator
from iamlint.loaders.policydoc import build_policy, compact_size
from iamlint.loaders.tf_document import expand
from iamlint.loaders.tf_eval import (
    MAX_ITEMS,
    Attr,
    Bindings,
    Block,
    DocError,
    Instance,
    TfJson,
    TfRef,
    TfStr,
    as_document,
    is_unknown,
    unknown,
)
from iamlint.loaders.tf_resources import (
    ATTACHMENTS,
    FILTER_POLICIES,
    IDENTITY_TYPES,
    INLINE_POLICIES,
    LAMBDA_CONDITIONS,
    LAYER_CONDITIONS,
    OTHER_IDENTITY_POLICIES,
    PASSWORD_FIELDS,
    RESOURCE_POLICIES,
)
from iamlint.model import (
    AccessKey,
    Identity,
    IdentityKind,
    ParseError,
    PasswordPolicy,
    Policy,
    PolicyKind,
    PolicyRef,
    Unknown,
    Value,
    without_key,
)

if TYPE_CHECKING:
    from tree_sitter import Node

FORMAT = "terraform"


# Group membership resources: the attribute naming the users, the groups.
_MEMBERSHIPS = {
    "aws_iam_user_group_membership": ("user", "groups"),
    "aws_iam_group_membership": ("users", "group"),
}


@dataclass
class Bucket:
    """What belongs in one file's Document."""

    policies: list[Policy] = field(default_factory=list)
    identities: list[IdentityBuilder] = field(default_factory=list)
    access_keys: list[AccessKey] = field(default_factory=list)
    password_policies: list[PasswordPolicy] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)


class IdentityBuilder(IdentityDraft):
    """An identity of a module instance, declared by `block` at `address`
    (or, external, named there)."""

    __slots__ = ("address", "block")

    def __init__(
        self, kind: IdentityKind, address: str, block: Block, external: bool = False
    ) -> None:
        super().__init__(kind, external=external)
        self.address = address
        self.block = block

    def build(self, loc: Locator) -> Identity:
        return self.freeze(self.address, loc.span(self.block.start, self.block.end), FORMAT)


class Extractor:
    """Walks one instance (and the local modules it calls)."""

    def __init__(self, loc: Locator, buckets: dict[str, Bucket]) -> None:
        self.loc = loc
        self.buckets = buckets

    def bucket(self, display: str) -> Bucket:
        return self.buckets.setdefault(display, Bucket())

    def value(self, node: JNode) -> Value:
        span = self.loc.span(node.start, node.end)
        if isinstance(node, JScalar):
            return Value(node.value, span, node.from_default)
        return Value(Unknown("{...}" if isinstance(node, JObject) else "[...]"), span)

    # ------------------------------------------------------------ the walk

    def run(self, inst: Instance, doc_path: str | None = None) -> None:
        module = inst.module
        identities: dict[str, IdentityBuilder] = {}
        by_name: dict[tuple[str, str], str] = {}

        def where(block: Block) -> Bucket:
            return self.bucket(doc_path or block.pf.display)

        # Pass 1: identities, so attachments anywhere in the module find them.
        for block in module.order:
            if block.type != "resource":
                continue
            type_, _ = block.labels
            kind = IDENTITY_TYPES.get(type_)
            if kind is None:
                continue
            for address, b in self.instances(inst, block):
                ident = IdentityBuilder(_identity_kind(kind), address, block)
                name_node = inst.eval(block.attr("name"), b)
                if name_node is not None and _present(name_node):
                    ident.name = self.value(name_node)
                    if isinstance(name_node, JScalar) and isinstance(name_node.value, str):
                        by_name[(kind, name_node.value)] = address
                identities[address] = ident
                where(block).identities.append(ident)
                self.identity_body(inst, block, ident, type_, b, where(block))

        # Pass 2: everything else.
        for block in module.order:
            if block.type != "resource":
                continue
            type_, _ = block.labels
            if type_ in IDENTITY_TYPES:
                continue
            try:
                self.resource(inst, block, type_, identities, by_name, where(block))
            except RecursionError:
                where(block).errors.append(
                    ParseError(
                        f"{type_}.{block.labels[1]}: nesting too deep to read",
                        self.loc.span(block.start, block.start + 1),
                    )
                )

        # Local modules, with the arguments passed here.
        for name, call in module.modules.items():
            if _count_zero(inst, call):
                continue
            child = inst.child(name)
            if child is not None:
                self.run(child, doc_path or call.pf.display)

        # Policy documents no resource here uses: policies of their own.
        docs = [
            b for b in module.order if b.type == "data" and b.labels[0] == "aws_iam_policy_document"
        ]
        for block in docs:
            if not _count_zero(inst, block):
                inst.doc(block.labels[1], block.start, block.end, mark=False)
        for block in docs:
            key = f"data.aws_iam_policy_document.{block.labels[1]}"
            if key in inst.consumed or _count_zero(inst, block):
                continue
            tree = inst.doc(block.labels[1], block.start, block.end, mark=False)
            if isinstance(tree, TfJson):
                policy = build_policy(
                    tree.tree,
                    self.loc,
                    address=inst.prefix + key,
                    source_format=FORMAT,
                    owner_type="aws_iam_policy_document",
                    size=_size(tree),
                )
                where(block).policies.append(policy)

    def instances(self, inst: Instance, block: Block) -> Iterator[tuple[str, Bindings]]:
        """One (address, bindings) per instance a literal for_each makes; one
        for count (count.index unknown); none when count or for_each is empty."""
        base = f"{inst.prefix}{block.labels[0]}.{block.labels[1]}"
        fe = block.attr("for_each")
        if fe is not None:
            coll = inst.eval_once(block, "for_each")
            items = _for_each_items(coll)
            if items is None:
                yield (
                    base,
                    {
                        "each": _each(
                            unknown("each.key", fe.start, fe.end),
                            unknown("each.value", fe.start, fe.end),
                            fe,
                        )
                    },
                )
                return
            for key, val in items[:MAX_ITEMS]:
                k = key.value if isinstance(key, JScalar) else None
                yield f'{base}["{k}"]', {"each": _each(key, val, fe)}
            return
        count = block.attr("count")
        if count is not None:
            if _count_zero(inst, block):
                return
            yield (
                base,
                {
                    "count": JObject(
                        [
                            (
                                JKey("index", count.start, count.start),
                                unknown("count.index", count.start, count.end),
                            )
                        ],
                        count.start,
                        count.end,
                    )
                },
            )
            return
        yield base, {}

    # ------------------------------------------------------------ identities

    def identity_body(
        self,
        inst: Instance,
        block: Block,
        ident: IdentityBuilder,
        type_: str,
        b: Bindings,
        bucket: Bucket,
    ) -> None:
        if type_ == "aws_iam_role":
            trust = self.policy(
                inst,
                block.attr("assume_role_policy"),
                b,
                bucket,
                address=f"{ident.address}.assume_role_policy",
                kind="trust",
                owner=ident.address,
                owner_type=type_,
            )
            ident.trust = trust
            for i, (ib, ibb) in enumerate(expand(inst, block, "inline_policy", b)):
                name_node = inst.eval(ib.attr("name"), ibb)
                policy = self.policy(
                    inst,
                    ib.attr("policy"),
                    ibb,
                    bucket,
                    address=f"{ident.address}.inline_policy[{i}]",
                    kind="identity",
                    owner=ident.address,
                    owner_type=type_,
                    name=self.value(name_node) if name_node is not None else None,
                )
                if policy is not None:
                    ident.inline.append(policy)
            arns = inst.eval(block.attr("managed_policy_arns"), b)
            if arns is not None and _present(arns):
                items = arns.items if isinstance(arns, JArray) else [arns]
                for item in items:
                    ident.managed.append(self.ref(item, inst))
        boundary = inst.eval(block.attr("permissions_boundary"), b)
        if boundary is not None and _present(boundary):
            ident.boundary = self.ref(boundary, inst)

    def ref(self, node: JNode, inst: Instance, address: str | None = None) -> PolicyRef:
        target = None
        if isinstance(node, TfRef) and ".aws_iam_policy." in "." + node.target:
            target = node.target  # with a literal key; see analysis.attached_policy
        return PolicyRef(self.value(node), target=target, address=address)

    def targets(
        self,
        inst: Instance,
        attr: Attr | None,
        kind: str,
        b: Bindings,
        identities: dict[str, IdentityBuilder],
        by_name: dict[tuple[str, str], str],
        block: Block | None = None,
    ) -> list[tuple[str | None, JNode]]:
        """The identities an attribute of `block` names: (address or None,
        its value)."""
        if attr is None:
            return []
        value = inst.eval(attr, b)
        if value is None:
            return []
        items = value.items if isinstance(value, JArray) else [value]
        prefix = f"aws_iam_{kind}"
        refs = ref_targets(inst, attr.expr, attr.pf, prefix, 0)
        each = block.attr("for_each") if block is not None else None
        whole = _unfiltered(attr.expr) and (each is None or _unfiltered(each.expr))
        if not refs and each is not None:
            # `for_each = aws_iam_user.team` with `user = each.value.name`:
            # the whole collection only when for_each is that bare reference.
            refs = ref_targets(inst, each.expr, each.pf, prefix, 0)
            whole = len(refs) == 1 and inst.prefix + _text(each) == refs[0]
        out: list[tuple[str | None, JNode]] = []
        for i, item in enumerate(items):
            address = None
            if isinstance(item, JScalar) and isinstance(item.value, str):
                address = by_name.get((kind, item.value))
            if address is None and isinstance(item, TfRef):
                address = item.target
            if address is None and len(refs) == len(items):
                address = refs[i]
            if address is None and len(items) == 1 and len(refs) == 1:
                address = refs[0]
            if address is not None and address not in identities:
                base = without_key(address)
                matches = [a for a in identities if without_key(a) == base]
                if base != address:
                    # A known key: `aws_iam_role.this[0]` of a count
                    # resource (addressed without it), or a key the
                    # for_each collection lacks.
                    address = base if base in identities else None
                elif len(matches) == 1:
                    address = matches[0]
                elif matches and whole:
                    # Every instance of a for_each or count resource (`[for
                    # u in aws_iam_user.team : u.name]`, no `if`).
                    out.extend((a, item) for a in matches)
                    continue
                else:
                    address = None  # a key it lacks, or some of several
            out.append((address, item))
        return out

    # ------------------------------------------------------------ resources

    def resource(
        self,
        inst: Instance,
        block: Block,
        type_: str,
        identities: dict[str, IdentityBuilder],
        by_name: dict[tuple[str, str], str],
        bucket: Bucket,
    ) -> None:
        if type_ == "aws_iam_policy":
            for address, b in self.instances(inst, block):
                name_node = inst.eval(block.attr("name"), b)
                policy = self.policy(
                    inst,
                    block.attr("policy"),
                    b,
                    bucket,
                    address=address,
                    kind="identity",
                    owner=None,
                    owner_type=type_,
                    managed=True,
                    name=self.value(name_node) if name_node is not None else None,
                )
                if policy is not None:
                    bucket.policies.append(policy)
            return
        if type_ in INLINE_POLICIES:
            kind, attr_name = INLINE_POLICIES[type_]
            for address, b in self.instances(inst, block):
                found = self.targets(
                    inst, block.attr(attr_name), kind, b, identities, by_name, block
                )
                # One owner, or none: an inline policy over several identities
                # (a for_each collection) is left standalone.
                owner = None
                if len(found) == 1:
                    where = f"{address}.{attr_name}"
                    owner = found[0][0] or self.external(
                        kind, found[0][1], where, block, identities, by_name, bucket
                    )
                name_node = inst.eval(block.attr("name"), b)
                policy = self.policy(
                    inst,
                    block.attr("policy"),
                    b,
                    bucket,
                    address=address,
                    kind="identity",
                    owner=owner,
                    owner_type=f"aws_iam_{kind}",
                    name=self.value(name_node) if name_node is not None else None,
                )
                if policy is None:
                    continue
                if owner is not None:
                    identities[owner].inline.append(policy)
                else:
                    bucket.policies.append(policy)
            return
        if type_ in ATTACHMENTS:
            kind, attr_name = ATTACHMENTS[type_]
            for address, b in self.instances(inst, block):
                arn = inst.eval(block.attr("policy_arn"), b)
                if arn is None:
                    continue
                found = self.targets(
                    inst, block.attr(attr_name), kind, b, identities, by_name, block
                )
                for i, (owner, named) in enumerate(found):
                    if owner is None:
                        where = f"{address}.{attr_name}" + (f"[{i}]" if len(found) > 1 else "")
                        owner = self.external(
                            kind, named, where, block, identities, by_name, bucket
                        )
                    if owner is not None:
                        identities[owner].managed.append(self.ref(arn, inst, address))
            return
        if type_ == "aws_iam_policy_attachment":
            for address, b in self.instances(inst, block):
                arn = inst.eval(block.attr("policy_arn"), b)
                if arn is None:
                    continue
                for kind, attr_name in (("user", "users"), ("group", "groups"), ("role", "roles")):
                    found = self.targets(
                        inst, block.attr(attr_name), kind, b, identities, by_name, block
                    )
                    for i, (owner, named) in enumerate(found):
                        if owner is None:
                            where = f"{address}.{attr_name}[{i}]"
                            owner = self.external(
                                kind, named, where, block, identities, by_name, bucket
                            )
                        if owner is not None:
                            identities[owner].managed.append(self.ref(arn, inst, address))
            return
        if type_ in _MEMBERSHIPS:
            users_attr, groups_attr = _MEMBERSHIPS[type_]
            for _, b in self.instances(inst, block):
                users = self.targets(
                    inst, block.attr(users_attr), "user", b, identities, by_name, block
                )
                groups = self.targets(
                    inst, block.attr(groups_attr), "group", b, identities, by_name, block
                )
                for owner, _ in users:
                    if owner is not None:
                        identities[owner].groups.extend(self.group_value(g) for g in groups)
            return
        if type_ == "aws_iam_user_login_profile":
            for _, b in self.instances(inst, block):
                for owner, _ in self.targets(
                    inst, block.attr("user"), "user", b, identities, by_name, block
                ):
                    if owner is not None:
                        identities[owner].login = True
            return
        if type_ == "aws_iam_access_key":
            for address, b in self.instances(inst, block):
                user = inst.eval(block.attr("user"), b)
                bucket.access_keys.append(
                    AccessKey(
                        address,
                        self.loc.span(block.start, block.end),
                        self.value(user) if user is not None else None,
                    )
                )
            return
        if type_ == "aws_iam_account_password_policy":
            for address, b in self.instances(inst, block):
                fields: dict[str, Any] = {}
                for hcl, name in PASSWORD_FIELDS.items():
                    node = inst.eval(block.attr(hcl), b)
                    if node is not None and _present(node):
                        fields[name] = self.value(node)
                bucket.password_policies.append(
                    PasswordPolicy(address, self.loc.span(block.start, block.end), **fields)
                )
            return
        if type_ in ("aws_lambda_permission", "aws_lambda_layer_version_permission"):
            for address, b in self.instances(inst, block):
                policy = self.permission(inst, block, type_, address, b)
                bucket.policies.append(policy)
            return
        policy_kind: PolicyKind = "boundary" if type_ in FILTER_POLICIES else "resource"
        owner_type = type_
        spec = RESOURCE_POLICIES.get(type_)
        if spec is None:
            other = OTHER_IDENTITY_POLICIES.get(type_)
            if other is None:
                return
            policy_kind = "identity"
            attr_name, owner_attr, owner_type = other
        else:
            attr_name, owner_attr = spec
        for address, b in self.instances(inst, block):
            owner = address
            if owner_attr:
                oattr = block.attr(owner_attr)
                if oattr is not None:
                    refs = ref_targets(inst, oattr.expr, oattr.pf, "aws_", 0)
                    if refs:
                        owner = refs[0]
            policy = self.policy(
                inst,
                block.attr(attr_name),
                b,
                bucket,
                address=address,
                kind=policy_kind,
                owner=owner,
                owner_type=owner_type,
            )
            if policy is not None:
                bucket.policies.append(policy)

    def external(
        self,
        kind: str,
        node: JNode,
        where: str,
        block: Block,
        identities: dict[str, IdentityBuilder],
        by_name: dict[tuple[str, str], str],
        bucket: Bucket,
    ) -> str | None:
        """The identity a value names that is none of this module's
        (`role = var.role_name`, a role created elsewhere): an external one,
        addressed by where it is named (`aws_iam_role_policy.p.role`), so
        what is attached to it is still judged. Only a known name is the
        same identity wherever it is written: an unresolved one
        (`each.value`, a module output) may be another role at each place.
        None for null, which names nothing."""
        value = node.value if isinstance(node, JScalar) else None
        if value is None:
            return None
        key = ("external " + kind, value if isinstance(value, str) else "\x00" + where)
        found = by_name.get(key)
        if found is not None:
            return found
        ident = IdentityBuilder(_identity_kind(kind), where, block, external=True)
        ident.name = self.value(node)
        identities[where] = ident
        by_name[key] = where
        bucket.identities.append(ident)
        return where

    def group_value(self, found: tuple[str | None, JNode]) -> Value:
        address, node = found
        value = self.value(node)
        if address is not None:
            return Value(address, value.span, value.from_default)
        return value

    # ------------------------------------------------------------ documents

    def policy(
        self,
        inst: Instance,
        attr: Attr | None,
        b: Bindings,
        bucket: Bucket,
        *,
        address: str,
        kind: PolicyKind,
        owner: str | None,
        owner_type: str,
        managed: bool = False,
        name: Value | None = None,
    ) -> Policy | None:
        """The policy an attribute holds; None when the attribute is absent
        or null; an IAM000 error when it is text that is not JSON."""
        if attr is None:
            return None
        value = inst.eval(attr, b)
        if value is None or (isinstance(value, JScalar) and value.value is None):
            return None
        try:
            tree = as_document(value)
        except DocError as exc:
            bucket.errors.append(
                ParseError(f"{address}: {exc.message}", self.loc.span(exc.offset, exc.offset))
            )
            return None
        if tree is None:
            assert isinstance(value, JScalar)
            expr = value.value.expression if isinstance(value.value, Unknown) else "?"
            return Policy(
                kind=kind,
                source_format=FORMAT,
                address=address,
                span=self.loc.span(attr.start, attr.end),
                version=Value(Unknown(expr), self.loc.span(value.start, value.end)),
                owner=owner,
                owner_type=owner_type,
                managed=managed,
                name=name,
            )
        return build_policy(
            tree,
            self.loc,
            address=address,
            source_format=FORMAT,
            kind=kind,
            owner=owner,
            owner_type=owner_type,
            managed=managed,
            name=name,
            size=_size(value),
        )

    def permission(
        self, inst: Instance, block: Block, type_: str, address: str, b: Bindings
    ) -> Policy:
        """aws_lambda_permission as the one-statement resource policy it adds."""
        pairs: list[tuple[JKey, JNode]] = []
        s0 = block.start

        def put(hcl: str, iam: str, convert: Any = None) -> JNode | None:
            attr = block.attr(hcl)
            node = inst.eval(attr, b)
            if attr is None or node is None or not _present(node):
                return None
            if convert is not None:
                node = convert(node)
            pairs.append((JKey(iam, attr.key_start, attr.key_end), node))
            return node

        put("statement_id", "Sid")
        pairs.append((JKey("Effect", s0, s0), JScalar("Allow", s0, s0)))
        put("principal", "Principal", _principal)
        put("action", "Action")
        resource = "function_name" if type_ == "aws_lambda_permission" else "layer_name"
        put(resource, "Resource")
        conds = LAMBDA_CONDITIONS if type_ == "aws_lambda_permission" else LAYER_CONDITIONS
        cpairs: list[tuple[JKey, JNode]] = []
        first = None
        for hcl, (op, key) in conds.items():
            attr = block.attr(hcl)
            node = inst.eval(attr, b)
            if attr is None or node is None or not _present(node):
                continue
            first = first if first is not None else attr.key_start
            cpairs.append(
                (
                    JKey(op, attr.key_start, attr.key_end),
                    JObject(
                        [(JKey(key, attr.key_start, attr.key_end), node)], attr.start, attr.end
                    ),
                )
            )
        if cpairs and first is not None:
            end = max(v.end for _, v in cpairs)
            pairs.append((JKey("Condition", first, first), JObject(cpairs, first, end)))
        statement = JObject(pairs, block.start, block.end)
        doc = JObject(
            [
                (JKey("Version", s0, s0), JScalar("2012-10-17", s0, s0)),
                (JKey("Statement", s0, s0), JArray([statement], block.start, block.end)),
            ],
            block.start,
            block.end,
        )
        owner = address
        attr = block.attr(resource)
        if attr is not None:
            refs = ref_targets(inst, attr.expr, attr.pf, "aws_lambda_", 0)
            if refs:
                owner = refs[0]
        return build_policy(
            doc,
            self.loc,
            address=address,
            source_format=FORMAT,
            kind="resource",
            owner=owner,
            owner_type=type_,
        )


def _principal(node: JNode) -> JNode:
    if isinstance(node, JScalar) and isinstance(node.value, str):
        v = node.value
        if v == "*":
            return node
        kind = "Service" if v.endswith((".amazonaws.com", ".amazonaws.com.cn")) else "AWS"
        return JObject([(JKey(kind, node.start, node.start), node)], node.start, node.end)
    return node


def _identity_kind(kind: str) -> IdentityKind:
    if kind == "user":
        return "user"
    if kind == "group":
        return "group"
    return "role"


def _present(node: JNode) -> bool:
    return not (isinstance(node, JScalar) and node.value is None)


def _size(value: JNode) -> int | None:
    if isinstance(value, TfJson) and isinstance(value.value, str):
        return compact_size(value.value)
    if isinstance(value, TfStr) and isinstance(value.value, str):
        return compact_size(value.value)
    return None


def _each(key: JNode, val: JNode, attr: Attr) -> JObject:
    return JObject(
        [(JKey("key", key.start, key.end), key), (JKey("value", val.start, val.end), val)],
        attr.start,
        attr.end,
    )


def _for_each_items(coll: JNode | None) -> list[tuple[JNode, JNode]] | None:
    if coll is None:
        return None
    if isinstance(coll, JObject):
        if any(isinstance(k.value, Unknown) for k, _ in coll.pairs):
            return None
        return [(JScalar(k.value, k.start, k.end), v) for k, v in coll.pairs]
    if isinstance(coll, JArray):
        if any(is_unknown(i) for i in coll.items):
            return None
        return [(i, i) for i in coll.items]
    if isinstance(coll, JScalar) and coll.value is None:
        return []
    return None


def _count_zero(inst: Instance, block: Block) -> bool:
    """count = 0 (known), or for_each over a known empty collection."""
    if block.attr("count") is not None:
        node = inst.eval_once(block, "count")
        if isinstance(node, JScalar) and node.value == 0 and not isinstance(node.value, bool):
            return True
    if block.attr("for_each") is not None:
        items = _for_each_items(inst.eval_once(block, "for_each"))
        if items is not None and not items:
            return True
    return False


def _unfiltered(expr: Any) -> bool:
    """No `if` clause of a for expression anywhere in `expr`: a reference to
    a whole collection in it means all of the collection."""
    if isinstance(expr, JNode):
        return False
    stack = [expr]
    while stack:
        node = stack.pop()
        if node.type == "for_cond":
            return False
        stack.extend(node.children)
    return True


def _text(attr: Attr) -> str:
    return "" if isinstance(attr.expr, JNode) else attr.pf.source(attr.expr).strip()


def ref_targets(inst: Instance, expr: Any, pf: Any, type_prefix: str, depth: int) -> list[str]:
    """Resource addresses an expression refers to (`aws_iam_role.this.name`
    gives `aws_iam_role.this`), through locals and module arguments."""
    if depth > 8 or isinstance(expr, JNode):
        return []
    found: list[tuple[int, str]] = []
    stack: list[Node] = [expr]
    seen = 0
    while stack and seen < 2000:
        seen += 1
        node = stack.pop()
        children = node.children
        for i, child in enumerate(children):
            if child.type != "variable_expr":
                if child.child_count:
                    stack.append(child)
                continue
            root = pf.source(child)
            nxt = children[i + 1] if i + 1 < len(children) else None
            attr = pf.source(nxt)[1:].strip() if nxt is not None and nxt.type == "get_attr" else ""
            if not attr:
                continue
            at = child.start_byte
            if root == "local":
                local = inst.module.locals.get(attr)
                if local is not None:
                    for a in ref_targets(inst, local.expr, local.pf, type_prefix, depth + 1):
                        found.append((at, a))
            elif root == "var":
                if inst.call is not None and inst.caller is not None:
                    arg = inst.call.attr(attr)
                    if arg is not None:
                        for a in ref_targets(inst.caller, arg.expr, arg.pf, type_prefix, depth + 1):
                            found.append((at, a))
            elif root.startswith(type_prefix) and root not in ("data", "module"):
                found.append((at, f"{inst.prefix}{root}.{attr}"))
    found.sort(key=lambda pair: pair[0])
    return list(dict.fromkeys(a for _, a in found))


__all__ = ["Bucket", "Extractor", "ref_targets"]
