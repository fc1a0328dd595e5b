from __future__ import annotations

from collections.abc import Iterable

from iamlint import iamdata
from iamlint.analysis import (
    delegates_to_accounts,
    grants_access,
    is_any_action,
    on_any_resource,
    service_wildcard,
)
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule


def _grants_nothing_today(service: str) -> bool:
    """A retired service AWS still accepts but that has no actions left
    (`catalog-user`, `zocalo`): its wildcard grants nothing."""
    return iamdata.is_known_service(service) and not iamdata.service_actions(service)


class ServiceWildcardAction(Rule):
    """## What it does
    Finds an Allow statement that grants every action of a service
    (`s3:*`, `dynamodb:*`), or every action of every service (`*`) on
    specific resources.

    ## Why is this bad?
    A service wildcard grants today's actions and every action AWS adds to
    that service later, including destructive and permission-changing ones
    (`s3:*` includes `s3:DeleteBucket` and `s3:PutBucketPolicy`). Least
    privilege (AWS IAM best practice "Apply least-privilege permissions")
    means naming the actions a workload uses.

    ## Example
    ```json
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::app-data/*"}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::app-data/*"}
    ```
    IAM Access Analyzer can generate a policy from the actions a role has
    actually used.

    ## Known limitations
    Partial wildcards (`s3:Get*`) are not reported here; IAM103 and IAM109
    judge what they expand to. `*` on every resource is IAM101's, so it is
    not reported twice. Deny statements are never reported, nor policies
    that only limit (permissions boundaries, VPC endpoint policies). A
    resource policy statement whose principals are whole accounts (the
    account root, as in the default KMS key policy's `kms:*`) hands the
    decision to that account's IAM policies and is not reported. Nor is
    the wildcard of a retired service that has no actions left
    (`catalog-user:*` in AWS's own read-only policies): it grants nothing.

    ## References
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    - [Generate policies based on access activity](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_generate-policy.html)
    """

    id = "IAM102"
    name = "service-wildcard-action"
    severity = "high"
    tags = ("least-privilege",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if not statement.is_allow or not grants_access(policy):
            return
        if policy.kind == "resource" and delegates_to_accounts(statement):
            return
        any_resource = on_any_resource(statement) is not None
        for action in statement.actions or ():
            service = service_wildcard(action)
            if service is not None and _grants_nothing_today(service):
                continue
            if service is not None:
                yield Hit(
                    action.span,
                    f"Allow of every {service} action ('{action.value}'): name the actions needed",
                    element=f"{statement.index}:Action:{service}:*",
                )
            elif is_any_action(action) and not any_resource and statement.resources:
                yield Hit(
                    action.span,
                    "Allow of every action of every service ('*') on the statement's resources",
                    element=f"{statement.index}:Action:*",
                )
