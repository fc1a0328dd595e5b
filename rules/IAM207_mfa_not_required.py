from __future__ import annotations

from collections.abc import Iterable, Iterator

from iamlint.analysis import action_with_access_level, attached_policy, condition_keys
from iamlint.model import Identity, Policy, Workspace
from iamlint.rule import Context, Hit, Rule

_MFA_KEYS = frozenset({"aws:multifactorauthpresent", "aws:multifactorauthage"})
_LEVEL = "Permissions management"


class MfaNotRequired(Rule):
    """## What it does
    Finds an IAM user or group allowed Permissions-management actions
    without MFA. Such actions (`iam:AttachUserPolicy`, `iam:PutRolePolicy`,
    `s3:PutBucketPolicy`, `kms:CreateGrant`, ...) should require
    `aws:MultiFactorAuthPresent` or `aws:MultiFactorAuthAge`.

    ## Why is this bad?
    Permissions-management actions change who can do what: a stolen
    password or access key that can use them can grant itself anything.
    AWS IAM best practice "Require multi-factor authentication (MFA)" asks
    for MFA on such privileged actions; a condition on
    `aws:MultiFactorAuthPresent` makes a leaked long-lived key useless for
    them.

    ## Example
    ```json
    {"Effect": "Allow", "Action": ["iam:AttachUserPolicy", "iam:PutUserPolicy"],
     "Resource": "arn:aws:iam::111122223333:user/developers/*"}
    ```
    in a policy of an IAM user or group.

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": ["iam:AttachUserPolicy", "iam:PutUserPolicy"],
     "Resource": "arn:aws:iam::111122223333:user/developers/*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    ```
    or a Deny of everything but MFA setup while `aws:MultiFactorAuthPresent`
    is false, as in AWS's "Allows MFA-authenticated IAM users to manage
    their own credentials" example.

    ## Known limitations
    Only the user's or group's inline policies and the customer managed
    policies found in the scanned files are read; the contents of AWS
    managed policies attached by ARN are not (IAM304 and IAM305 report
    the broad ones). A Deny statement conditioned on MFA anywhere in those
    policies is taken to enforce MFA for the identity. Roles are not
    reported: MFA is checked when a role is assumed, in its trust policy.
    One finding per statement, on its first such action. A user or group
    the scanned code only attaches policies to (`user = var.user_name`) is
    declared elsewhere, with policies that may enforce MFA, and is not
    reported.

    ## References
    - [Require multi-factor authentication (MFA)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#enable-mfa-for-privileged-users)
    - [Configuring MFA-protected API access](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html)
    - [Allows MFA-authenticated IAM users to manage their own credentials](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html)
    """

    id = "IAM207"
    name = "mfa-not-required"
    severity = "low"
    tags = ("mfa", "identity")
    formats = ("cloudformation", "terraform")

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        if identity.kind not in ("user", "group") or identity.external:
            return
        policies = list(_policies(identity, ctx))
        if any(
            s.is_deny and condition_keys(s, restricting=False) & _MFA_KEYS
            for p in policies
            for s in p.statements
        ):
            return
        who = f"{identity.kind} {_label(identity)}"
        for policy in policies:
            for statement in policy.statements:
                if not statement.is_allow:
                    continue
                if condition_keys(statement, restricting=False) & _MFA_KEYS:
                    continue
                action = action_with_access_level(statement, _LEVEL)
                if action is None:
                    continue
                shown = (
                    f"NotAction {action.value}"
                    if statement.not_actions and action in statement.not_actions
                    else str(action.value)
                )
                yield Hit(
                    action.span,
                    f"{who} may use permissions-management actions ({shown}) without MFA:"
                    " require aws:MultiFactorAuthPresent",
                    element=f"{policy.address}:{statement.index}:{action.value}",
                )


def _policies(identity: Identity, ctx: Context) -> Iterator[Policy]:
    yield from identity.inline_policies
    targets = [ref.target for ref in identity.managed_policies if ref.target is not None]
    if targets:
        index = _policy_index(ctx.workspace)
        for target in targets:
            policy = attached_policy(target, index)
            if policy is not None:
                yield policy


_index: tuple[Workspace, dict[str, Policy]] | None = None


def _policy_index(workspace: Workspace) -> dict[str, Policy]:
    """Policies by address, built once per workspace (Workspace.policy()
    scans every document on each call)."""
    global _index
    if _index is None or _index[0] is not workspace:
        found: dict[str, Policy] = {}
        for doc in workspace.documents:
            for policy in doc.all_policies():
                found.setdefault(policy.address, policy)
        _index = (workspace, found)
    return _index[1]


def _label(identity: Identity) -> str:
    if identity.name is not None and isinstance(identity.name.value, str):
        return repr(identity.name.value)
    return identity.address
