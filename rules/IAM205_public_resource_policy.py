from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import is_unconditioned, public_principals
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule


class PublicResourcePolicy(Rule):
    """## What it does
    Finds a resource policy (S3 bucket, SQS queue, SNS topic, KMS key,
    Lambda permission, ECR repository, Secrets Manager secret, OpenSearch
    domain, ...) with an Allow statement for `"Principal": "*"` or
    `{"AWS": "*"}` and no condition that narrows who may use it or from where.

    ## Why is this bad?
    `*` is everyone on the internet, signed in or not, in any account. An
    unconditioned Allow to `*` makes the resource public: the way most
    data leaks from S3 happen. AWS IAM best practice "Use IAM Access
    Analyzer to validate public and cross-account access" exists for this.

    ## Example
    ```json
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::reports/*"}
    ```

    ## Use instead
    Name the principals, or keep `*` and restrict it with a condition on
    who or where:
    ```json
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::reports/*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ```

    ## Known limitations
    A condition counts as restricting unless it only concerns transport,
    time, client-supplied headers or the shape of the request
    (`aws:SecureTransport`, `aws:CurrentTime`, `aws:Referer`,
    `aws:UserAgent`, `s3:x-amz-*`, ...), or is a Like operator on `*`.
    Keys iamlint does not know are taken to restrict, to avoid false
    alarms. Trust policies are IAM201's.

    ## References
    - [IAM Access Analyzer: public and cross-account access](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-preview-access)
    - [IAM JSON policy elements: Principal](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)
    - [Blocking public access to your Amazon S3 storage](https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)
    """

    id = "IAM205"
    name = "public-resource-policy"
    severity = "critical"
    tags = ("public-access",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "resource" or not statement.is_allow:
            return
        if not is_unconditioned(statement):
            return
        for principal in public_principals(statement):
            yield Hit(
                principal.value.span,
                "resource policy allows anyone (Principal '*') with no condition on who or"
                " where: the resource is public",
                element=f"{statement.index}:Principal:*",
            )
            return
