from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from iamlint.analysis import is_synthetic_policy
from iamlint.model import Policy, Unknown, Value
from iamlint.rule import Context, Hit, Rule

CURRENT = "2012-10-17"
OLD = "2008-10-17"

# `${aws:username}`, `${aws:PrincipalTag/team}`, `${s3:prefix}`, and the
# escapes `${*}`, `${?}`, `${$}`.
_VARIABLE = re.compile(r"\$\{(?:[A-Za-z0-9.\-]+:[^}\s]+|\*|\?|\$)\}")


# Resources whose policy is one statement (or attributes) with no place for
# a Version: EventBridge's bus policy takes a Statement, not a document.
_STATEMENT_ONLY_OWNERS = frozenset(
    {"AWS::Events::EventBusPolicy", "aws_cloudwatch_event_permission"}
)


def is_synthetic(policy: Policy) -> bool:
    """A policy no author wrote as a whole document (a Lambda permission's)."""
    return is_synthetic_policy(policy.owner_type) or policy.owner_type in _STATEMENT_ONLY_OWNERS


def _texts(value: Value) -> Iterator[str]:
    if isinstance(value.value, str):
        yield value.value
    elif isinstance(value.value, Unknown):
        for part in value.value.parts:
            if isinstance(part, str):
                yield part


def first_variable(policy: Policy) -> str | None:
    """The first policy variable (`${aws:username}`) the policy uses, if any."""
    for statement in policy.statements:
        values: list[Value] = [*(statement.resources or ()), *(statement.not_resources or ())]
        for condition in statement.conditions:
            values.extend(condition.values)
        for principal in (*(statement.principals or ()), *(statement.not_principals or ())):
            values.append(principal.value)
        for value in values:
            for text in _texts(value):
                if "${" in text:
                    m = _VARIABLE.search(text)
                    if m is not None:
                        return m.group(0)
    return None


class PolicyVersion(Rule):
    """## What it does
    Finds a policy without a `Version`, or with the old `2008-10-17`
    version, or with a version AWS does not define.

    ## Why is this bad?
    Without a Version, AWS applies `2008-10-17`, the language before policy
    variables: `${aws:username}` in a Resource or Condition is then plain
    text, so a statement meant for "the caller's own folder" matches a
    folder literally named `${aws:username}` and grants nothing (or a Deny
    protects nothing). Newer features (`${aws:PrincipalTag/...}`, some
    condition operators) also rely on `2012-10-17`. Any other value makes AWS
    reject the policy. AWS IAM best practice "Validate your policies" flags
    a missing or old Version; AWS's guidance is to always write
    `"Version": "2012-10-17"`.

    ## Example
    ```json
    {"Statement": [{"Effect": "Allow", "Action": "s3:*",
                    "Resource": "arn:aws:s3:::home/${aws:username}/*"}]}
    ```

    ## Use instead
    ```json
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "s3:*",
                    "Resource": "arn:aws:s3:::home/${aws:username}/*"}]}
    ```

    ## Known limitations
    A missing Version is reported on the first line of the policy, an old
    or invalid one on the Version itself; the message says when the policy
    uses variables that then do not resolve. Policies a loader builds from
    a resource's attributes rather than from a written document (a Lambda
    permission: `AWS::Lambda::Permission`, `aws_lambda_permission`, and
    their layer-version counterparts) and single statements
    (`AWS::Events::EventBusPolicy`, `aws_cloudwatch_event_permission`) have
    no Version to write: told apart by the policy's owner type, they are
    never reported. Terraform's
    `aws_iam_policy_document` writes `2012-10-17` itself. A Version iamlint cannot
    resolve (a template parameter) is not checked.

    ## References
    - [IAM JSON policy elements: Version](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html)
    - [IAM policy elements: Variables and tags](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)
    - [Validate your policies (IAM best practices)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-validate-policies)
    """

    id = "IAM504"
    name = "policy-version"
    severity = "medium"
    tags = ("validity",)

    def check_policy(self, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if is_synthetic(policy):
            return
        version = policy.version
        if version is None:
            variable = first_variable(policy)
            effect = (
                f": {variable} and other policy variables are literal text under it"
                if variable
                else ""
            )
            yield Hit(
                policy.span,
                f"the policy has no Version, so AWS applies {OLD}{effect}; add"
                f' "Version": "{CURRENT}"',
                element="Version:missing",
            )
            return
        text = version.text
        if text is None and version.known and str(version.value) in (CURRENT, OLD):
            text = str(version.value)  # an unquoted YAML date, a string to CloudFormation
        if text is None:
            if version.known:  # a number or boolean, not a string
                yield Hit(
                    version.span,
                    f"Version {version.value!r} is not a policy version, AWS rejects the policy;"
                    f' use "{CURRENT}"',
                    element=f"Version:{version.value!r}",
                )
            return
        if text == CURRENT:
            return
        if text == OLD:
            variable = first_variable(policy)
            effect = (
                f", in which {variable} and other policy variables are literal text"
                if variable
                else ""
            )
            yield Hit(
                version.span,
                f"Version {OLD} is the old policy language{effect}; use {CURRENT}",
                element=f"Version:{OLD}",
            )
            return
        yield Hit(
            version.span,
            f"Version '{text}' is not a policy version, AWS rejects the policy; use {CURRENT}",
            element=f"Version:{text}",
        )
