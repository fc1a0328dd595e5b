from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from functools import lru_cache

from iamlint.model import Policy, Span, Statement
from iamlint.rule import Context, Hit, Rule

_BASE_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
)
_SET_PREFIXES = ("", "ForAllValues:", "ForAnyValue:")


def _valid_operators() -> frozenset[str]:
    base = [*_BASE_OPERATORS, *(f"{op}IfExists" for op in _BASE_OPERATORS), "Null"]
    return frozenset(f"{prefix}{op}" for prefix in _SET_PREFIXES for op in base)


VALID_OPERATORS = _valid_operators()
_BY_LOWER = {op.lower(): op for op in VALID_OPERATORS}


@lru_cache(maxsize=512)
def _suggestion(operator: str) -> str | None:
    """The valid operator the author most likely meant."""
    same = _BY_LOWER.get(operator.lower())
    if same is not None:
        return same
    if operator.lower().endswith("nullifexists"):
        return "Null"
    # Compare without the set prefix first, then put the (corrected) prefix back.
    head, sep, rest = operator.rpartition(":")
    prefix = ""
    if sep:
        near = get_close_matches(head + ":", _SET_PREFIXES[1:], n=1, cutoff=0.6)
        prefix = near[0] if near else ""
    body = rest if sep else operator
    bodies = sorted({op for op in VALID_OPERATORS if ":" not in op} - {"NullIfExists"})
    lowered = {b.lower(): b for b in bodies}
    found = get_close_matches(body.lower(), list(lowered), n=1, cutoff=0.6)
    if not found:
        return None
    candidate = prefix + lowered[found[0]]
    return candidate if candidate in VALID_OPERATORS else lowered[found[0]]


class InvalidConditionOperator(Rule):
    """## What it does
    Finds a condition operator that AWS does not define, such as
    `StringEqual`, `StringEqualsIgnoreCas`, `stringEquals` or
    `ForAnyValues:StringLike`, and suggests the closest valid one.

    ## Why is this bad?
    IAM rejects the whole policy with `MalformedPolicyDocument: Invalid
    Condition type` (operators are case-sensitive), so the deployment fails,
    often late, in the middle of a CloudFormation or Terraform apply. AWS IAM
    best practice "Validate your policies" (IAM Access Analyzer policy
    validation) catches this before deployment; iamlint does it offline.

    ## Example
    ```json
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*",
     "Condition": {"StringEqual": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ```

    ## Known limitations
    The valid operators are the String, Numeric, Date, Bool, BinaryEquals,
    IpAddress/NotIpAddress, Arn and Null families, each (but Null) with the
    `IfExists` suffix, and with or without a `ForAllValues:` or
    `ForAnyValue:` prefix. An operator iamlint cannot resolve (a template
    expression) is not checked.

    ## References
    - [IAM JSON policy elements: Condition operators](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
    - [Validate your policies (IAM best practices)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-validate-policies)
    - [IAM Access Analyzer policy validation](https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-validation.html)
    """

    id = "IAM502"
    name = "invalid-condition-operator"
    severity = "high"
    tags = ("validity",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        seen: set[Span] = set()
        for condition in statement.conditions:
            operator = condition.operator.text
            if operator is None or operator in VALID_OPERATORS:
                continue
            span = condition.operator.span
            if span in seen:  # one finding per operator, not per key under it
                continue
            seen.add(span)
            near = _suggestion(operator)
            hint = f": did you mean '{near}'?" if near else ""
            yield Hit(
                span,
                f"'{operator}' is not a condition operator, AWS rejects the policy{hint}",
                element=f"{statement.index}:Condition:{operator}",
            )
