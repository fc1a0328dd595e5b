from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from iamlint import iamdata
from iamlint.model import Policy, Span
from iamlint.rule import Context, Hit, Rule


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@lru_cache(maxsize=8192)
def action_problem(action: str) -> str | None:
    """Why an action (or pattern) names nothing AWS knows, or None when it is fine."""
    if action in ("*", "*:*"):
        return None
    prefix, sep, name = action.partition(":")
    if not sep or not prefix or not name or ":" in name:
        return f"'{action}' is not of the form service:action, AWS rejects the policy"
    if _has_wildcard(prefix):
        return f"'{action}' has a wildcard in its service prefix, AWS rejects the policy"
    if not iamdata.is_known_service(prefix):
        near = iamdata.closest_action(action) or iamdata.closest_service(prefix)
        hint = f": did you mean '{near}'?" if near else ""
        return (
            f"'{prefix}' is not an AWS service prefix, so '{action}' matches no action"
            f" and grants or denies nothing{hint}"
        )
    if not iamdata.service_actions(prefix):
        return None  # a legacy service whose actions no source lists: cannot be checked
    if iamdata.expand(action):
        return None
    near = iamdata.closest_action(action)
    hint = f": did you mean '{near}'?" if near else ""
    what = "pattern" if _has_wildcard(name) else "action"
    return (
        f"'{action}' matches no {prefix.lower()} action, AWS ignores this {what},"
        f" so it grants or denies nothing{hint}"
    )


class UnknownAction(Rule):
    """## What it does
    Finds an action or action pattern that matches no action of a known AWS
    service (`s3:GetObjekt`, `lambda:Invoke`, `ec:DescribeInstances`), and
    suggests the closest real name.

    ## Why is this bad?
    IAM accepts an action name it does not know in a known service and
    simply ignores it: the Allow grants nothing and the application fails at
    run time with AccessDenied, or worse, a Deny meant as a guardrail
    protects nothing. An action without a service prefix, or with a
    wildcard in its prefix (`*:Get*`), makes AWS reject the whole policy.
    AWS IAM best practice "Validate your policies" (IAM Access
    Analyzer policy validation) reports both; iamlint does it offline.

    ## Example
    ```json
    {"Effect": "Deny", "Action": ["s3:DeleteObjects", "s3:PutBucketPolicies"],
     "Resource": "arn:aws:s3:::audit-logs/*"}
    ```

    ## Use instead
    ```json
    {"Effect": "Deny", "Action": ["s3:DeleteObject", "s3:PutBucketPolicy"],
     "Resource": "arn:aws:s3:::audit-logs/*"}
    ```

    ## Known limitations
    Applies to Action and NotAction, in Allow and Deny statements. A pattern
    with wildcards is reported only when it matches no action at all.
    Actions AWS retired but still accepts are known. A few legacy services
    (`zocalo`) are known without a list of actions: their actions cannot be
    checked and are never reported. Values iamlint cannot resolve (template
    parameters, variables) are not checked. The action list is iamlint's
    bundled copy of AWS's Service Authorization Reference: an action
    launched after it was built is reported until the data is refreshed.

    ## References
    - [Service Authorization Reference: actions, resources and condition keys](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    - [IAM JSON policy elements: Action](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
    - [Validate your policies (IAM best practices)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-validate-policies)
    """

    id = "IAM501"
    name = "unknown-action"
    severity = "high"
    tags = ("validity",)

    def check_policy(self, policy: Policy, ctx: Context) -> Iterable[Hit]:
        # One finding per written element: a Terraform dynamic block or a
        # for expression makes many statements from one line, and its
        # author wants to hear about that line once.
        found: dict[Span, list[tuple[str, str, str]]] = {}
        for statement in policy.statements:
            for field, values in (
                ("Action", statement.actions),
                ("NotAction", statement.not_actions),
            ):
                for value in values or ():
                    action = value.text
                    if action is None:
                        continue
                    action = action.strip()
                    problem = action_problem(action)
                    if problem is not None:
                        element = f"{statement.index}:{field}:{action}"
                        found.setdefault(value.span, []).append((action, problem, element))
        for span, problems in found.items():
            action, message, element = problems[0]
            others = sorted({a for a, _, _ in problems[1:]} - {action})
            if others:
                shown = ", ".join(f"'{a}'" for a in others[:3])
                more = f" and {len(others) - 3} more" if len(others) > 3 else ""
                message += f" (likewise {shown}{more}, made from this line)"
            yield Hit(span, message, element=element)
