from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from difflib import get_close_matches

from iamlint.loaders.policydoc import POLICY_KEYS, STATEMENT_KEYS
from iamlint.model import Policy, Span, Statement, Value
from iamlint.rule import Context, Hit, Rule

_SID = re.compile(r"[0-9A-Za-z]*\Z")
# Resource policies whose statements must name a Resource.
_NEEDS_RESOURCE = frozenset(
    {
        "AWS::S3::BucketPolicy",
        "aws_s3_bucket_policy",
        "aws_s3_bucket",
        "AWS::SQS::QueuePolicy",
        "AWS::SQS::QueueInlinePolicy",
        "aws_sqs_queue_policy",
        "aws_sqs_queue",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::TopicInlinePolicy",
        "aws_sns_topic_policy",
        "aws_sns_topic",
        "AWS::KMS::Key",
        "AWS::KMS::ReplicaKey",
        "aws_kms_key",
        "aws_kms_key_policy",
        "aws_kms_replica_key",
    }
)


def _iam_kind(policy: Policy) -> str | None:
    """The policy's kind when IAM stores it (identity, boundary, trust), else
    None. Loaders also give "boundary" to caps that are not IAM's (a VPC
    endpoint policy, which names principals), so a boundary counts only
    when IAM owns it."""
    if policy.kind in ("identity", "trust"):
        return policy.kind
    owner = policy.owner_type
    if policy.kind == "boundary" and (
        owner is None or owner.startswith(("AWS::IAM::", "aws_iam_"))
    ):
        return "boundary"
    return None


def _unknown_elements(
    keys: Iterable[Value], known: Iterable[str], what: str, at: str
) -> Iterator[Hit]:
    """An element AWS does not define, with the closest one it does."""
    for key in keys:
        name = key.text or ""
        near = _closest(name, known)
        hint = f": did you mean '{near}'?" if near else ""
        yield Hit(
            key.span,
            f"'{name}' is not a {what} element, AWS rejects the policy{hint}",
            f"{at}:element:{name}",
        )


def _closest(name: str, choices: Iterable[str]) -> str | None:
    by_lower = {c.lower(): c for c in choices}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    found = get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def _empty(statement: Statement) -> bool:
    """A statement with no element at all: it was not an object."""
    return (
        statement.effect is None
        and statement.sid is None
        and statement.actions is None
        and statement.not_actions is None
        and statement.resources is None
        and statement.not_resources is None
        and statement.principals is None
        and statement.not_principals is None
        and not statement.conditions
        and not statement.unknown_keys
    )


def _known(values: Iterable[Value] | None) -> bool:
    """Written with at least one resolved value (an element built from an
    unresolved expression may well be null once deployed)."""
    return any(v.known for v in values or ())


def _first_span(values: tuple[Value, ...] | None, fallback: Span) -> Span:
    return values[0].span if values else fallback


class MalformedPolicy(Rule):
    """## What it does
    Finds policy documents AWS would reject or misread: an Effect other than
    `Allow` or `Deny`, a statement without Action or Resource, both Action
    and NotAction (or Resource and NotResource, Principal and NotPrincipal),
    a Principal in an identity policy or none in a resource or trust
    policy, a Resource in a trust policy, duplicate or invalid Sids, unknown
    elements (`Actions`, `resource`) and structural errors (a statement
    that is not an object, a list where a string belongs).

    ## Why is this bad?
    AWS rejects the document with `MalformedPolicyDocument`, so the
    deployment fails at apply time, or, when an element is misspelt in a
    service that tolerates it, the statement does not say what its author
    meant. AWS IAM best practice "Validate your policies" (IAM Access
    Analyzer policy validation) reports these as errors; iamlint does it
    offline, before the apply.

    ## Example
    ```json
    {"Version": "2012-10-17",
     "Statement": [{"Sid": "read-reports", "Effect": "allow",
                    "Actions": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    ```

    ## Use instead
    ```json
    {"Version": "2012-10-17",
     "Statement": [{"Sid": "ReadReports", "Effect": "Allow",
                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    ```

    ## Known limitations
    Each problem is one finding, on its element's line (a missing element
    on the statement's first line). Sids are checked for IAM's own policies
    (identity policies, permissions boundaries, trust policies): only
    letters and digits, unique within the policy; resource policies of
    other services allow more (S3 and KMS accept spaces) and are not
    checked for them, nor are policies that cap access but are not IAM's
    (VPC endpoint policies). A missing Resource is reported in identity policies
    and in S3, SQS, SNS and KMS resource policies; other services' resource
    policies may leave it out (an ECR repository policy does). Values
    iamlint cannot resolve are not checked.

    ## References
    - [IAM JSON policy element reference](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html)
    - [IAM JSON policy grammar](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html)
    - [IAM JSON policy elements: Sid](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html)
    - [Validate your policies (IAM best practices)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-validate-policies)
    """

    id = "IAM507"
    name = "malformed-policy"
    severity = "high"
    tags = ("validity",)

    def check_policy(self, policy: Policy, ctx: Context) -> Iterable[Hit]:
        for problem in policy.problems:
            yield Hit(
                problem.span, f"{problem.value}, AWS rejects the policy", f"policy:{problem.value}"
            )
        yield from _unknown_elements(policy.unknown_keys, POLICY_KEYS, "policy", "policy")
        if _iam_kind(policy) is None:
            return
        seen: dict[str, Value] = {}
        for statement in policy.statements:
            sid = statement.sid
            text = sid.text if sid is not None else None
            if sid is None or not text:
                continue
            if not _SID.match(text):
                yield Hit(
                    sid.span,
                    f"Sid '{text}' may hold only letters and digits in an IAM policy,"
                    " AWS rejects the policy",
                    f"{statement.index}:Sid:{text}",
                )
            if text in seen:
                yield Hit(
                    sid.span,
                    f"Sid '{text}' is already used on line {seen[text].span.line}, AWS rejects"
                    " a policy whose Sids are not unique",
                    f"{statement.index}:Sid:duplicate:{text}",
                )
            else:
                seen[text] = sid

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        at = statement.index
        if _empty(statement):
            # Not an object: in a template this is most often an expression
            # iamlint could not resolve (a list of documents, a function
            # call), so only a raw JSON policy is reported.
            if policy.source_format == "json":
                for problem in statement.problems:
                    yield Hit(
                        problem.span, f"{problem.value}, AWS rejects the policy", f"{at}:shape"
                    )
            return
        for problem in statement.problems:
            yield Hit(
                problem.span, f"{problem.value}, AWS rejects the policy", f"{at}:{problem.value}"
            )
        yield from _unknown_elements(statement.unknown_keys, STATEMENT_KEYS, "statement", str(at))
        yield from self._effect(statement)
        yield from self._pairs(statement, policy)
        yield from self._principal(statement, policy)

    def _effect(self, statement: Statement) -> Iterable[Hit]:
        effect = statement.effect
        if effect is None:
            yield Hit(
                statement.span,
                "the statement has no Effect, AWS rejects the policy",
                f"{statement.index}:Effect:missing",
            )
            return
        text = effect.text
        if text is None or text in ("Allow", "Deny"):
            return
        near = _closest(text, ("Allow", "Deny"))
        hint = f": did you mean '{near}'?" if near else ""
        yield Hit(
            effect.span,
            f"Effect '{text}' is neither 'Allow' nor 'Deny' (case matters), AWS rejects the"
            f" policy{hint}",
            f"{statement.index}:Effect:{text}",
        )

    def _pairs(self, statement: Statement, policy: Policy) -> Iterable[Hit]:
        at = statement.index
        if _known(statement.actions) and _known(statement.not_actions):
            yield Hit(
                _first_span(statement.not_actions, statement.span),
                "the statement has both Action and NotAction, AWS rejects the policy",
                f"{at}:Action+NotAction",
            )
        elif statement.actions is None and statement.not_actions is None:
            yield Hit(
                statement.span,
                "the statement has no Action or NotAction, AWS rejects the policy",
                f"{at}:Action:missing",
            )
        has_resource = statement.resources is not None or statement.not_resources is not None
        if _known(statement.resources) and _known(statement.not_resources):
            yield Hit(
                _first_span(statement.not_resources, statement.span),
                "the statement has both Resource and NotResource, AWS rejects the policy",
                f"{at}:Resource+NotResource",
            )
        if policy.kind == "trust":
            if _known(statement.resources) or _known(statement.not_resources):
                yield Hit(
                    _first_span(statement.resources or statement.not_resources, statement.span),
                    "a role trust policy has no Resource (the role is the resource),"
                    " AWS rejects the policy",
                    f"{at}:Resource:trust",
                )
        elif not has_resource and (
            _iam_kind(policy) in ("identity", "boundary") or policy.owner_type in _NEEDS_RESOURCE
        ):
            yield Hit(
                statement.span,
                "the statement has no Resource or NotResource, AWS rejects the policy",
                f"{at}:Resource:missing",
            )

    def _principal(self, statement: Statement, policy: Policy) -> Iterable[Hit]:
        at = statement.index
        has_principal = statement.principals is not None or statement.not_principals is not None
        span = statement.principal_span or statement.span
        principal_values = [p.value for p in statement.principals or ()]
        not_principal_values = [p.value for p in statement.not_principals or ()]
        if _known(principal_values) and _known(not_principal_values):
            yield Hit(
                span,
                "the statement has both Principal and NotPrincipal, AWS rejects the policy",
                f"{at}:Principal+NotPrincipal",
            )
        if policy.kind == "boundary" and _iam_kind(policy) is None:
            return  # a VPC endpoint policy or the like: principals are optional
        if policy.kind in ("identity", "boundary"):
            what = "an identity policy" if policy.kind == "identity" else "a permissions boundary"
            if _known(principal_values) or _known(not_principal_values):
                yield Hit(
                    span,
                    f"{what} names no Principal (it applies to the identity it is attached to),"
                    " AWS rejects the policy",
                    f"{at}:Principal:identity",
                )
        elif not has_principal:
            if policy.owner_type is None and policy.kind == "resource":
                message = (
                    "this statement has no Principal but others have one: a resource policy"
                    " needs one in every statement, an identity policy none, AWS rejects either"
                )
            else:
                kind = "role trust policy" if policy.kind == "trust" else "resource policy"
                message = f"a statement of a {kind} needs a Principal, AWS rejects the policy"
            yield Hit(statement.span, message, f"{at}:Principal:missing")
