from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Policy, Statement, Unknown, Value
from iamlint.rule import Context, Hit, Rule


class AllowNotResource(Rule):
    """## What it does
    Finds an Allow statement that uses `NotResource`.

    ## Why is this bad?
    `"Effect": "Allow"` with `NotResource` grants its actions on every
    resource except those listed: every other bucket, table or role, in
    every account the actions can reach, including resources created later.
    Least privilege (AWS IAM best practice "Apply least-privilege
    permissions") means naming the resources a workload uses; `NotResource`
    belongs in Deny statements.

    ## Example
    ```json
    {"Effect": "Allow", "Action": "s3:*",
     "NotResource": "arn:aws:s3:::payroll-exports/*"}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::app-data/*"}
    ```
    To carve out an exception from a broad grant, add a Deny on the
    excluded resources instead.

    ## Known limitations
    Deny statements with `NotResource` (the recommended use) and
    permissions boundaries are never reported. The finding is on the first
    `NotResource` value; conditions do not silence it.

    ## References
    - [IAM JSON policy elements: NotResource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html)
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    """

    id = "IAM105"
    name = "allow-not-resource"
    severity = "medium"
    tags = ("least-privilege",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if not statement.is_allow or not statement.not_resources or policy.kind == "boundary":
            return
        first = statement.not_resources[0]
        shown = _shown(first)
        more = len(statement.not_resources) - 1
        listed = f"'{shown}'" + (f" and {more} more" if more else "")
        yield Hit(
            first.span,
            f"Allow with NotResource grants its actions on every resource except {listed}",
            element=f"{statement.index}:NotResource",
        )


def _shown(value: Value) -> str:
    """The value as written: its text, or the expression of an unresolved one."""
    v = value.value
    return v.expression if isinstance(v, Unknown) else str(v)
