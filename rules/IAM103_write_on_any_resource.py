from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from iamlint import iamdata
from iamlint.analysis import (
    CREDENTIAL_ACTIONS,
    DATA_READ_ACTIONS,
    ESCALATION_ACTIONS,
    is_any_action,
    is_unconditioned,
    on_any_resource,
    service_wildcard,
    text,
)
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule

_WRITE_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})
_LEVEL_ORDER = {"Permissions management": 0, "Write": 1, "Tagging": 2}
# Verbs of actions that only read, whatever access level the reference gives
# them (`redshift:DescribeEndpointAuthorization` is "Write" there).
_READ_VERBS = re.compile(
    r"(?:Admin)?(?:Get|Describe|List|Search|View|Lookup|BatchGet|Discover)[A-Z]"
)
# Read-only in practice: AWS's own read-only managed policies grant them.
_READ_ONLY = frozenset({"s3files:clientmount", "elemental-inference:exportdictionaryentries"})
# Reported by the more specific rules IAM106-IAM109, not here.
_ELSEWHERE = frozenset(
    a.lower()
    for a in ("iam:PassRole", *ESCALATION_ACTIONS, *CREDENTIAL_ACTIONS, *DATA_READ_ACTIONS)
)


class WriteOnAnyResource(Rule):
    """## What it does
    Finds an unconditioned Allow statement that grants, on `"Resource": "*"`,
    Write, Permissions-management or Tagging actions that could have been
    scoped to specific resources.

    ## Why is this bad?
    An action that supports resource-level permissions can be limited to
    the buckets, tables, functions or roles a workload owns. Granting it on
    `*` lets the holder change or delete every such resource in the
    account, including other teams' and the ones created later. Least
    privilege (AWS IAM best practice "Apply least-privilege permissions")
    means scoping what can be scoped.

    ## Example
    ```json
    {"Effect": "Allow", "Action": ["s3:PutObject", "dynamodb:DeleteItem"],
     "Resource": "*"}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::acme-uploads/*"},
    {"Effect": "Allow", "Action": "dynamodb:DeleteItem",
     "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"}
    ```

    ## Known limitations
    Access levels and resource types come from AWS's Service Authorization
    Reference: an action that cannot be scoped to a resource
    (`ec2:Describe*`, `cloudwatch:PutMetricData`, List and Read actions)
    never makes `*` wrong. Actions named like reads (`Get`, `Describe`,
    `List`, `Search`, `View`, `Lookup`, `BatchGet`, `Discover`) are taken
    as reads even where the reference calls them Write
    (`redshift:DescribeEndpointAuthorization`), as are `s3files:ClientMount`
    and `elemental-inference:ExportdIctionaryEntries`, which AWS's own
    read-only policies grant; so ReadOnlyAccess, SecurityAudit and the
    other read-only managed policies are not reported. Patterns are
    expanded (`s3:Put*`) and the action element is reported once, naming a
    few of the write actions it grants.
    Unconditioned follows RULES.md: a condition that narrows who or where
    (`aws:ResourceTag/...`, `aws:PrincipalOrgID`, a service key) silences
    the rule; one on `aws:SecureTransport` or `aws:RequestedRegion` alone
    does not. To avoid double reports, `*` (IAM101), whole services such
    as `s3:*` (IAM102), and actions with a rule of their own are left out:
    `iam:PassRole` (IAM106), the single-action escalation paths of IAM107,
    the credential actions of IAM108 and the data-reading actions of IAM109
    (such as `kms:Decrypt`, which AWS classes as Write). Only identity
    policies are checked: in a resource policy `*` is the resource itself.
    ARNs with wildcards (`arn:aws:s3:::*`) are not `*` for this rule.

    ## References
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    - [Access levels in policy summaries](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html)
    """

    id = "IAM103"
    name = "write-on-any-resource"
    severity = "medium"
    tags = ("least-privilege",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if not statement.is_allow or policy.kind != "identity" or not statement.actions:
            return
        if on_any_resource(statement) is None or not is_unconditioned(statement):
            return
        for action in statement.actions:
            t = text(action)
            if t is None or is_any_action(action) or service_wildcard(action) is not None:
                continue
            pattern = t.strip()
            writes = _scopable_writes(pattern.lower())
            if not writes:
                continue
            if len(writes) == 1 and writes[0].lower() == pattern.lower():
                message = (
                    f"{writes[0]} on every resource ('*'): it supports resource-level"
                    " permissions, scope it to the resources it changes"
                )
            else:
                shown = ", ".join(writes[:3]) + (", ..." if len(writes) > 3 else "")
                message = (
                    f"'{pattern}' grants {len(writes)} write action"
                    f"{'s' if len(writes) > 1 else ''} on every resource ('*') that could be"
                    f" scoped: {shown}"
                )
            yield Hit(action.span, message, element=f"{statement.index}:Action:{pattern}")


@lru_cache(maxsize=65536)
def _scopable_writes(pattern: str) -> tuple[str, ...]:
    """The Write / Permissions-management / Tagging actions a pattern grants that
    can be scoped to a resource, less those other rules report; permission
    management first, then by name."""
    found: list[tuple[int, str]] = []
    literal = "*" not in pattern and "?" not in pattern
    for action in (pattern,) if literal else iamdata.expand(pattern):
        info = iamdata.lookup(action)
        if info is None or info.access_level not in _WRITE_LEVELS or not info.resource_types:
            continue
        low = info.name.lower()
        if low in _ELSEWHERE or low in _READ_ONLY or _READ_VERBS.match(info.name.partition(":")[2]):
            continue
        found.append((_LEVEL_ORDER[info.access_level], info.name))
    return tuple(name for _, name in sorted(found))
