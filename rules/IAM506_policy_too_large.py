from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Identity, Policy
from iamlint.rule import Context, Hit, Rule

MANAGED = 6_144
USER_INLINE = 2_048
GROUP_INLINE = 5_120
ROLE_INLINE = 10_240
TRUST_DEFAULT = 2_048

_INLINE_LIMITS = {
    "user": USER_INLINE,
    "group": GROUP_INLINE,
    "role": ROLE_INLINE,
}
# Owner types of inline policies, by the identity they are embedded in.
_OWNER_KIND = {
    "AWS::IAM::User": "user",
    "AWS::IAM::UserPolicy": "user",
    "aws_iam_user": "user",
    "aws_iam_user_policy": "user",
    "AWS::IAM::Group": "group",
    "AWS::IAM::GroupPolicy": "group",
    "aws_iam_group": "group",
    "aws_iam_group_policy": "group",
    "AWS::IAM::Role": "role",
    "AWS::IAM::RolePolicy": "role",
    "aws_iam_role": "role",
    "aws_iam_role_policy": "role",
}
# Resource policies: (limit, what AWS's documentation calls it). Limits AWS
# gives in bytes are compared with the size without whitespace, which is
# never larger, so a finding is certain.
_RESOURCE_LIMITS = {
    "AWS::S3::BucketPolicy": (20_480, "S3 bucket policy (20 KB)"),
    "aws_s3_bucket_policy": (20_480, "S3 bucket policy (20 KB)"),
    "aws_s3_bucket": (20_480, "S3 bucket policy (20 KB)"),
    "AWS::SQS::QueuePolicy": (8_192, "SQS queue policy (8,192 bytes)"),
    "AWS::SQS::QueueInlinePolicy": (8_192, "SQS queue policy (8,192 bytes)"),
    "aws_sqs_queue_policy": (8_192, "SQS queue policy (8,192 bytes)"),
    "aws_sqs_queue": (8_192, "SQS queue policy (8,192 bytes)"),
    "AWS::SNS::TopicPolicy": (30_720, "SNS topic policy (30 KB)"),
    "AWS::SNS::TopicInlinePolicy": (30_720, "SNS topic policy (30 KB)"),
    "aws_sns_topic_policy": (30_720, "SNS topic policy (30 KB)"),
    "aws_sns_topic": (30_720, "SNS topic policy (30 KB)"),
    "AWS::KMS::Key": (32_768, "KMS key policy (32 KB)"),
    "AWS::KMS::ReplicaKey": (32_768, "KMS key policy (32 KB)"),
    "aws_kms_key": (32_768, "KMS key policy (32 KB)"),
    "aws_kms_key_policy": (32_768, "KMS key policy (32 KB)"),
    "aws_kms_replica_key": (32_768, "KMS key policy (32 KB)"),
}


def _limit(policy: Policy, trust_limit: int) -> tuple[int, str] | None:
    """The size AWS allows for this policy, and what kind it is; None if unknown."""
    if policy.kind == "trust":
        return trust_limit, "role trust policy"
    if policy.managed:
        return MANAGED, "managed policy"
    owner_type = policy.owner_type
    if owner_type is None:
        if policy.source_format == "json" and policy.kind in ("identity", "boundary"):
            return MANAGED, "managed policy"  # a policy file: most likely a managed policy
        return None
    kind = _OWNER_KIND.get(owner_type)
    if kind is not None and policy.kind in ("identity", "boundary"):
        return _INLINE_LIMITS[kind], f"{kind} inline policy"
    if policy.kind == "resource":
        return _RESOURCE_LIMITS.get(owner_type)
    return None


class PolicyTooLarge(Rule):
    """## What it does
    Finds a policy larger than AWS allows for its kind: 6,144 characters
    for a managed policy; 2,048, 5,120 and 10,240 for all the inline
    policies of a user, a group and a role together; 2,048 for a role trust
    policy; 20 KB for an S3 bucket policy, 8,192 bytes for an SQS queue
    policy, 30 KB for an SNS topic policy and 32 KB for a KMS key policy.

    ## Why is this bad?
    AWS rejects the policy (`LimitExceeded: Cannot exceed quota for
    PolicySize`), so the deployment fails at apply time, usually after the
    policy grew one statement at a time. Splitting it, or replacing lists of
    actions and ARNs with fewer, well-chosen ones, fixes it; finding out
    before the apply saves a failed rollout. AWS IAM best practice
    "Validate your policies" covers AWS's quotas for policy documents.

    ## Example
    A user with two inline policies of 1,200 characters each (whitespace
    excluded): together 2,400, over the 2,048 a user's inline policies may
    hold.

    ## Use instead
    Move the permissions into a customer managed policy (6,144 characters,
    up to 10 attached by default) attached to a group the user belongs to,
    and merge statements that share their resources.

    ## Options
    - `trust-policy-limit` (int, default 2048): the role trust policy
      length quota of the account (2,048 unless AWS raised it on request).

    ## Known limitations
    Sizes are counted as AWS counts IAM policies, without whitespace. A
    policy file (raw JSON) is taken to be a managed policy (6,144). Inline
    policies count against their identity's total: a single one over it is
    reported on itself, otherwise the first one that crosses the total is
    reported. A policy whose size or owner iamlint does not know (a
    document built from template expressions, a resource policy of another
    service) is not checked. The size of a document with unresolved values
    is its size with them as written, which may differ from the deployed
    one.

    ## References
    - [IAM and AWS STS quotas](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
    - [Amazon SQS policy quotas](https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html)
    - [Amazon SNS policy quotas](https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html)
    - [Validate your policies (IAM best practices)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-validate-policies)
    """

    id = "IAM506"
    name = "policy-too-large"
    severity = "high"
    tags = ("validity",)

    def _trust_limit(self, ctx: Context) -> int:
        value = ctx.option("trust-policy-limit", TRUST_DEFAULT)
        return value if isinstance(value, int) and value > 0 else TRUST_DEFAULT

    def check_policy(self, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.size is None:
            return
        limit = _limit(policy, self._trust_limit(ctx))
        if limit is None:
            return
        maximum, kind = limit
        if policy.size > maximum:
            yield Hit(
                policy.span,
                f"{kind} of {policy.size:,} characters (whitespace excluded) is over AWS's"
                f" limit of {maximum:,}, AWS rejects it",
                element="size",
            )

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        maximum = _INLINE_LIMITS[identity.kind]
        sized = [p for p in identity.inline_policies if p.size is not None]
        if len(sized) < 2 or any(
            p.size is not None and p.size > maximum for p in sized
        ):  # a single policy over the limit is reported by check_policy
            return
        total = 0
        for policy in sized:
            total += policy.size or 0
            if total > maximum:
                yield Hit(
                    policy.span,
                    f"the inline policies of this {identity.kind} total {total:,} characters"
                    f" (whitespace excluded), over AWS's limit of {maximum:,} for all of them"
                    " together, AWS rejects this one",
                    element=f"inline-total:{policy.address}",
                )
                return
