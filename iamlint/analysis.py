"""Questions rules ask of statements, answered once for every rule.

Action matching is case-insensitive and wildcard-aware, as in IAM. A value
that is Unknown never satisfies a test that needs to know the value, so a
rule built from these helpers does not fire on what it cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

from iamlint.model import (
    THIS_ACCOUNT,
    Condition,
    Policy,
    Principal,
    Statement,
    Unknown,
    Value,
    without_key,
)

# Condition keys that do not restrict who can use a statement or from where:
# transport, time, client-supplied headers, the shape of the request.
_NON_RESTRICTING_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:tokenissuetime",
        "aws:useragent",
        "aws:referer",
        "aws:requestedregion",
        "aws:multifactorauthage",
        "s3:signatureversion",
        "s3:signatureage",
        "s3:authtype",
        "s3:tlsversion",
    }
)
_NON_RESTRICTING_PREFIXES = ("s3:x-amz-",)
_LIKE_OPERATORS = ("stringlike", "arnlike")


def text(value: Value) -> str | None:
    """The value as a string when it is a known string."""
    return value.value if isinstance(value.value, str) else None


@lru_cache(maxsize=65536)
def _pattern(pattern: str) -> re.Pattern[str]:
    body = "".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern.lower()
    )
    return re.compile(body + r"\Z", re.S)


def matches(pattern: str, name: str) -> bool:
    """Does an IAM wildcard pattern (`*`, `?`) match a name, ignoring case?"""
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == name.lower()
    return _pattern(pattern).match(name.lower()) is not None


def is_any_action(value: Value) -> bool:
    """`*` (or `*:*`): every action of every service."""
    v = value.value
    return isinstance(v, str) and v.strip() in ("*", "*:*")


def is_any_resource(value: Value) -> bool:
    t = text(value)
    return t is not None and t.strip() == "*"


def service_wildcard(value: Value) -> str | None:
    """The service prefix when the action is a whole service (`s3:*`)."""
    v = value.value
    # Most actions end in a letter: skip them without parsing (hot path).
    if not isinstance(v, str) or not v.rstrip().endswith("*"):
        return None
    return _service_wildcard(v)


@lru_cache(maxsize=16384)
def _service_wildcard(t: str) -> str | None:
    prefix, sep, rest = t.strip().partition(":")
    if sep and prefix and "*" not in prefix and "?" not in prefix and rest and set(rest) == {"*"}:
        return prefix.lower()
    return None


def allows(statement: Statement) -> bool:
    """An Allow statement (Deny never makes a grant too broad)."""
    return statement.is_allow


def on_any_resource(statement: Statement) -> Value | None:
    """The `*` resource element, when the statement applies to every resource."""
    for r in statement.resources or ():
        if is_any_resource(r):
            return r
    return None


def is_public_principal(principal: Principal) -> bool:
    """`*` or AWS `*`: anyone, authenticated or not."""
    if principal.kind == "*":
        return True
    t = text(principal.value)
    return principal.kind == "AWS" and t is not None and t.strip() == "*"


def public_principals(statement: Statement) -> Iterator[Principal]:
    for p in statement.principals or ():
        if is_public_principal(p):
            yield p


def restricts(condition: Condition) -> bool:
    """Does this condition narrow who may use the statement, or from where?

    Keys about transport, time or the shape of the request do not; nor does
    a Like operator whose every value is `*`. A key we do not know is taken
    to restrict, so rules stay quiet rather than cry wolf.
    """
    key = text(condition.key)
    if key is None:
        return True
    k = key.lower()
    if k in _NON_RESTRICTING_KEYS or k.startswith(_NON_RESTRICTING_PREFIXES):
        return False
    op = (text(condition.operator) or "").lower()
    matches_anything = condition.values and all(text(v) == "*" for v in condition.values)
    return not (matches_anything and any(like in op for like in _LIKE_OPERATORS))


def is_unconditioned(statement: Statement) -> bool:
    """No condition restricts who or where (RULES.md's "unconditioned")."""
    return not any(restricts(c) for c in statement.conditions)


# --------------------------------------------------------------------------
# Principals, condition keys, accounts and managed policy ARNs (IAM2xx-IAM3xx)

_ACCOUNT_ID = re.compile(r"\d{12}\Z")
_PRINCIPAL_ARN = re.compile(r"arn:[a-z-]+:(?:iam|sts)::(\d{12}):\S+\Z")
_MANAGED_POLICY_ARN = re.compile(r"arn:[a-z-]+:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)\Z")


def condition_keys(statement: Statement, *, restricting: bool = True) -> frozenset[str]:
    """The statement's known condition keys, lower case; with `restricting`,
    only those of conditions that narrow (see restricts()) and are not
    negated (`StringNotEquals`, `ArnNotLike`, `Null`)."""
    keys = []
    for c in statement.conditions:
        key = text(c.key)
        if key is None:
            continue
        if restricting:
            op = (text(c.operator) or "").lower()
            if "not" in op or op.startswith("null") or not restricts(c):
                continue
        keys.append(key.lower())
    return frozenset(keys)


def has_unknown_condition_key(statement: Statement) -> bool:
    """A condition key the loader could not resolve (it may be anything)."""
    return any(text(c.key) is None for c in statement.conditions)


def principal_account(value: Value) -> str | None:
    """The account a principal value names: its 12-digit id, `THIS_ACCOUNT`
    (model's kind) when it is the template's own account, or None when it is
    not an account principal or cannot be known.

    `123456789012`, `arn:aws:iam::123456789012:root`, a user, role or
    assumed-role ARN all name their account; an Unknown whose account part
    is AWS::AccountId / data.aws_caller_identity names this account.
    """
    from iamlint.model import PARTITION, THIS_ACCOUNT, Unknown

    v = value.value
    if isinstance(v, str):
        s = v.strip()
        if _ACCOUNT_ID.match(s):
            return s
        m = _PRINCIPAL_ARN.match(s)
        return m.group(1) if m else None
    if not isinstance(v, Unknown):
        return None
    if v.kind == THIS_ACCOUNT:
        return THIS_ACCOUNT
    if not v.parts:
        return None
    # `arn:${Partition}:iam::${AccountId}:root`: the pieces around the account.
    pieces: list[str] = []
    for part in v.parts:
        if isinstance(part, str):
            pieces.append(part)
        elif part.kind == THIS_ACCOUNT:
            pieces.append("\x00")
        elif part.kind == PARTITION:
            pieces.append("aws")
        else:
            return None
    joined = "".join(pieces)
    if joined == "\x00":
        return THIS_ACCOUNT
    m = re.match(r"arn:[a-z-]+:(?:iam|sts)::(\x00|\d{12}):\S+\Z", joined)
    if m is None:
        return None
    return THIS_ACCOUNT if m.group(1) == "\x00" else m.group(1)


def attached_policy(target: str, policies: Mapping[str, Policy]) -> Policy | None:
    """The policy a managed-policy reference names, among `policies` by
    address: the instance it names by key, else the resource (a for_each
    that is not a literal leaves its policy addressed without a key)."""
    found = policies.get(target)
    if found is None and target.endswith("]"):
        found = policies.get(without_key(target))
    return found


def aws_managed_policy_name(value: Value) -> str | None:
    """The name of an AWS managed policy ARN (`arn:aws:iam::aws:policy/X`,
    any partition, with a path or not), or None. An ARN whose partition is
    `${AWS::Partition}` / data.aws_partition still counts; any other
    unresolved piece does not."""
    from iamlint.model import PARTITION, Unknown

    v = value.value
    if isinstance(v, Unknown):
        if not v.parts:
            return None
        pieces: list[str] = []
        for part in v.parts:
            if isinstance(part, str):
                pieces.append(part)
            elif part.kind == PARTITION:
                pieces.append("aws")
            else:
                return None
        s = "".join(pieces)
    elif isinstance(v, str):
        s = v
    else:
        return None
    m = _MANAGED_POLICY_ARN.match(s.strip())
    return m.group(1) if m else None


@lru_cache(maxsize=8192)
def pattern_has_access_level(pattern: str, level: str) -> bool:
    """Does an action pattern (`iam:*`, `iam:Put*`) grant any action of this
    access level (`Permissions management`, ...)?"""
    from iamlint import iamdata

    return any(iamdata.access_level(a) == level for a in iamdata.expand(pattern))


@lru_cache(maxsize=1024)
def _not_action_leaves_level(excluded: tuple[str, ...], level: str) -> bool:
    from iamlint import iamdata

    for prefix in sorted(iamdata.all_services()):
        for action in iamdata.service_actions(prefix):
            if iamdata.access_level(action) == level and not any(
                matches(p, action) for p in excluded
            ):
                return True
    return False


def action_with_access_level(statement: Statement, level: str) -> Value | None:
    """The first Action element that grants an action of this access level,
    or the first NotAction element when the NotAction leaves one granted.
    Unknown values never count."""
    for action in statement.actions or ():
        t = text(action)
        if t is not None and pattern_has_access_level(t.strip(), level):
            return action
    if statement.not_actions:
        excluded = [text(a) for a in statement.not_actions]
        if any(e is None for e in excluded):
            return None
        if _not_action_leaves_level(tuple(sorted(e.strip() for e in excluded if e)), level):
            return statement.not_actions[0]
    return None


# --------------------------------------------------------------------------
# Resources, grants and the action lists of the least-privilege rules (IAM103-IAM109)

# Stands for an unresolved piece of a partly known value: one specific name
# that no wildcard test can take for "every resource".
_UNRESOLVED = "{unresolved}"
_TYPE_WILDCARD = re.compile(r"([A-Za-z][\w.-]*[/:])[*/:]*\*[*/:]*\Z")

# Actions that hand out credentials of another identity or service (IAM108).
CREDENTIAL_ACTIONS: tuple[str, ...] = (
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:GetFederationToken",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "rds-db:connect",
    "lightsail:GetInstanceAccessDetails",
    "lightsail:DownloadDefaultKeyPair",
    "lightsail:GetRelationalDatabaseMasterUserPassword",
    "gamelift:GetInstanceAccess",
    "emr-containers:GetManagedEndpointSessionCredentials",
)

# Actions that read secrets or stored data (IAM109).
DATA_READ_ACTIONS: tuple[str, ...] = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:ExportTableToPointInTime",
)


def pattern_text(value: Value) -> str | None:
    """The value as an IAM pattern: a known string, or a partly known one
    (`arn:aws:iam::${AWS::AccountId}:role/*`) whose unresolved pieces stand
    for one specific name, so they never look like a wildcard. None when
    nothing of it is known."""
    from iamlint.model import Unknown

    v = value.value
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, Unknown) and v.parts:
        return "".join(p if isinstance(p, str) else _UNRESOLVED for p in v.parts).strip()
    return None


@lru_cache(maxsize=4096)
def covers_every_resource(pattern: str, service: str = "") -> bool:
    """Does a Resource pattern cover every resource, or every resource of one
    type: `*`, an ARN whose resource part is only wildcards (`arn:aws:s3:::*`,
    `arn:aws:logs:*:*:*`), or a resource type and a wildcard (`role/*`,
    `function:*`, `secret:*`, `table/*`)? Any region and account count.
    With `service`, the ARN's service must be that one (or a wildcard).
    A name, a path or a name prefix (`role/app-*`, `role/service-role/*`,
    `bucket-*`) scopes the resource and does not count."""
    p = pattern.strip()
    if p == "*":
        return True
    parts = p.split(":", 5)
    if len(parts) < 6 or parts[0].lower() != "arn":
        return False
    if service and not matches(parts[2] or "-", service):
        return False
    resource = parts[5]
    if resource and set(resource) <= {"*", "/", ":"} and "*" in resource:
        return True
    m = _TYPE_WILDCARD.match(resource)
    return m is not None and m.group(1).lower() in _resource_type_words(parts[2].lower())


@lru_cache(maxsize=512)
def _resource_type_words(arn_service: str) -> frozenset[str]:
    """The literal type words that start resource parts of this ARN service's
    ARN formats, with their separator (`role/`, `function:`, `secret:`); S3
    buckets and objects, SQS queues and SNS topics have none."""
    from iamlint import iamdata

    words: set[str] = set()
    for prefix in iamdata.arn_service_prefixes(arn_service):
        for formats in iamdata.arn_formats(prefix).values():
            for fmt in formats:
                parts = fmt.split(":", 5)
                if len(parts) < 6 or parts[2].lower() != arn_service:
                    continue
                m = re.match(r"([A-Za-z][\w.-]*[/:])", parts[5])
                if m is not None:
                    words.add(m.group(1).lower())
    return frozenset(words)


def broad_resource(statement: Statement, service: str = "") -> Value | None:
    """The first Resource element that covers every resource (of a type),
    per covers_every_resource()."""
    for r in statement.resources or ():
        t = pattern_text(r)
        if t is not None and covers_every_resource(t, service):
            return r
    return None


@lru_cache(maxsize=256)
def _index_by_service(actions: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for a in actions:
        index.setdefault(a.partition(":")[0].lower(), []).append(a)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=65536)
def granted_among(pattern: str, actions: tuple[str, ...]) -> tuple[str, ...]:
    """The actions of `actions` an action pattern grants (case-insensitive,
    wildcard-aware), in their order. Looks only at the pattern's service
    when its prefix is literal, so it stays cheap for long lists."""
    p = pattern.strip()
    prefix, sep, _ = p.partition(":")
    if sep and "*" not in prefix and "?" not in prefix:
        candidates = _index_by_service(actions).get(prefix.lower(), ())
    else:
        candidates = actions
    if not candidates:
        return ()
    if "*" not in p and "?" not in p:
        low = p.lower()
        return tuple(a for a in candidates if a.lower() == low)
    return tuple(a for a in candidates if matches(p, a))


def denies_action(statement: Statement, action: str) -> bool:
    """Does a Deny statement name this action, whatever its resources and
    conditions (a cautious reading: used only to keep a grant from counting)?
    A Deny with NotAction denies every action its list leaves out."""
    if not statement.is_deny:
        return False
    for a in statement.actions or ():
        t = text(a)
        if t is not None and matches(t.strip(), action):
            return True
    if statement.not_actions:
        excluded = [text(a) for a in statement.not_actions]
        if all(e is not None for e in excluded):
            return not any(matches(e.strip(), action) for e in excluded if e is not None)
    return False


# Owners of policies a loader builds from a resource's attributes (a Lambda
# permission's action, principal and source ARN) rather than from a written
# document: no Version, Sid or ARN-shaped Resource is written by anyone.
SYNTHETIC_POLICY_OWNERS = frozenset(
    {
        "AWS::Lambda::Permission",
        "AWS::Lambda::LayerVersionPermission",
        "aws_lambda_permission",
        "aws_lambda_layer_version_permission",
    }
)


def is_synthetic_policy(owner_type: str | None) -> bool:
    """Is a policy with this owner type built from resource attributes
    (`Policy.owner_type`, e.g. AWS::Lambda::Permission), not written?"""
    return owner_type in SYNTHETIC_POLICY_OWNERS


# Single actions that are a privilege-escalation path on their own when granted
# on every resource of their type (IAM107; IAM103 leaves them to it).
ESCALATION_ACTIONS: tuple[str, ...] = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
    "lambda:UpdateFunctionCode",
    "glue:UpdateDevEndpoint",
    "sagemaker:CreatePresignedNotebookInstanceUrl",
    "ssm:SendCommand",
    "ssm:StartSession",
    "ec2-instance-connect:SendSSHPublicKey",
    "ecs:ExecuteCommand",
    "codebuild:StartBuild",
    "codebuild:StartBuildBatch",
    "cloudformation:UpdateStack",
    "apprunner:UpdateService",
    "batch:SubmitJob",
)


def grants_access(policy: Policy) -> bool:
    """Can this policy grant anything? A boundary (a permissions boundary,
    a VPC endpoint policy) only limits what other policies grant."""
    return policy.kind != "boundary"


def _names_whole_account(value: Value) -> bool:
    if principal_account(value) is None:
        return False
    v = value.value
    if isinstance(v, str):
        return v.strip().isdigit() or v.strip().endswith(":root")
    assert isinstance(v, Unknown)
    return v.kind == THIS_ACCOUNT or (bool(v.parts) and v.parts[-1] == ":root")


def delegates_to_accounts(statement: Statement) -> bool:
    """Does a resource-policy statement name only whole accounts (`:root` or
    an account id)? That hands the decision to the account's own IAM
    policies, as KMS key policies do by default: not itself a grant to
    anyone in particular."""
    principals = statement.principals or ()
    return bool(principals) and all(
        p.kind == "AWS" and _names_whole_account(p.value) for p in principals
    )


def broad_grants(
    statement: Statement, granted: Callable[[str], tuple[str, ...]]
) -> Iterator[tuple[Value, str]]:
    """Action elements of an unconditioned Allow that grant some of a set of
    sensitive actions (`granted(pattern)` names them) on every resource of
    their type, each with a description: `'s3:Get*' grants s3:GetObject,
    ... and 2 more`. `*` and whole-service wildcards are left to IAM101 and
    IAM102."""
    if not statement.is_allow or not statement.actions or not is_unconditioned(statement):
        return
    for action in statement.actions:
        t = text(action)
        if t is None or is_any_action(action) or service_wildcard(action) is not None:
            continue
        found = [a for a in granted(t) if broad_resource(statement, a.partition(":")[0])]
        if not found:
            continue
        more = len(found) - 3
        names = ", ".join(found[:3]) + (f" and {more} more" if more > 0 else "")
        exact = [t.strip().lower()] == [g.lower() for g in found]
        yield action, names if exact else f"'{t.strip()}' grants {names}"
