"""The common policy model every loader produces and every rule reads.

Frozen, dialect-free dataclasses. Every element carries the Span it came
from; a value a loader could not resolve is an explicit Unknown, never a
guessed string and never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Union

PolicyKind = Literal["identity", "resource", "trust", "boundary"]
IdentityKind = Literal["user", "group", "role"]
PrincipalKind = Literal["*", "AWS", "Service", "Federated", "CanonicalUser"]
Scalar = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime alias on 3.10

# Kinds of Unknown that still say something a rule can use.
THIS_ACCOUNT = "this-account"  # AWS::AccountId, data.aws_caller_identity
PARTITION = "partition"
REGION = "region"


# Span and Value are the most numerous objects by far (one per element), so
# they are NamedTuples: as immutable and typed as the frozen dataclasses
# below, but about five times cheaper to create (measured: 0.2 us against
# 1.0 us), which is a tenth of the time to load the AWS managed policies.
class Span(NamedTuple):
    """A source range, 1-based, the end column just past the last character,
    like SARIF."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the loader could not resolve.

    `expression` is the source text (`var.bucket`, `!Ref Env`). When part of
    a string is known (`arn:aws:s3:::${Bucket}/*`), `parts` interleaves the
    literal pieces with Unknowns for the rest. `kind` marks unknowns that
    still carry meaning, such as THIS_ACCOUNT.
    """

    expression: str
    parts: tuple[str | Unknown, ...] = ()
    kind: str = ""

    def literal_prefix(self) -> str:
        """The known text before the first unknown piece."""
        prefix = []
        for part in self.parts:
            if not isinstance(part, str):
                break
            prefix.append(part)
        return "".join(prefix)


class Value(NamedTuple):
    """A scalar (or Unknown) with where it was written."""

    value: Scalar | Unknown
    span: Span
    from_default: bool = False  # resolved through a variable or parameter default

    @property
    def text(self) -> str | None:
        """The value when it is a known string, else None."""
        return self.value if isinstance(self.value, str) else None

    @property
    def known(self) -> bool:
        return not isinstance(self.value, Unknown)


@dataclass(frozen=True, slots=True)
class Principal:
    """One principal: `*`, or a value of one kind (AWS, Service, ...)."""

    kind: PrincipalKind
    value: Value


@dataclass(frozen=True, slots=True)
class Condition:
    """One key under one operator, with its values."""

    operator: Value
    key: Value
    values: tuple[Value, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement. A field is None when the element is absent."""

    span: Span
    index: int
    effect: Value | None = None
    sid: Value | None = None
    actions: tuple[Value, ...] | None = None
    not_actions: tuple[Value, ...] | None = None
    resources: tuple[Value, ...] | None = None
    not_resources: tuple[Value, ...] | None = None
    principals: tuple[Principal, ...] | None = None
    not_principals: tuple[Principal, ...] | None = None
    principal_span: Span | None = None
    conditions: tuple[Condition, ...] = ()
    condition_span: Span | None = None
    unknown_keys: tuple[Value, ...] = ()  # element names AWS does not define
    problems: tuple[Value, ...] = ()  # structural problems the loader saw, as messages

    @property
    def is_allow(self) -> bool:
        return self.effect is not None and self.effect.value == "Allow"

    @property
    def is_deny(self) -> bool:
        return self.effect is not None and self.effect.value == "Deny"


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy document and what it is attached to."""

    kind: PolicyKind
    source_format: str  # "json", "cloudformation", "terraform", "terraform-plan"
    address: str  # `aws_iam_role_policy.app`, `Resources.AppRole.Policies[0]`, `policies/app.json`
    span: Span
    statements: tuple[Statement, ...] = ()
    version: Value | None = None
    policy_id: Value | None = None
    statement_span: Span | None = None
    owner: str | None = None  # address of the identity or resource it belongs to
    owner_type: str | None = None  # `AWS::IAM::User`, `aws_s3_bucket_policy`, ...
    managed: bool = False  # a standalone (customer managed) policy, not inline
    name: Value | None = None
    size: int | None = None  # characters without whitespace, as AWS counts
    unknown_keys: tuple[Value, ...] = ()
    problems: tuple[Value, ...] = ()  # document-level structural problems


def without_key(address: str) -> str:
    """`aws_iam_policy.p["read"]` -> `aws_iam_policy.p`: the address of a
    resource rather than of one of its for_each or count instances."""
    return address.split("[", 1)[0] if address.endswith("]") else address


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """A reference to a managed policy: an ARN, or a policy in the workspace."""

    value: Value
    target: str | None = None  # address of a Policy in the workspace, when linked
    address: str | None = None  # the attachment resource, when it is one


@dataclass(frozen=True, slots=True)
class Identity:
    """An IAM user, group or role."""

    kind: IdentityKind
    address: str
    span: Span
    source_format: str
    name: Value | None = None
    inline_policies: tuple[Policy, ...] = ()
    managed_policies: tuple[PolicyRef, ...] = ()
    permissions_boundary: PolicyRef | None = None
    trust_policy: Policy | None = None
    groups: tuple[Value, ...] = ()  # group addresses or names (users only)
    has_login_profile: bool = False
    # Declared elsewhere: known only as the value an attachment or inline
    # policy names it by (`role = var.role_name`), with just what those
    # give it. Rules about its own declaration (boundary, groups) skip it.
    external: bool = False


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An IAM access key created in code."""

    address: str
    span: Span
    user: Value | None = None


@dataclass(frozen=True, slots=True)
class CredentialLiteral:
    """An AWS credential written into the source."""

    kind: Literal["access-key-id", "secret-access-key"]
    span: Span
    redacted: str  # enough to recognise it, never the whole secret


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The account password policy; a field is None when not set."""

    address: str
    span: Span
    minimum_length: Value | None = None
    reuse_prevention: Value | None = None
    max_age: Value | None = None
    require_uppercase: Value | None = None
    require_lowercase: Value | None = None
    require_numbers: Value | None = None
    require_symbols: Value | None = None


@dataclass(frozen=True, slots=True)
class Suppression:
    """`iamlint: ignore[IAM102] reason` found in a comment or in metadata."""

    ids: tuple[str, ...]
    reason: str
    span: Span  # where the suppression is written
    covers: Span  # the lines it applies to


@dataclass(frozen=True, slots=True)
class ParseError:
    """Input that looks like IaC or a policy but could not be read (IAM000)."""

    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class Document:
    """Everything a loader found in one source file."""

    path: str
    source_format: str
    policies: tuple[Policy, ...] = ()
    identities: tuple[Identity, ...] = ()
    access_keys: tuple[AccessKey, ...] = ()
    credentials: tuple[CredentialLiteral, ...] = ()
    password_policies: tuple[PasswordPolicy, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    errors: tuple[ParseError, ...] = ()
    # Files beyond its unit's own that the loader read to build it (called
    # modules, file() targets, .tfvars), each with a token of what it held
    # and its size and time then (iamlint.inputs.Input): cached results
    # hold only while the tokens match.
    inputs: tuple[tuple[str, str, int, int], ...] = ()

    def all_policies(self) -> Iterator[Policy]:
        """Standalone policies, then those embedded in identities."""
        yield from self.policies
        for identity in self.identities:
            yield from identity.inline_policies
            if identity.trust_policy is not None:
                yield identity.trust_policy


@dataclass(frozen=True, slots=True)
class Workspace:
    """All documents of one run, so rules can follow references across files."""

    documents: tuple[Document, ...] = ()
    own_accounts: frozenset[str] = field(default_factory=frozenset)

    def policy(self, address: str) -> Policy | None:
        for doc in self.documents:
            for policy in doc.all_policies():
                if policy.address == address:
                    return policy
        return None
