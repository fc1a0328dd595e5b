from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import aws_managed_policy_name, text
from iamlint.model import Identity, PolicyRef, Unknown, without_key
from iamlint.rule import Context, Hit, Rule


class PolicyAttachedToUser(Rule):
    """## What it does
    Finds a managed policy attached directly to an IAM user instead of to a
    group. That is `ManagedPolicyArns` of AWS::IAM::User,
    `aws_iam_user_policy_attachment`, or the `users` of
    `aws_iam_policy_attachment`.

    ## Why is this bad?
    Permissions granted user by user drift apart and are forgotten when
    people change jobs; granted through groups they are reviewed and
    revoked in one place. AWS IAM best practice: "Use groups to assign
    permissions to IAM users".

    ## Example
    ```hcl
    resource "aws_iam_user_policy_attachment" "alice_billing" {
      user       = aws_iam_user.alice.name
      policy_arn = "arn:aws:iam::aws:policy/job-function/Billing"
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_group_policy_attachment" "finance_billing" {
      group      = aws_iam_group.finance.name
      policy_arn = "arn:aws:iam::aws:policy/job-function/Billing"
    }
    resource "aws_iam_user_group_membership" "alice" {
      user   = aws_iam_user.alice.name
      groups = [aws_iam_group.finance.name]
    }
    ```

    ## Known limitations
    A permissions boundary is not an attachment and is never reported.

    ## References
    - [Use groups to assign permissions to IAM users](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html)
    - [Security best practices in IAM](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html)
    """

    id = "IAM302"
    name = "policy-attached-to-user"
    severity = "low"
    tags = ("identity",)
    formats = ("cloudformation", "terraform")

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        if identity.kind != "user":
            return
        for ref in identity.managed_policies:
            # The target without an instance key, as it was before
            # references kept one: baselines must still match.
            target = without_key(ref.target or "")
            yield Hit(
                ref.value.span,
                f"{_describe(ref)} attached directly to an IAM user: attach it to a group instead",
                element=f"attach:{target or text(ref.value) or ref.address or ''}",
            )


def _describe(ref: PolicyRef) -> str:
    name = aws_managed_policy_name(ref.value)
    if name is not None:
        return f"AWS managed policy {name}"
    t = text(ref.value)
    if t is not None:
        return f"managed policy {t}"
    if ref.target is not None:
        return f"managed policy {ref.target.removesuffix('.PolicyDocument')}"
    if isinstance(ref.value.value, Unknown):
        return f"managed policy {ref.value.value.expression}"
    return "a managed policy"
