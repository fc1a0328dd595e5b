from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import condition_keys, has_unknown_condition_key, text
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule

# Keys that tie a service's request to the resource or account it acts for.
_SOURCE_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceowner",
        "kms:calleraccount",
        "lambda:eventsourcetoken",
    }
)
_SOURCE_PREFIXES = ("kms:encryptioncontext:",)


class ServicePrincipalWithoutSource(Rule):
    """## What it does
    Finds a resource policy that grants an AWS service principal without
    naming the resource or account the service acts for. A grant to
    `sns.amazonaws.com`, `s3.amazonaws.com`, `cloudtrail.amazonaws.com`, ...
    needs an `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOrgID` or
    `aws:SourceOrgPaths` condition.

    ## Why is this bad?
    A service principal acts for every AWS customer. Without a condition
    naming the resource or account it acts for, another account can make
    the service use your grant: point its own S3 notification, SNS
    subscription or CloudTrail trail at your queue, function or bucket
    (the cross-service confused-deputy problem). AWS recommends these
    conditions in every resource policy that grants a service.

    ## Example
    ```json
    {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
     "Action": "sqs:SendMessage",
     "Resource": "arn:aws:sqs:eu-west-1:111122223333:uploads"}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
     "Action": "sqs:SendMessage",
     "Resource": "arn:aws:sqs:eu-west-1:111122223333:uploads",
     "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-uploads"},
                   "StringEquals": {"aws:SourceAccount": "111122223333"}}}
    ```

    ## Known limitations
    Role trust policies (a service assuming a role) are not resource
    policies and are never reported. Besides the four keys, `aws:SourceOwner`,
    `kms:CallerAccount`, `kms:EncryptionContext:*` (as in CloudTrail and
    CloudWatch Logs key policies) and `lambda:EventSourceToken` count as
    naming the source. A Lambda permission's `source_arn` /
    `SourceArn` and `source_account` / `SourceAccount` are such conditions.
    A condition on `*` under a Like operator does not count. Statements
    whose condition keys could not be resolved are not reported.

    ## References
    - [The confused deputy problem: cross-service](https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention)
    - [AWS global condition context keys: aws:SourceArn](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn)
    - [Grant least privilege with resource-based policies](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    """

    id = "IAM206"
    name = "service-principal-without-source"
    severity = "medium"
    tags = ("confused-deputy",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "resource" or not statement.is_allow or not statement.principals:
            return
        services = [p for p in statement.principals if p.kind == "Service"]
        if not services or has_unknown_condition_key(statement):
            return
        keys = condition_keys(statement)
        if keys & _SOURCE_KEYS or any(k.startswith(_SOURCE_PREFIXES) for k in keys):
            return
        for principal in services:
            name = text(principal.value)
            if name is None:
                continue
            yield Hit(
                principal.value.span,
                f"resource policy grants service {name.strip()} with no aws:SourceArn or"
                " aws:SourceAccount condition: other accounts can make the service use it",
                element=f"{statement.index}:Service:{name.strip()}",
            )
