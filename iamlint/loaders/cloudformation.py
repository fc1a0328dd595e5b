"""CloudFormation templates (JSON or YAML, SAM, CDK output).

A `.json`, `.yaml`, `.yml` or `.template` file is a template when it has an
AWSTemplateFormatVersion, a Resources map whose entries have an `AWS::`
Type, or a SAM Transform; other YAML and JSON is left alone without a word.

Every policy document in a template becomes a Policy: the inline and trust
policies of roles, users and groups (inside their Identity), managed and
standalone IAM policies, every resource policy property listed in
`iamlint/data/cfn_policy_properties.json` (generated from cfn-lint's
resource schemas), Lambda and EventBridge permission resources (turned into
one-statement resource policies) and SAM's Policies (managed names, inline
documents and policy templates). Attachments (ManagedPolicyArns, a managed
policy's Users/Groups/Roles, group memberships, boundaries) link to the
identities and policies of the same template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from iamlint.loaders import LoadError, Source, error_document
from iamlint.loaders.credentials import find_credentials
from iamlint.loaders.identities import IdentityDraft
from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar, LineIndex, TextLocator
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
    Suppression,
    Unknown,
    Value,
)

if TYPE_CHECKING:
    from iamlint.loaders.cfn_values import Resolver

FORMAT = "cloudformation"
EXTENSIONS = (".json", ".yaml", ".yml", ".template")
PRIORITY = 10  # before the raw JSON policy loader, which also takes .json files
GROUPED = False

_TYPE_AWS = re.compile(rb"""["']?Type["']?[ \t]*:[ \t]*["']?AWS::""")


def sniff(name: str, data: bytes) -> bool:
    """A cheap look: the words only a template has."""
    if b"AWSTemplateFormatVersion" in data:
        return True
    if b"AWS::" not in data:
        return False
    return b"AWS::Serverless" in data or _TYPE_AWS.search(data) is not None


def load(sources: Sequence[Source]) -> list[Document]:
    return [doc for source in sources if (doc := load_one(source)) is not None]


def load_one(source: Source) -> Document | None:
    """The template's document, an error document, or None if not a template."""
    from iamlint.loaders.text import decode

    path = source.display
    try:
        text = decode(source.data)
    except LoadError as exc:
        text = source.data.decode("utf-8", errors="replace")
        return _error(path, text, exc.message, exc.offset)
    try:
        root = _parse(text, path)
    except LoadError as exc:
        return _error(path, text, exc.message, exc.offset)
    if not is_template(root):
        return None
    assert isinstance(root, JObject)
    return _Template(path, text, root).document()


def _error(path: str, text: str, message: str, offset: int | None) -> Document:
    loc = TextLocator(path, text)
    offset = min(offset or 0, len(text))
    return error_document(path, FORMAT, message, loc.span(offset, offset))


def _parse(text: str, path: str) -> JNode | None:
    stripped = text.lstrip()
    if stripped.startswith("{") or path.lower().endswith(".json"):
        from iamlint.loaders.jsonpos import JSONPosError, parse

        try:
            root = parse(text)
        except JSONPosError as exc:
            raise LoadError(f"invalid JSON: {exc.message}", exc.offset) from None
        _check_duplicates(root)
        return root
    from iamlint.loaders import cfn_yaml

    return cfn_yaml.parse(text)


def _check_duplicates(root: JNode) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, JObject):
            seen: set[object] = set()
            for key, value in node.pairs:
                if key.value in seen:
                    raise LoadError(f"duplicate key {key.value!r}", key.start)
                seen.add(key.value)
                stack.append(value)
        elif isinstance(node, JArray):
            stack.extend(node.items)


def is_template(root: JNode | None) -> bool:
    if not isinstance(root, JObject):
        return False
    if root.get("AWSTemplateFormatVersion") is not None:
        return True
    transform = root.get("Transform")
    names = transform.items if isinstance(transform, JArray) else [transform]
    if any(isinstance(n, JScalar) and str(n.value).startswith("AWS::Serverless") for n in names):
        return True
    resources = root.get("Resources")
    if not isinstance(resources, JObject):
        return False
    for _, res in resources.pairs:
        type_node = res.get("Type") if isinstance(res, JObject) else None
        if isinstance(type_node, JScalar) and str(type_node.value).startswith("AWS::"):
            return True
    return False


@lru_cache(maxsize=1)
def policy_properties() -> dict[str, dict[str, str]]:
    """type -> {property path: policy kind}, generated from cfn-lint's schemas."""
    path = Path(__file__).resolve().parent.parent / "data" / "cfn_policy_properties.json"
    data: dict[str, dict[str, str]] = json.loads(path.read_text("utf-8"))
    return data


# Identity types and the property naming them in attachments.
_IDENTITY_TYPES: dict[str, IdentityKind] = {
    "AWS::IAM::Role": "role",
    "AWS::IAM::User": "user",
    "AWS::IAM::Group": "group",
}
_NAME_PROPERTY = {"role": "RoleName", "user": "UserName", "group": "GroupName"}
_ATTACH_LISTS: tuple[tuple[str, IdentityKind], ...] = (
    ("Users", "user"),
    ("Groups", "group"),
    ("Roles", "role"),
)
_SINGLE_POLICY_TYPES: dict[str, tuple[str, IdentityKind]] = {
    "AWS::IAM::UserPolicy": ("UserName", "user"),
    "AWS::IAM::RolePolicy": ("RoleName", "role"),
    "AWS::IAM::GroupPolicy": ("GroupName", "group"),
}
_SERVERLESS_ROLES = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")


class _Resource:
    __slots__ = ("address", "key", "logical", "node", "props", "type")

    def __init__(self, key: JKey, node: JObject, type_: str, address: str) -> None:
        self.key = key
        self.logical = key.text
        self.node = node
        self.type = type_
        props = node.get("Properties")
        self.props = props if isinstance(props, JObject) else JObject([], node.start, node.start)
        self.address = address


class _IdentityBuilder(IdentityDraft):
    """An identity of the template, declared by `res`; or, external, named
    by `res` at `where` (its address)."""

    __slots__ = ("res", "where")

    def __init__(self, kind: IdentityKind, res: _Resource, where: str = "") -> None:
        super().__init__(kind, external=bool(where))
        self.res = res
        self.where = where


class _StringLocator:
    """Maps offsets inside a string-encoded document back into the file:
    exactly when the string is written without escapes, else to the
    string's own position."""

    __slots__ = ("base", "fallback", "offsets")

    def __init__(self, base: TextLocator, source: str, value: str, start: int, end: int) -> None:
        self.base = base
        self.fallback = (start, end)
        self.offsets = _align(source, value, start)

    def span(self, start: int, end: int) -> Span:
        offsets = self.offsets
        if offsets is None:
            return self.base.span(*self.fallback)
        last = len(offsets) - 1
        return self.base.span(offsets[min(start, last)], offsets[min(end, last)])


def _align(source: str, value: str, base: int) -> list[int] | None:
    """File offset of each character of `value` in `source` (a scalar's
    text), skipping only quotes, indentation, block indicators and escape
    backslashes; None when the string is written with other escapes."""
    out: list[int] = []
    j = 0
    n = len(source)
    started = False
    for ch in value:
        while j < n and source[j] != ch:
            skip = source[j]
            if skip in " \t\r\n\"'\\" or (not started and skip in "|>+-0123456789"):
                j += 1
                continue
            return None
        if j >= n:
            return None
        started = True
        out.append(base + j)
        j += 1
    out.append(base + j)
    return out


class _Template:
    """One template being turned into a Document."""

    def __init__(self, path: str, text: str, root: JObject, prefix: str = "") -> None:
        from iamlint.loaders.cfn_values import Resolver, Scope

        self.prefix = prefix  # the address of an enclosing template's resource
        self.path = path
        self.text = text
        self.root = root
        self.loc = TextLocator(path, text)
        self.resources: dict[str, _Resource] = {}
        resources = root.get("Resources")
        if isinstance(resources, JObject):
            for key, node in resources.pairs:
                if not isinstance(node, JObject):
                    continue
                type_node = node.get("Type")
                type_ = type_node.value if isinstance(type_node, JScalar) else None
                if isinstance(type_, str):
                    address = self._address(key.text, node)
                    self.resources[key.text] = _Resource(key, node, type_, address)
        parameters: dict[str, JObject] = {}
        params = root.get("Parameters")
        if isinstance(params, JObject):
            parameters = {k.text: v for k, v in params.pairs if isinstance(v, JObject)}
        mappings = root.get("Mappings")
        scope = Scope(
            parameters,
            {k: r.type for k, r in self.resources.items()},
            mappings if isinstance(mappings, JObject) else None,
        )
        self.resolver = Resolver(scope)
        self.policies: list[Policy] = []
        self.identities: dict[str, _IdentityBuilder] = {}
        self.access_keys: list[AccessKey] = []
        self.suppressions: list[Suppression] = []
        self.errors: list[ParseError] = []
        self.frozen: list[Identity] = []  # identities of nested templates

    # -- helpers ----------------------------------------------------------

    def _address(self, logical: str, node: JObject) -> str:
        metadata = node.get("Metadata")
        if isinstance(metadata, JObject):
            cdk = metadata.get("aws:cdk:path")
            if isinstance(cdk, JScalar) and isinstance(cdk.value, str) and cdk.value:
                return cdk.value
        return f"{self.prefix}Resources.{logical}"

    def span(self, node: JNode) -> Span:
        return self.loc.span(node.start, node.end)

    def resource_span(self, res: _Resource) -> Span:
        return self.loc.span(res.key.start, res.node.end)

    def value(self, node: JNode) -> Value:
        """A property as a Value, intrinsics resolved."""
        resolved = self.resolver.resolve(node)
        if isinstance(resolved, JScalar):
            return Value(resolved.value, self.span(resolved), resolved.from_default)
        from iamlint.loaders.cfn_values import render

        return Value(Unknown(render(node)), self.span(node))

    def values(self, node: JNode | None) -> Iterator[tuple[JNode, Value]]:
        """Each item of a list property, with the item as written (`Fn::If`
        gives both branches; a list parameter its items)."""
        if node is None:
            return
        for raw in node.items if isinstance(node, JArray) else [node]:
            for resolved in self.resolver.resolve_item(raw):
                for item in resolved.items if isinstance(resolved, JArray) else [resolved]:
                    yield raw, self.value(item)

    def referenced(self, node: JNode, kinds: tuple[str, ...]) -> _Resource | None:
        """The template resource a `Ref`/`GetAtt` (or a literal name) points at."""
        from iamlint.loaders.cfn_values import intrinsic

        fn = intrinsic(node)
        target: str | None = None
        if fn is not None:
            name, arg = fn
            if name == "Ref" and isinstance(arg, JScalar) and isinstance(arg.value, str):
                target = arg.value
            elif name == "Fn::GetAtt":
                first = arg.items[0] if isinstance(arg, JArray) and arg.items else arg
                if isinstance(first, JScalar) and isinstance(first.value, str):
                    target = first.value.split(".", 1)[0]
            res = self.resources.get(target) if target else None
            return res if res is not None and res.type in kinds else None
        if isinstance(node, JScalar) and isinstance(node.value, str):
            for res in self.resources.values():
                if res.type not in kinds:
                    continue
                kind = _IDENTITY_TYPES.get(res.type)
                prop = _NAME_PROPERTY.get(kind) if kind else "ManagedPolicyName"
                named = res.props.get(prop) if prop else None
                if isinstance(named, JScalar) and named.value == node.value:
                    return res
        return None

    def external_identity(
        self, kind: IdentityKind, value: Value, res: _Resource, where: str
    ) -> _IdentityBuilder:
        """An identity the template does not declare, named by a parameter
        or a literal name (`Users: [!Ref UserName]`): what is attached to
        it is still judged (Identity.external). Values that read the same
        share one (a template has one value per parameter); it is
        addressed by the first place naming it (`Resources.P.Users[0]`)."""
        said = value.value.expression if isinstance(value.value, Unknown) else value.value
        key = f"\x00{kind} {said}"  # never a logical id
        builder = self.identities.get(key)
        if builder is None:
            builder = _IdentityBuilder(kind, res, where)
            builder.name = value
            self.identities[key] = builder
        return builder

    def identity(self, res: _Resource) -> _IdentityBuilder:
        builder = self.identities.get(res.logical)
        if builder is None:
            kind = _IDENTITY_TYPES.get(res.type, "role")
            builder = _IdentityBuilder(kind, res)
            self.identities[res.logical] = builder
        return builder

    # -- policies ---------------------------------------------------------

    def policy(
        self,
        node: JNode,
        address: str,
        *,
        kind: PolicyKind | None,
        owner: str | None,
        owner_type: str | None,
        managed: bool = False,
        name: Value | None = None,
        resolver: Resolver | None = None,
    ) -> Policy | None:
        """A policy document (object, JSON string, or `!Sub` JSON) as a Policy."""
        from iamlint.loaders.cfn_values import intrinsic, to_json
        from iamlint.loaders.policydoc import build_policy, compact_size

        resolver = resolver or self.resolver
        locator: TextLocator | _StringLocator = self.loc
        fn = intrinsic(node)
        if fn is not None and fn[0] == "Fn::Sub":
            doc = self._sub_document(node, fn[1], resolver)
            if doc is None:
                return None
            tree, locator, size = doc
        else:
            resolved = resolver.resolve(node)
            if resolved is None:
                return None
            if isinstance(resolved, JScalar):
                if not isinstance(resolved.value, str):
                    return None  # an unresolved document: nothing to read
                parsed = self._json_string(resolved)
                if parsed is None:
                    return None
                tree, locator = parsed
                size = compact_size(resolved.value)
            else:
                tree = resolved
                size = compact_size(json.dumps(to_json(tree), separators=(",", ":")))
        return build_policy(
            tree,
            locator,
            address=address,
            source_format=FORMAT,
            kind=kind,
            owner=owner,
            owner_type=owner_type,
            managed=managed,
            name=name,
            size=size,
        )

    def _json_string(self, scalar: JScalar) -> tuple[JNode, _StringLocator] | None:
        from iamlint.loaders.jsonpos import JSONPosError, parse

        value = scalar.value
        assert isinstance(value, str)
        source = self.text[scalar.start : scalar.end]
        locator = _StringLocator(self.loc, source, value, scalar.start, scalar.end)
        try:
            return parse(value), locator
        except JSONPosError as exc:
            span = locator.span(exc.offset, exc.offset)
            self.errors.append(
                ParseError(f"invalid JSON in a string-encoded policy: {exc.message}", span)
            )
            return None

    def _sub_document(
        self, node: JNode, arg: JNode, resolver: Resolver
    ) -> tuple[JNode, _StringLocator, int] | None:
        """`!Sub '{"Statement": ...${Var}...}'`: the JSON read from the
        template string, each `${...}` resolved inside its own string."""
        from iamlint.loaders.policydoc import compact_size

        template = arg.items[0] if isinstance(arg, JArray) and arg.items else arg
        if not isinstance(template, JScalar) or not isinstance(template.value, str):
            return None
        parsed = self._json_string(template)
        if parsed is None:
            return None
        tree, locator = parsed
        variables = arg.items[1] if isinstance(arg, JArray) and len(arg.items) == 2 else None
        key = JKey("Fn::Sub", node.start, node.start)

        def sub(n: JNode) -> JNode:
            if isinstance(n, JObject):
                return JObject([(k, sub(v)) for k, v in n.pairs], n.start, n.end)
            if isinstance(n, JArray):
                return JArray([sub(i) for i in n.items], n.start, n.end)
            if isinstance(n, JScalar) and isinstance(n.value, str) and "${" in n.value:
                inner: JNode = JScalar(n.value, n.start, n.end)
                if isinstance(variables, JObject):
                    inner = JArray([inner, variables], n.start, n.end)
                resolved = resolver.resolve(JObject([(key, inner)], n.start, n.end))
                if isinstance(resolved, JScalar):
                    return JScalar(resolved.value, n.start, n.end, resolved.from_default)
            return n

        return sub(tree), locator, compact_size(template.value)

    # -- the walk ---------------------------------------------------------

    def document(self) -> Document:
        for res in self.resources.values():
            if res.type in _IDENTITY_TYPES:
                self.identity(res)
        for res in self.resources.values():
            self.suppressions.extend(self._metadata_suppressions(res))
            handler = _HANDLERS.get(res.type)
            if handler is not None:
                handler(self, res)
            elif res.type in _SERVERLESS_ROLES:
                self._serverless(res)
            elif res.type == "AWS::CloudFormation::StackSet":
                self._nested(res)
            else:
                self._resource_policies(res)
        if not self.prefix:
            self.suppressions.extend(self._comment_suppressions())
        identities = (*(self._freeze(b) for b in self.identities.values()), *self.frozen)
        return Document(
            self.path,
            FORMAT,
            policies=tuple(self.policies),
            identities=identities,
            access_keys=tuple(self.access_keys),
            credentials=find_credentials(self.text, self.loc) if not self.prefix else (),
            suppressions=tuple(self.suppressions),
            errors=tuple(self.errors),
        )

    def _freeze(self, b: _IdentityBuilder) -> Identity:
        return b.freeze(b.where or b.res.address, self.resource_span(b.res), FORMAT)

    def _identity_resource(self, res: _Resource) -> None:
        """AWS::IAM::Role, ::User, ::Group."""
        b = self.identity(res)
        props = res.props
        name_node = props.get(_NAME_PROPERTY[b.kind])
        if name_node is not None:
            b.name = self.value(name_node)
        trust = props.get("AssumeRolePolicyDocument")
        if trust is not None and b.kind == "role":
            b.trust = self.policy(
                trust,
                f"{res.address}.AssumeRolePolicyDocument",
                kind="trust",
                owner=res.address,
                owner_type=res.type,
            )
        b.inline.extend(self._inline_list(res, props.get("Policies")))
        b.managed.extend(self._managed_refs(props.get("ManagedPolicyArns")))
        boundary = props.get("PermissionsBoundary")
        if boundary is not None and b.kind != "group":
            b.boundary = self._policy_ref(boundary, self.value(boundary))
        if b.kind == "user":
            b.login = props.get("LoginProfile") is not None
            for raw, value in self.values(props.get("Groups")):
                group = self.referenced(raw, ("AWS::IAM::Group",))
                b.groups.append(Value(group.address, value.span) if group else value)

    def _inline_list(self, res: _Resource, node: JNode | None) -> Iterator[Policy]:
        """The `Policies` of a role, user or group."""
        if node is None:
            return
        index = 0
        for raw in node.items if isinstance(node, JArray) else [node]:
            for entry in self.resolver.resolve_item(raw):
                address = f"{res.address}.Policies[{index}]"
                index += 1
                if not isinstance(entry, JObject):
                    continue
                # The document as written, so a `!Sub` JSON string keeps its positions.
                doc = _raw_get(raw, "PolicyDocument") or entry.get("PolicyDocument")
                if doc is None:
                    continue
                name_node = entry.get("PolicyName")
                policy = self.policy(
                    doc,
                    address,
                    kind="identity",
                    owner=res.address,
                    owner_type=res.type,
                    name=self.value(name_node) if name_node is not None else None,
                )
                if policy is not None:
                    yield policy

    def _managed_refs(self, node: JNode | None) -> Iterator[PolicyRef]:
        for raw, value in self.values(node):
            yield self._policy_ref(raw, value)

    def _policy_ref(self, raw: JNode, value: Value) -> PolicyRef:
        target = self.referenced(raw, ("AWS::IAM::ManagedPolicy",))
        if target is not None:
            return PolicyRef(value, target=f"{target.address}.PolicyDocument")
        return PolicyRef(value)

    def _iam_policy(self, res: _Resource) -> None:
        """AWS::IAM::Policy and ::ManagedPolicy, with their attachments."""
        managed = res.type == "AWS::IAM::ManagedPolicy"
        props = res.props
        name_node = props.get("ManagedPolicyName" if managed else "PolicyName")
        name = self.value(name_node) if name_node is not None else None
        doc = props.get("PolicyDocument")
        targets: list[tuple[JNode, _IdentityBuilder]] = []
        for prop, kind in _ATTACH_LISTS:
            type_ = next(t for t, k in _IDENTITY_TYPES.items() if k == kind)
            for i, (raw, value) in enumerate(self.values(props.get(prop))):
                if value.value is None:
                    continue  # AWS::NoValue, or a null: names nothing
                found = self.referenced(raw, (type_,))
                where = f"{res.address}.{prop}[{i}]"
                builder = (
                    self.identity(found)
                    if found is not None
                    else self.external_identity(kind, value, res, where)
                )
                targets.append((raw, builder))
        address = f"{res.address}.PolicyDocument"
        if managed:
            policy = None
            if doc is not None:
                policy = self.policy(
                    doc,
                    address,
                    kind="identity",
                    owner=res.address,
                    owner_type=res.type,
                    managed=True,
                    name=name,
                )
                if policy is not None:
                    self.policies.append(policy)
            for raw, b in targets:
                ref_value = Value(Unknown(f"!Ref {res.logical}"), self.span(raw))
                b.managed.append(PolicyRef(ref_value, target=address, address=res.address))
            return
        if doc is None:
            return
        owner = targets[0][1] if len(targets) == 1 else None
        self.inline_policy(doc, address, res, owner, name)

    def _single_policy(self, res: _Resource) -> None:
        """AWS::IAM::UserPolicy, ::RolePolicy, ::GroupPolicy."""
        prop, kind = _SINGLE_POLICY_TYPES[res.type]
        props = res.props
        doc = props.get("PolicyDocument")
        if doc is None:
            return
        name_node = props.get("PolicyName")
        name = self.value(name_node) if name_node is not None else None
        type_ = next(t for t, k in _IDENTITY_TYPES.items() if k == kind)
        owner_node = props.get(prop)
        address = f"{res.address}.PolicyDocument"
        owner = None
        if owner_node is not None:
            found = self.referenced(owner_node, (type_,))
            value = self.value(owner_node)
            if found is not None:
                owner = self.identity(found)
            elif value.value is not None:
                owner = self.external_identity(kind, value, res, f"{res.address}.{prop}")
        self.inline_policy(doc, address, res, owner, name)

    def inline_policy(
        self,
        doc: JNode,
        address: str,
        res: _Resource,
        owner: _IdentityBuilder | None,
        name: Value | None,
    ) -> None:
        """An identity policy: inline in `owner`, or standalone (owned by
        its own resource `res`) when it has no single identity."""
        holder = owner.res if owner is not None else res
        owner_type = holder.type
        if owner is not None and owner.external:
            owner_type = next(t for t, k in _IDENTITY_TYPES.items() if k == owner.kind)
        policy = self.policy(
            doc, address, kind="identity", owner=holder.address, owner_type=owner_type, name=name
        )
        if policy is None:
            return
        if owner is not None:
            owner.inline.append(policy)
        else:
            self.policies.append(policy)

    def _group_addition(self, res: _Resource) -> None:
        """AWS::IAM::UserToGroupAddition: users become members of the group."""
        group_node = res.props.get("GroupName")
        if group_node is None:
            return
        group = self.referenced(group_node, ("AWS::IAM::Group",))
        value = self.value(group_node)
        member = Value(group.address, value.span) if group else value
        for raw, _ in self.values(res.props.get("Users")):
            user = self.referenced(raw, ("AWS::IAM::User",))
            if user is not None:
                self.identity(user).groups.append(member)

    def _access_key(self, res: _Resource) -> None:
        user_node = res.props.get("UserName")
        user_value = None
        if user_node is not None:
            user = self.referenced(user_node, ("AWS::IAM::User",))
            value = self.value(user_node)
            user_value = Value(user.address, value.span) if user else value
        self.access_keys.append(AccessKey(res.address, self.resource_span(res), user_value))

    def _resource_policies(self, res: _Resource) -> None:
        table = policy_properties().get(res.type)
        if not table:
            return
        for prop_path, kind in table.items():
            for node, where in _property_nodes(res.props, prop_path.split("/"), ""):
                policy = self.policy(
                    node,
                    f"{res.address}.{where}",
                    kind=None if kind == "iam" else kind,  # type: ignore[arg-type]
                    owner=res.address,
                    owner_type=res.type,
                )
                if policy is not None:
                    self.policies.append(policy)

    def _permission(self, res: _Resource) -> None:
        """AWS::Lambda::Permission, ::LayerVersionPermission and
        AWS::Events::EventBusPolicy: one statement, written as properties."""
        props = res.props
        if res.type == "AWS::Events::EventBusPolicy":
            statement = props.get("Statement")
            if statement is not None:
                doc = JObject(
                    [(JKey("Statement", statement.start, statement.start), statement)],
                    statement.start,
                    statement.end,
                )
                self._add_resource_policy(res, doc)
                return
        pairs: list[tuple[JKey, JNode]] = []
        type_node = res.node.get("Type") or res.node
        pairs.append(
            (
                JKey("Effect", type_node.start, type_node.end),
                JScalar("Allow", type_node.start, type_node.end),
            )
        )
        principal = props.get("Principal")
        if principal is not None:
            pairs.append((_key_at("Principal", principal), self._principal(principal)))
        action = props.get("Action")
        if action is not None:
            pairs.append((_key_at("Action", action), action))
        resource_prop = {
            "AWS::Lambda::Permission": "FunctionName",
            "AWS::Lambda::LayerVersionPermission": "LayerVersionArn",
            "AWS::Events::EventBusPolicy": "EventBusName",
        }[res.type]
        resource = props.get(resource_prop)
        if resource is not None:
            pairs.append((_key_at("Resource", resource), resource))
        conditions = self._permission_conditions(res)
        if conditions:
            first = conditions[0][1]
            pairs.append(
                (
                    JKey("Condition", first.start, first.end),
                    JObject(conditions, first.start, first.end),
                )
            )
        statement = JObject(pairs, res.node.start, res.node.end)
        doc = JObject(
            [
                (
                    JKey("Statement", res.node.start, res.node.start),
                    JArray([statement], res.node.start, res.node.end),
                )
            ],
            res.node.start,
            res.node.end,
        )
        self._add_resource_policy(res, doc)

    def _add_resource_policy(self, res: _Resource, doc: JObject) -> None:
        policy = self.policy(
            doc, res.address, kind="resource", owner=res.address, owner_type=res.type
        )
        if policy is not None:
            self.policies.append(policy)

    def _principal(self, node: JNode) -> JNode:
        resolved = self.resolver.resolve(node)
        if not isinstance(resolved, JScalar):
            return node
        value = resolved.value
        if value == "*":
            return resolved
        kind = "AWS"
        if (
            isinstance(value, str)
            and not value.isdigit()
            and not value.startswith("arn:")
            and "." in value
        ):
            kind = "Service"
        return JObject([(JKey(kind, node.start, node.end), resolved)], node.start, node.end)

    def _permission_conditions(self, res: _Resource) -> list[tuple[JKey, JNode]]:
        props = res.props
        found: list[tuple[str, str, JNode]] = []
        for prop, operator, key in (
            ("SourceArn", "ArnLike", "aws:SourceArn"),
            ("SourceAccount", "StringEquals", "aws:SourceAccount"),
            ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
            ("OrganizationId", "StringEquals", "aws:PrincipalOrgID"),
            ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
        ):
            node = props.get(prop)
            if node is not None:
                found.append((operator, key, node))
        condition = props.get("Condition") if res.type == "AWS::Events::EventBusPolicy" else None
        if isinstance(condition, JObject):
            ckey = condition.get("Key")
            cvalue = condition.get("Value")
            if isinstance(ckey, JScalar) and isinstance(ckey.value, str) and cvalue is not None:
                found.append(("StringEquals", ckey.value, cvalue))
        blocks: dict[str, list[tuple[JKey, JNode]]] = {}
        for operator, key, node in found:
            blocks.setdefault(operator, []).append((_key_at(key, node), node))
        return [
            (_key_at(op, pairs[0][1]), JObject(pairs, pairs[0][1].start, pairs[-1][1].end))
            for op, pairs in blocks.items()
        ]

    def _serverless(self, res: _Resource) -> None:
        """SAM functions and state machines: the implicit role's policies."""
        from iamlint.loaders import cfn_sam

        props = res.props
        if props.get("Role") is not None:
            return  # SAM creates no role, and ignores Policies
        b = _IdentityBuilder("role", res)
        self.identities[res.logical] = b
        trust = props.get("AssumeRolePolicyDocument")
        if trust is not None:
            b.trust = self.policy(
                trust,
                f"{res.address}.AssumeRolePolicyDocument",
                kind="trust",
                owner=res.address,
                owner_type=res.type,
            )
        boundary = props.get("PermissionsBoundary") or _globals(
            self.root, res.type, "PermissionsBoundary"
        )
        if boundary is not None:
            b.boundary = self._policy_ref(boundary, self.value(boundary))
        node = props.get("Policies")
        if node is None:
            return
        entries = node.items if isinstance(node, JArray) else [node]
        for index, raw in enumerate(entries):
            address = f"{res.address}.Policies[{index}]"
            template = cfn_sam.is_template_use(raw)
            if template is not None and isinstance(raw, JObject):
                expanded = cfn_sam.expand(template, raw)
                if expanded is None:
                    continue
                doc, bindings = expanded
                resolver = self.resolver.with_bindings(bindings, self.resolver)
                name = Value(template, self.span(raw.pairs[0][0]))
                policy = self.policy(
                    doc,
                    address,
                    kind="identity",
                    owner=res.address,
                    owner_type=res.type,
                    name=name,
                    resolver=resolver,
                )
                if policy is not None:
                    b.inline.append(policy)
            elif isinstance(raw, JObject) and raw.get("Statement") is not None:
                policy = self.policy(
                    raw, address, kind="identity", owner=res.address, owner_type=res.type
                )
                if policy is not None:
                    b.inline.append(policy)
            else:
                for item_raw, value in self.values(raw):
                    if isinstance(value.value, str):
                        value = Value(
                            cfn_sam.managed_policy_arn(value.value), value.span, value.from_default
                        )
                    b.managed.append(self._policy_ref(item_raw, value))

    def _nested(self, res: _Resource) -> None:
        """A StackSet's TemplateBody: a template in a string (or written inline)."""
        body = res.props.get("TemplateBody")
        if isinstance(body, JScalar) and isinstance(body.value, str):
            value = body.value
            offsets = _align(self.text[body.start : body.end], value, body.start)
            try:
                parsed = _parse(value, "")
            except LoadError as exc:
                at = exc.offset or 0
                where = offsets[min(at, len(offsets) - 1)] if offsets else body.start
                message = f"in the TemplateBody of {res.address}: {exc.message}"
                self.errors.append(ParseError(message, self.loc.span(where, where)))
                return
            if parsed is not None:
                _move(parsed, offsets, body.start, body.end)
            body = parsed
        if not is_template(body):
            return
        assert isinstance(body, JObject)
        child = _Template(self.path, self.text, body, f"{res.address}.TemplateBody.")
        doc = child.document()
        self.policies.extend(doc.policies)
        self.access_keys.extend(doc.access_keys)
        self.suppressions.extend(doc.suppressions)
        self.errors.extend(doc.errors)
        self.frozen.extend(doc.identities)

    # -- suppressions -----------------------------------------------------

    def _metadata_suppressions(self, res: _Resource) -> Iterator[Suppression]:
        metadata = res.node.get("Metadata")
        config = metadata.get("iamlint") if isinstance(metadata, JObject) else None
        ignore = config.get("ignore") if isinstance(config, JObject) else None
        if ignore is None:
            return
        covers = self.resource_span(res)
        for entry in ignore.items if isinstance(ignore, JArray) else [ignore]:
            ids: list[str] = []
            reason = ""
            if isinstance(entry, JObject):
                for key in ("id", "ids"):
                    node = entry.get(key)
                    items = node.items if isinstance(node, JArray) else [node] if node else []
                    ids.extend(str(i.value).upper() for i in items if isinstance(i, JScalar))
                reason_node = entry.get("reason")
                if isinstance(reason_node, JScalar) and reason_node.value is not None:
                    reason = str(reason_node.value)
            elif isinstance(entry, JScalar) and isinstance(entry.value, str):
                ids.append(entry.value.upper())
            if ids:
                yield Suppression(tuple(ids), reason, self.span(entry), covers)

    def _comment_suppressions(self) -> list[Suppression]:
        from iamlint.loaders.cfn_yaml import suppression_comments

        comments = suppression_comments(self.text)
        if not comments:
            return []
        index = LineIndex(self.text)
        starts = _node_starts(self.root, index)
        lines = self.text.split("\n")
        out = []
        for ids, reason, start, end in comments:
            line, col = index.position(start)
            here = self.loc.span(start, end)
            target = line
            if not lines[line - 1][: col - 1].strip():
                target = line + 1  # a comment on its own line covers what follows
                while target <= len(lines) and (
                    not lines[target - 1].strip() or lines[target - 1].lstrip().startswith("#")
                ):
                    target += 1
            extent = starts.get(target)
            if extent is not None:
                covers = self.loc.span(*extent)
            else:
                covers = Span(
                    self.path,
                    target,
                    1,
                    target,
                    len(lines[target - 1]) + 1 if target <= len(lines) else 1,
                )
            out.append(Suppression(ids, reason, here, covers))
        return out


def _move(root: JNode, offsets: list[int] | None, start: int, end: int) -> None:
    """Re-place a tree parsed from a string at its place in the file."""
    last = len(offsets) - 1 if offsets else 0
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:  # a YAML alias: the same node twice
            continue
        seen.add(id(node))
        if offsets:
            node.start, node.end = offsets[min(node.start, last)], offsets[min(node.end, last)]
        else:
            node.start, node.end = start, end
        if isinstance(node, JObject):
            for key, value in node.pairs:
                stack.append(key)
                stack.append(value)
        elif isinstance(node, JArray):
            stack.extend(node.items)


def _raw_get(node: JNode, key: str) -> JNode | None:
    return node.get(key) if isinstance(node, JObject) else None


def _key_at(name: str, node: JNode) -> JKey:
    return JKey(name, node.start, node.end)


def _globals(root: JObject, type_: str, prop: str) -> JNode | None:
    section = root.get("Globals")
    if not isinstance(section, JObject):
        return None
    kind = section.get(type_.rsplit("::", 1)[-1])
    return kind.get(prop) if isinstance(kind, JObject) else None


def _property_nodes(node: JNode, parts: list[str], where: str) -> Iterator[tuple[JNode, str]]:
    """The nodes at a property path (`Replicas/*/ResourcePolicy/PolicyDocument`)."""
    if not parts:
        yield node, where
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(node, JArray):
            for i, item in enumerate(node.items):
                yield from _property_nodes(item, rest, f"{where}[{i}]")
        return
    if isinstance(node, JObject):
        child = node.get(head)
        if child is not None:
            yield from _property_nodes(child, rest, f"{where}.{head}" if where else head)


def _node_starts(root: JNode, index: LineIndex) -> dict[int, tuple[int, int]]:
    """For each line, the extent of the outermost entry that starts on it."""
    out: dict[int, tuple[int, int]] = {}
    stack: list[JNode] = [root]
    while stack:
        node = stack.pop()
        entries: list[tuple[int, JNode]] = []
        if isinstance(node, JObject):
            entries = [(k.start, v) for k, v in node.pairs]
        elif isinstance(node, JArray):
            entries = [(i.start, i) for i in node.items]
        for start, value in entries:
            line = index.position(start)[0]
            extent = (start, max(value.end, start))
            known = out.get(line)
            if known is None or extent[1] - extent[0] > known[1] - known[0]:
                out[line] = extent
            stack.append(value)
    return out


_HANDLERS = {
    "AWS::IAM::Role": _Template._identity_resource,
    "AWS::IAM::User": _Template._identity_resource,
    "AWS::IAM::Group": _Template._identity_resource,
    "AWS::IAM::Policy": _Template._iam_policy,
    "AWS::IAM::ManagedPolicy": _Template._iam_policy,
    "AWS::IAM::UserPolicy": _Template._single_policy,
    "AWS::IAM::RolePolicy": _Template._single_policy,
    "AWS::IAM::GroupPolicy": _Template._single_policy,
    "AWS::IAM::UserToGroupAddition": _Template._group_addition,
    "AWS::IAM::AccessKey": _Template._access_key,
    "AWS::Lambda::Permission": _Template._permission,
    "AWS::Lambda::LayerVersionPermission": _Template._permission,
    "AWS::Events::EventBusPolicy": _Template._permission,
}
