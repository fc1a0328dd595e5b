from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import (
    condition_keys,
    covers_every_resource,
    granted_among,
    is_any_action,
    matches,
    pattern_text,
    text,
)
from iamlint.model import Policy, Statement, Value
from iamlint.rule import Context, Hit, Rule

_PASS_ROLE_ONLY = ("iam:PassRole",)
# Condition keys that narrow which service, resource or role a role is passed to.
_NARROWING_KEYS = frozenset({"iam:passedtoservice", "iam:associatedresourcearn"})
_NARROWING_PREFIXES = ("aws:resourcetag/", "iam:resourcetag/")


class PassroleToAnyRole(Rule):
    """## What it does
    Finds an Allow statement that grants `iam:PassRole` on every role
    (`"Resource": "*"`, `arn:aws:iam::*:role/*`,
    `arn:aws:iam::123456789012:role/*`) without an `iam:PassedToService`
    condition.

    ## Why is this bad?
    Passing a role to a service (a Lambda function, an EC2 instance, a
    CloudFormation stack, an ECS task) lets that service act with the role's
    permissions. Whoever may pass every role can hand the account's most
    powerful role to code they control and act as it: the most common
    privilege-escalation path in AWS. Least privilege (AWS IAM best practice
    "Apply least-privilege permissions") means naming the roles that may be
    passed and the service that receives them.

    ## Example
    ```json
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": "iam:PassRole",
     "Resource": "arn:aws:iam::123456789012:role/orders-lambda",
     "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}
    ```

    ## Known limitations
    `iam:PassRole` is matched case-insensitively and through wildcards
    (`iam:Pass*`, `iam:*`, `*`), except `*` on every resource, which is
    full administrator access and IAM101's. Besides `iam:PassedToService`,
    a condition on `iam:AssociatedResourceArn` or on the role's tags
    (`aws:ResourceTag/...`, `iam:ResourceTag/...`) also narrows what can be
    passed and silences the rule; negated operators (`StringNotEquals`) do
    not. A path or name prefix (`role/service-role/*`, `role/app-*`) counts
    as scoped. Only identity policies are checked (permissions boundaries
    cap, they do not grant), and NotAction / NotResource statements are
    IAM104's and IAM105's. The finding is on the resource that covers every
    role.

    ## References
    - [Granting a user permissions to pass a role to an AWS service](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html)
    - [IAM condition keys: iam:PassedToService](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService)
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    """

    id = "IAM106"
    name = "passrole-to-any-role"
    severity = "high"
    tags = ("least-privilege", "privilege-escalation")

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if not statement.is_allow or policy.kind != "identity" or not statement.actions:
            return
        granting = _passrole_element(statement.actions)
        if granting is None or _narrowed(statement):
            return
        for resource in statement.resources or ():
            shown = pattern_text(resource)
            if shown is None or not _any_role(shown):
                continue
            if is_any_action(granting) and shown == "*":
                return  # `*` on `*`: IAM101
            via = (text(granting) or "").strip()
            through = "" if via.lower() == "iam:passrole" else f" (through '{via}')"
            yield Hit(
                resource.span,
                f"iam:PassRole{through} on every role ('{_written(resource)}') without an"
                " iam:PassedToService condition: any role can be handed to any service",
                element=f"{statement.index}:Resource:{shown}",
            )
            return


def _passrole_element(actions: tuple[Value, ...]) -> Value | None:
    """The Action element that grants iam:PassRole; a named one before `*`."""
    found: Value | None = None
    for action in actions:
        t = text(action)
        if t is None or not granted_among(t, _PASS_ROLE_ONLY):
            continue
        if not is_any_action(action):
            return action
        found = found or action
    return found


def _any_role(pattern: str) -> bool:
    if pattern == "*":
        return True
    if not covers_every_resource(pattern, "iam"):
        return False
    resource = pattern.split(":", 5)[5]
    return matches(resource, "role/passed-role") and matches(resource, "role/path/passed-role")


def _narrowed(statement: Statement) -> bool:
    return any(
        key in _NARROWING_KEYS or key.startswith(_NARROWING_PREFIXES)
        for key in condition_keys(statement)
    )


def _written(value: Value) -> str:
    t = text(value)
    if t is not None:
        return t.strip()
    expression = getattr(value.value, "expression", None)
    return str(expression) if expression is not None else str(value.value)
