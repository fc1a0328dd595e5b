from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from functools import lru_cache

from iamlint import iamdata
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule


def _services(statement: Statement) -> tuple[str, ...] | None:
    """The service prefixes a statement's condition keys may come from.

    `("*",)` when the statement is about every service (`*`, NotAction);
    None when an action cannot be read (then only global keys are known).
    """
    if statement.not_actions is not None:
        return ("*",)
    prefixes: set[str] = set()
    for action in statement.actions or ():
        text = action.text
        if text is None:
            return None
        prefix, sep, _ = text.strip().partition(":")
        if not sep:
            return ("*",) if text.strip() == "*" else None
        prefixes.add(prefix.lower())
    return tuple(sorted(prefixes))


@lru_cache(maxsize=4096)
def _known(key: str, services: tuple[str, ...]) -> bool:
    if iamdata.is_known_condition_key(key, services):
        return True
    # Keys an action lists although its service does not (ssm:SendCommand
    # with ec2 keys, for instance).
    for prefix in services:
        for action in iamdata.service_actions(prefix) if "*" not in prefix else ():
            info = iamdata.lookup(action)
            if info is not None and any(k.lower() == key.lower() for k in info.condition_keys):
                return True
    return False


@lru_cache(maxsize=1024)
def _closest(key: str, services: tuple[str, ...]) -> str | None:
    own = key.partition(":")[0].lower()
    candidates = set(iamdata.global_condition_keys())
    for prefix in {*services, own}:
        if "*" not in prefix and "?" not in prefix:
            candidates |= iamdata.service_condition_keys(prefix)
    by_lower = {c.lower(): c for c in candidates}
    # Compare the name part of placeholder keys (aws:RequestTag/Owner).
    head = key.lower().partition("/")[0]
    heads: dict[str, str] = {}
    for low, real in by_lower.items():
        heads.setdefault(low.partition("/")[0], real)
    found = get_close_matches(head, list(heads), n=1, cutoff=0.75)
    if not found:
        return None
    real = heads[found[0]]
    if "/" in key and "/" in real:
        return real.partition("/")[0] + "/" + key.partition("/")[2]
    return real


class UnknownConditionKey(Rule):
    """## What it does
    Finds a condition key that is neither a global key (`aws:...`) nor
    defined by a service the statement's actions belong to, and suggests the
    closest real key.

    ## Why is this bad?
    A condition on a key that is never in the request context is not
    evaluated the way its author thinks: with a positive operator
    (`StringEquals`) the condition never matches, so an Allow grants nothing
    or a Deny never applies, and with a negated operator it always matches.
    A typo (`aws:SourceIP` is fine, `aws:SoruceIp` is not) quietly turns a
    guardrail off. AWS IAM best practice "Validate your policies" (IAM
    Access Analyzer policy validation) reports unknown keys.

    ## Example
    ```json
    {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::audit-logs/*",
     "Condition": {"StringNotEquals": {"aws:PrincipalOrgId": "o-a1b2c3d4e5",
                                       "s3:x-amz-acl-grant": "private"}}}
    ```

    ## Use instead
    ```json
    {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::audit-logs/*",
     "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5",
                                       "s3:x-amz-acl": "private"}}}
    ```

    ## Known limitations
    Keys are matched without regard to case, as AWS does, and with
    placeholders (`aws:RequestTag/${TagKey}` covers `aws:RequestTag/Team`).
    Keys of web-identity and SAML providers (`token.actions.githubusercontent.com:sub`,
    `accounts.google.com:aud`, `SAML:aud`) are accepted. A key defined by
    another service than the statement's actions is reported unless one of
    the statement's actions lists it. When an action cannot be resolved
    (a template parameter), only keys nobody defines could be reported, so
    nothing but global keys is checked. A key is checked against
    iamlint's bundled copy of the Service Authorization Reference.

    ## References
    - [AWS global condition context keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    - [Service Authorization Reference: condition keys per service](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    - [Validate your policies (IAM best practices)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-validate-policies)
    """

    id = "IAM503"
    name = "unknown-condition-key"
    severity = "medium"
    tags = ("validity",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if not statement.conditions:
            return
        services = _services(statement)
        for condition in statement.conditions:
            key = condition.key.text
            if key is None:
                continue
            key = key.strip()
            if services is None:
                if iamdata.is_known_condition_key(key, ()):
                    continue
                # The actions are unknown: only a key no service defines is wrong.
                if _known(key, ("*",)):
                    continue
                where = "in any service"
            elif _known(key, services):
                continue
            else:
                where = (
                    "for " + ", ".join(services)
                    if services and services != ("*",)
                    else "in any service"
                )
            near = _closest(key, services or ())
            hint = f": did you mean '{near}'?" if near and near.lower() != key.lower() else ""
            yield Hit(
                condition.key.span,
                f"condition key '{key}' is not a global key nor defined {where},"
                f" so the condition never sees it in the request{hint}",
                element=f"{statement.index}:Condition:{key}",
            )
