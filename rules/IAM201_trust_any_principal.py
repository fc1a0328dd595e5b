from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import is_unconditioned, public_principals
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule


class TrustAnyPrincipal(Rule):
    """## What it does
    Finds a role trust policy that lets anyone assume the role, with no
    condition that narrows who. Anyone is `"Principal": "*"` or
    `{"AWS": "*"}`.

    ## Why is this bad?
    Any AWS account in the world, including an attacker's, can then call
    sts:AssumeRole on the role and act with all its permissions: the role
    is public. AWS IAM best practice "Use IAM Access Analyzer to validate
    public and cross-account access" flags exactly this.

    ## Example
    ```json
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    ```

    ## Use instead
    Name the account or role that may assume it, or keep `*` and limit it
    to your organization:
    ```json
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ```

    ## Known limitations
    A condition counts as restricting unless it only concerns transport,
    time or the shape of the request (`aws:SecureTransport`,
    `aws:CurrentTime`, ...), or is a Like operator on `*`; keys iamlint does
    not know are taken to restrict, so an `sts:ExternalId` condition alone
    silences it. Resource policies that allow `*` are IAM205's.

    ## References
    - [Use IAM Access Analyzer to validate public and cross-account access](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-preview-access)
    - [IAM JSON policy elements: Principal](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)
    - [Roles terms and concepts: trust policy](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html)
    """

    id = "IAM201"
    name = "trust-any-principal"
    severity = "critical"
    tags = ("trust", "public-access")

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "trust" or not statement.is_allow or not is_unconditioned(statement):
            return
        for principal in public_principals(statement):
            yield Hit(
                principal.value.span,
                "trust policy lets anyone (Principal '*') assume this role with no condition"
                " on who: any AWS account can use it",
                element=f"{statement.index}:Principal:*",
            )
            return
