from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import matches, on_any_resource, text
from iamlint.model import Policy, Statement, Unknown, Value
from iamlint.rule import Context, Hit, Rule

# IAM101 reports a NotAction on every resource that leaves these granted.
_ESCALATION_CORE = ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion")


class AllowNotAction(Rule):
    """## What it does
    Finds an Allow statement that uses `NotAction`.

    ## Why is this bad?
    `"Effect": "Allow"` with `NotAction` grants every action except those
    listed, in every service, including the services and actions AWS adds
    after the policy is written. It is almost always far more than intended
    and the opposite of least privilege (AWS IAM best practice "Apply
    least-privilege permissions"). AWS's own guidance reserves `NotAction`
    for Deny statements.

    ## Example
    ```json
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"],
     "Resource": "*"}
    ```

    ## Use instead
    List the actions that are needed, and express exceptions with a Deny:
    ```json
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::app-data/*"}
    ```
    or keep a broad Allow in one reviewed place and subtract with
    `{"Effect": "Deny", "NotAction": [...], "Resource": "*"}`.

    ## Known limitations
    Deny statements with `NotAction` (the recommended use) are never
    reported, nor are permissions boundaries, whose job is to allow broadly
    and cap. A NotAction on every resource that still leaves IAM's
    permission-management actions granted is full administrator access and
    is reported by IAM101 only, not twice. The finding is on the first
    `NotAction` value.

    ## References
    - [IAM JSON policy elements: NotAction](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html)
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    """

    id = "IAM104"
    name = "allow-not-action"
    severity = "high"
    tags = ("least-privilege",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if not statement.is_allow or not statement.not_actions or policy.kind == "boundary":
            return
        if _is_full_admin(statement):
            return
        first = statement.not_actions[0]
        shown = _shown(first)
        more = len(statement.not_actions) - 1
        listed = f"'{shown}'" + (f" and {more} more" if more else "")
        yield Hit(
            first.span,
            f"Allow with NotAction grants every action except {listed},"
            " including actions AWS adds later",
            element=f"{statement.index}:NotAction",
        )


def _is_full_admin(statement: Statement) -> bool:
    """What IAM101 reports: NotAction on `*` that leaves IAM escalation in."""
    if on_any_resource(statement) is None:
        return False
    excluded = [text(a) for a in statement.not_actions or ()]
    if any(e is None for e in excluded):
        return False
    return not any(matches(e, core) for e in excluded if e for core in _ESCALATION_CORE)


def _shown(value: Value) -> str:
    """The value as written: its text, or the expression of an unresolved one."""
    v = value.value
    return v.expression if isinstance(v, Unknown) else str(v)
