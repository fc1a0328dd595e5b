from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import aws_managed_policy_name
from iamlint.model import Identity
from iamlint.rule import Context, Hit, Rule

_ADMIN = frozenset({"administratoraccess", "iamfullaccess"})  # IAM304's


class FullAccessManagedPolicyAttached(Rule):
    """## What it does
    Finds an AWS managed `*FullAccess` policy (`AmazonS3FullAccess`,
    `AmazonDynamoDBFullAccess`, ...) attached to an IAM user, group or role.

    ## Why is this bad?
    A FullAccess policy grants every action of a service on every resource
    of it: every bucket, every table, including
    deletion and policy changes. Workloads need a few actions on a few
    resources. AWS IAM best practice: "Get started with AWS managed
    policies and move toward least-privilege permissions".

    ## Example
    ```hcl
    resource "aws_iam_role_policy_attachment" "app_s3" {
      role       = aws_iam_role.app.name
      policy_arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    }
    ```

    ## Use instead
    A customer managed policy with the actions and buckets the workload
    uses, or a narrower AWS managed policy (`AmazonS3ReadOnlyAccess`).

    ## Known limitations
    AdministratorAccess and IAMFullAccess are IAM304's. Customer managed
    policies named `...FullAccess` are not AWS managed and are not
    reported; nor are attachments by an ARN that could not be resolved.

    ## References
    - [Get started with AWS managed policies and move toward least privilege](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-use-aws-defined-policies)
    - [AWS managed policies](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies)
    """

    id = "IAM305"
    name = "full-access-managed-policy-attached"
    severity = "low"
    tags = ("least-privilege", "identity")
    formats = ("cloudformation", "terraform")

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        for ref in identity.managed_policies:
            name = aws_managed_policy_name(ref.value)
            if name is None:
                continue
            low = name.lower()
            if low.endswith("fullaccess") and low not in _ADMIN:
                yield Hit(
                    ref.value.span,
                    f"AWS managed policy {name} grants the whole service on every resource:"
                    " grant least privilege instead",
                    element=f"attach:{name}",
                )
