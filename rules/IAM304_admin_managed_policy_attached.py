from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import aws_managed_policy_name
from iamlint.model import Identity
from iamlint.rule import Context, Hit, Rule

ADMIN_POLICIES = frozenset({"AdministratorAccess", "IAMFullAccess"})


class AdminManagedPolicyAttached(Rule):
    """## What it does
    Finds the AWS managed policy AdministratorAccess or IAMFullAccess (any
    partition) attached to an IAM user, group or role.

    ## Why is this bad?
    AdministratorAccess allows every action on every resource;
    IAMFullAccess lets its holder grant itself anything, so it amounts to
    the same. Attached in code, they usually serve a pipeline or service
    that needs far less. AWS IAM best practice: "Apply least-privilege
    permissions".

    ## Example
    ```yaml
    DeployRole:
      Type: AWS::IAM::Role
      Properties:
        ManagedPolicyArns:
          - !Sub arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess
    ```

    ## Use instead
    Attach a customer managed policy that grants what the role needs, or a
    narrower AWS managed policy (`PowerUserAccess` still excludes IAM, and
    job-function policies exist for most roles).

    ## Known limitations
    A permissions boundary set to AdministratorAccess is not an attachment
    (it caps, it does not grant) and is never reported. Attachments by a
    policy ARN that could not be resolved are not reported.

    ## References
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    - [AdministratorAccess](https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html)
    - [IAMFullAccess](https://docs.aws.amazon.com/aws-managed-policy/latest/reference/IAMFullAccess.html)
    """

    id = "IAM304"
    name = "admin-managed-policy-attached"
    severity = "high"
    tags = ("least-privilege", "identity")
    formats = ("cloudformation", "terraform")

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        for ref in identity.managed_policies:
            name = aws_managed_policy_name(ref.value)
            if name in ADMIN_POLICIES:
                yield Hit(
                    ref.value.span,
                    f"AWS managed policy {name} attached to an IAM {identity.kind}:"
                    " grant least privilege instead",
                    element=f"attach:{name}",
                )
