from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import grants_access, is_any_action, matches, on_any_resource, text
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule

# A NotAction that leaves these in the grant still lets the holder give
# itself anything else, so it is as good as `*`.
_ESCALATION_CORE = ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion")


class FullAdminAccess(Rule):
    """## What it does
    Finds an Allow statement that grants every action (`"Action": "*"`) on
    every resource (`"Resource": "*"`), or that uses NotAction on every
    resource while still leaving IAM's permission-management actions in
    the grant.

    ## Why is this bad?
    This is full administrator access, the opposite of least privilege
    (AWS IAM best practice "Apply least-privilege permissions"). Whoever
    holds it can read every secret, delete every resource and give itself
    or anyone else any permission; a leaked credential becomes a leaked
    account.

    ## Example
    ```json
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ```

    ## Use instead
    Grant the actions the workload needs on the resources it uses:
    ```json
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::app-uploads/*"}
    ```
    For human administrators, use the AWS managed AdministratorAccess
    policy through IAM Identity Center or a role that requires MFA, so the
    grant is visible and reviewed in one place.

    ## Known limitations
    Conditions do not silence this rule: an administrator grant behind a
    condition is still an administrator grant. Policies that only limit
    (permissions boundaries, VPC endpoint policies, whose default is
    `*` on `*`) grant nothing and are not reported. A NotAction that excludes
    `iam:*` (like PowerUserAccess) is reported by IAM104, not here. Values
    that could not be resolved (variables without defaults) never trigger it.

    ## References
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    - [IAM JSON policy elements: Action](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
    - [AdministratorAccess](https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html)
    """

    id = "IAM101"
    name = "full-admin-access"
    severity = "critical"
    tags = ("least-privilege",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if not statement.is_allow or not grants_access(policy):
            return
        if on_any_resource(statement) is None:
            return
        for action in statement.actions or ():
            if is_any_action(action):
                yield Hit(
                    action.span,
                    "Allow of every action ('*') on every resource: full administrator access",
                    element=f"{statement.index}:Action:*",
                )
                return
        if statement.not_actions is not None:
            excluded = [t for a in statement.not_actions if (t := text(a)) is not None]
            if len(excluded) != len(statement.not_actions):
                return  # an unresolved exclusion might cover IAM
            if not any(matches(p, core) for p in excluded for core in _ESCALATION_CORE):
                first = statement.not_actions[0]
                yield Hit(
                    first.span,
                    "Allow with NotAction on every resource still grants IAM permission"
                    " management: full administrator access",
                    element=f"{statement.index}:NotAction",
                )
