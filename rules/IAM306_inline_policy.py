from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Identity
from iamlint.rule import Context, Hit, Rule


class InlinePolicy(Rule):
    """## What it does
    Finds an inline policy embedded in an IAM role or group, where a
    customer managed policy would serve.

    ## Why is this bad?
    Inline policies cannot be reused, versioned or rolled back, and are
    harder to find in a review than a customer managed policy. AWS IAM best
    practice "Get started with AWS managed policies and move toward
    least-privilege permissions" recommends managed policies; inline ones
    are for a strict one-to-one relationship. This rule is off by default:
    enable it where your team's convention forbids inline policies.

    ## Example
    ```hcl
    resource "aws_iam_role_policy" "app" {
      role   = aws_iam_role.app.id
      policy = data.aws_iam_policy_document.app.json
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_policy" "app" {
      policy = data.aws_iam_policy_document.app.json
    }
    resource "aws_iam_role_policy_attachment" "app" {
      role       = aws_iam_role.app.name
      policy_arn = aws_iam_policy.app.arn
    }
    ```

    ## Known limitations
    Inline policies on users are IAM301's.

    ## References
    - [Managed policies and inline policies](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html)
    - [Choosing between managed policies and inline policies](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-choosing-managed-or-inline.html)
    """

    id = "IAM306"
    name = "inline-policy"
    severity = "info"
    tags = ("identity",)
    enabled_by_default = False
    formats = ("cloudformation", "terraform")

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        if identity.kind not in ("role", "group"):
            return
        for policy in identity.inline_policies:
            span = policy.name.span if policy.name is not None else policy.span
            yield Hit(
                span,
                f"inline policy embedded in an IAM {identity.kind}: a customer managed"
                " policy can be reused and versioned",
                element=f"inline:{policy.address}",
            )
