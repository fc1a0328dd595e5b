"""An identity as a loader builds it, before it becomes a model.Identity.

Every loader meets an identity's parts in several resources (the role, its
inline policies, attachments naming it, memberships); they gather here and
`freeze` makes the Identity once the whole unit is read.
"""

from __future__ import annotations

from iamlint.model import Identity, IdentityKind, Policy, PolicyRef, Span, Value


class IdentityDraft:
    """An IAM user, group or role being gathered (see Identity)."""

    __slots__ = (
        "boundary",
        "external",
        "groups",
        "inline",
        "kind",
        "login",
        "managed",
        "name",
        "trust",
    )

    def __init__(
        self, kind: IdentityKind, name: Value | None = None, external: bool = False
    ) -> None:
        self.kind = kind
        self.name = name
        self.external = external
        self.inline: list[Policy] = []
        self.managed: list[PolicyRef] = []
        self.boundary: PolicyRef | None = None
        self.trust: Policy | None = None
        self.groups: list[Value] = []
        self.login = False

    def freeze(self, address: str, span: Span, source_format: str) -> Identity:
        return Identity(
            kind=self.kind,
            address=address,
            span=span,
            source_format=source_format,
            name=self.name,
            inline_policies=tuple(self.inline),
            managed_policies=tuple(self.managed),
            permissions_boundary=self.boundary,
            trust_policy=self.trust,
            groups=tuple(self.groups),
            has_login_profile=self.login,
            external=self.external,
        )
