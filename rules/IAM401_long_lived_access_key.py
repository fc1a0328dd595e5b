from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Document
from iamlint.rule import Context, Hit, Rule


class LongLivedAccessKey(Rule):
    """## What it does
    Finds an IAM access key created in code (`aws_iam_access_key`,
    AWS::IAM::AccessKey).

    ## Why is this bad?
    An access key is a long-lived credential: it works until someone
    deletes it, from anywhere, and it ends up in state files, stack
    outputs, CI variables and laptops. Most leaks of AWS accounts start
    with one. AWS IAM best practice: "Require workloads to use temporary
    credentials with IAM roles to access AWS" (roles for EC2, ECS, Lambda;
    OIDC federation for CI; IAM Roles Anywhere outside AWS).

    ## Example
    ```hcl
    resource "aws_iam_access_key" "ci" {
      user = aws_iam_user.ci.name
    }
    ```

    ## Use instead
    Give the workload a role to assume: an instance profile or task role
    inside AWS, an OIDC trust for GitHub Actions or GitLab, IAM Roles
    Anywhere for servers outside AWS.

    ## Known limitations
    Terraform also writes the secret of such a key into its state in clear
    text unless `pgp_key` is set; this rule reports the key whatever the
    setting.

    ## References
    - [Require workloads to use temporary credentials](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-workloads-use-roles)
    - [Manage access keys for IAM users](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html)
    """

    id = "IAM401"
    name = "long-lived-access-key"
    severity = "medium"
    tags = ("credentials",)
    formats = ("cloudformation", "terraform")

    def check_document(self, document: Document, ctx: Context) -> Iterable[Hit]:
        for key in document.access_keys:
            yield Hit(
                key.span,
                "long-lived IAM access key created in code: use a role and temporary"
                " credentials instead",
                element=f"access-key:{key.address}",
                address=key.address,
            )
