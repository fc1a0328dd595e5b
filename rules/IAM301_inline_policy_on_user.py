from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Identity
from iamlint.rule import Context, Hit, Rule


class InlinePolicyOnUser(Rule):
    """## What it does
    Finds an inline policy embedded in an IAM user. That is the `Policies`
    of AWS::IAM::User, an AWS::IAM::Policy naming the user, or an
    `aws_iam_user_policy`.

    ## Why is this bad?
    Permissions on individual users are hard to review and to revoke: each
    user ends up with a slightly different set, and the policy disappears
    with the user, so nobody audits it. AWS IAM best practices "Use groups
    to assign permissions to IAM users" and "Prefer managed policies over
    inline policies" both apply.

    ## Example
    ```yaml
    Deployer:
      Type: AWS::IAM::User
      Properties:
        Policies:
          - PolicyName: deploy
            PolicyDocument: {...}
    ```

    ## Use instead
    Put the permissions in a customer managed policy attached to a group,
    and add the user to the group:
    ```yaml
    Deployers:
      Type: AWS::IAM::Group
      Properties:
        ManagedPolicyArns: [!Ref DeployPolicy]
    Deployer:
      Type: AWS::IAM::User
      Properties:
        Groups: [!Ref Deployers]
    ```

    ## References
    - [Use groups to assign permissions to IAM users](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html)
    - [Managed policies and inline policies](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html)
    """

    id = "IAM301"
    name = "inline-policy-on-user"
    severity = "medium"
    tags = ("identity",)
    formats = ("cloudformation", "terraform")

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        if identity.kind != "user":
            return
        for policy in identity.inline_policies:
            span = policy.name.span if policy.name is not None else policy.span
            yield Hit(
                span,
                "inline policy embedded in an IAM user: attach a managed policy to a group instead",
                element=f"inline:{policy.address}",
            )
