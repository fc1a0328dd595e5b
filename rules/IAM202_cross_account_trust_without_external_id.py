from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from iamlint.analysis import condition_keys, has_unknown_condition_key, principal_account
from iamlint.model import THIS_ACCOUNT, Policy, Statement
from iamlint.rule import Context, Hit, Rule

# Conditions that tie a cross-account trust to a known caller.
_GUARD_KEYS = frozenset(
    {"sts:externalid", "aws:principalorgid", "aws:principalorgpaths", "aws:principalarn"}
)


class CrossAccountTrustWithoutExternalId(Rule):
    """## What it does
    Finds a role trust policy that lets another AWS account assume the role
    without an external id or organization condition. The account may be
    named by its id, its root, or a user or role in it; the conditions that
    count are `sts:ExternalId`, `aws:PrincipalOrgID`,
    `aws:PrincipalOrgPaths` and `aws:PrincipalArn`.

    ## Why is this bad?
    Trusting an account root delegates the decision to every administrator
    of that account: any of its principals given sts:AssumeRole can use the
    role. When the other account is a vendor's, a role without an external
    id is open to the confused-deputy problem: another customer of the
    vendor can name your role ARN and have the vendor assume it for them.
    AWS IAM best practice "Use IAM Access Analyzer to validate public and
    cross-account access" asks you to review every such grant.

    ## Example
    ```json
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
     "Action": "sts:AssumeRole"}
    ```

    ## Use instead
    For a third party, require the external id it gave you; for your own
    organization, require its id:
    ```json
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
     "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"sts:ExternalId": "8f3c1e2a-vendor-id"}}}
    ```

    ## Options
    - `trusted-accounts` (list of strings, default `[]`): account ids
      treated as your own, never reported (your organization's other
      accounts, for instance).

    ## Known limitations
    The template's own account (`AWS::AccountId`,
    `data.aws_caller_identity`) is never "another" account, and neither is
    any account the workspace declares as its own. Principals that could
    not be resolved (a variable without a default) are not reported. An
    MFA condition does not silence the rule: list your organization's
    accounts in `trusted-accounts` instead. Principal `*` is IAM201's.

    ## References
    - [How to use an external ID when granting access to your AWS resources to a third party](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html)
    - [The confused deputy problem](https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)
    - [Use IAM Access Analyzer to validate public and cross-account access](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-preview-access)
    """

    id = "IAM202"
    name = "cross-account-trust-without-external-id"
    severity = "medium"
    tags = ("trust", "cross-account")
    options: ClassVar[Mapping[str, object]] = {"trusted-accounts": ()}

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "trust" or not statement.is_allow or not statement.principals:
            return
        if has_unknown_condition_key(statement) or condition_keys(statement) & _GUARD_KEYS:
            return
        own = _own_accounts(ctx)
        for principal in statement.principals:
            if principal.kind != "AWS":
                continue
            account = principal_account(principal.value)
            if account is None or account == THIS_ACCOUNT or account in own:
                continue
            yield Hit(
                principal.value.span,
                f"trust policy lets account {account} assume this role with no sts:ExternalId"
                " or aws:PrincipalOrgID condition",
                element=f"{statement.index}:Principal:{account}",
            )


def _own_accounts(ctx: Context) -> frozenset[str]:
    option = ctx.option("trusted-accounts", [])
    listed: list[str] = []
    if isinstance(option, str):
        listed = [option]
    elif isinstance(option, (list, tuple, set, frozenset)):
        listed = [str(a) for a in option]
    return frozenset(a.strip() for a in listed) | ctx.workspace.own_accounts
