from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Identity
from iamlint.rule import Context, Hit, Rule


class UserWithoutGroup(Rule):
    """## What it does
    Finds an IAM user that belongs to no group.

    ## Why is this bad?
    A user outside every group gets its permissions one by one, directly,
    where nobody reviews them together. AWS IAM best practice: "Use groups
    to assign permissions to IAM users".

    ## Example
    ```yaml
    Alice:
      Type: AWS::IAM::User
      Properties:
        UserName: alice
    ```

    ## Use instead
    ```yaml
    Alice:
      Type: AWS::IAM::User
      Properties:
        UserName: alice
        Groups: [!Ref Developers]
    ```

    ## Known limitations
    Memberships are those the scanned files declare (`Groups` of
    AWS::IAM::User, AWS::IAM::UserToGroupAddition, `aws_iam_user_group_membership`,
    `aws_iam_group_membership`); scan the files that declare them together
    with the user, or suppress the finding where they live elsewhere. A
    user the scanned code only attaches policies to (`user = var.user_name`)
    is declared elsewhere and is not reported.

    ## References
    - [Use groups to assign permissions to IAM users](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html)
    - [Security best practices in IAM](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html)
    """

    id = "IAM307"
    name = "user-without-group"
    severity = "low"
    tags = ("identity",)
    formats = ("cloudformation", "terraform")

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        if identity.kind != "user" or identity.groups or identity.external:
            return
        yield Hit(
            identity.span,
            "IAM user belongs to no group: grant its permissions through a group",
            element="groups",
        )
