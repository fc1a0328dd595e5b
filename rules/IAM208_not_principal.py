from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule


class NotPrincipal(Rule):
    """## What it does
    Finds a statement that uses `NotPrincipal`, with Allow or with Deny.

    ## Why is this bad?
    With Allow, NotPrincipal grants access to every principal except those
    listed, anonymous users included: almost always far more than meant.
    With Deny, the exception must name the exact assumed-role session and
    account ARNs or the deny locks out (or lets in) more than intended; AWS
    itself advises against NotPrincipal and recommends a Deny with a
    condition on `aws:PrincipalArn` instead (AWS IAM best practice "Apply
    least-privilege permissions").

    ## Example
    ```json
    {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Admin"},
     "Action": "s3:*", "Resource": "arn:aws:s3:::payroll/*"}
    ```

    ## Use instead
    ```json
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": "arn:aws:s3:::payroll/*",
     "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}}}
    ```

    ## Known limitations
    A statement with both Principal and NotPrincipal is malformed (AWS
    rejects it) and is left to IAM507.

    ## References
    - [IAM JSON policy elements: NotPrincipal](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
    - [AWS global condition context keys: aws:PrincipalArn](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn)
    """

    id = "IAM208"
    name = "not-principal"
    severity = "medium"
    tags = ("principals",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if statement.not_principals is None or statement.principals is not None:
            return  # both at once is malformed: IAM507's
        if statement.principal_span is not None:
            span = statement.principal_span
        elif statement.not_principals:
            span = statement.not_principals[0].value.span
        else:
            span = statement.span
        if statement.is_allow:
            message = (
                "Allow with NotPrincipal grants access to everyone except the listed"
                " principals, anonymous users included"
            )
        else:
            message = (
                "NotPrincipal is error-prone: use Principal '*' with an aws:PrincipalArn"
                " condition instead"
            )
        yield Hit(span, message, element=f"{statement.index}:NotPrincipal")
