from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from iamlint import iamdata
from iamlint.analysis import is_synthetic_policy
from iamlint.model import Policy, Statement, Unknown, Value
from iamlint.rule import Context, Hit, Rule

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}\Z")
_ACCOUNT = re.compile(r"\d{12}\Z")
_SHAPE = "arn:partition:service:region:account:resource"
# Services whose actions apply to other services' resources (backup jobs,
# tagging, resource groups and shares, Systems Manager automation, ...).
_ANY_RESOURCE_SERVICES = frozenset(
    {
        "arc-zonal-shift",
        "backup",
        "cloudformation",
        "config",
        "ram",
        "resource-groups",
        "ssm",
        "tag",
    }
)
# Renamed services whose actions and ARNs use both names.
_ALIASES = {"codestar-connections": "codeconnections", "codeconnections": "codestar-connections"}


def _open(segment: str) -> bool:
    """A segment whose text is not fully known: a wildcard or a variable."""
    return "*" in segment or "?" in segment or "${" in segment


def pattern_of(value: Value) -> str | None:
    """The resource as a pattern: a known string, or a partly known one with
    `*` for each unknown piece; None when nothing of it is known."""
    v = value.value
    if isinstance(v, str):
        return v
    if isinstance(v, Unknown) and v.parts:
        return "".join(p if isinstance(p, str) else "*" for p in v.parts)
    return None


@lru_cache(maxsize=8192)
def arn_problem(arn: str) -> str | None:
    """Why a resource pattern can match no ARN AWS would evaluate, or None."""
    if arn == "*" or arn.startswith(("*", "${")):
        return None
    if not arn.startswith("arn:"):
        if arn.lower().startswith("arn:"):
            return f"'{arn}' must start with a lowercase 'arn:', AWS rejects the policy"
        return f"'{arn}' is neither '*' nor an ARN ({_SHAPE}), AWS rejects the policy"
    parts = arn.split(":", 5)
    if len(parts) < 6:
        if "*" in arn:
            return None  # a wildcard may stand for the missing segments
        return f"'{arn}' has {len(parts)} of the 6 ARN segments ({_SHAPE})"
    _, partition, service, region, account, resource = parts
    if not _open(partition) and partition not in PARTITIONS:
        return (
            f"'{partition}' in '{arn}' is not an AWS partition (aws, aws-cn, aws-us-gov, ...),"
            " so the ARN matches nothing"
        )
    if not service:
        return f"'{arn}' has no service segment ({_SHAPE})"
    if _open(service):
        return None
    low = service.lower()
    if not iamdata.arn_service_prefixes(low):
        near = iamdata.closest_service(low)
        hint = f": did you mean '{near}'?" if near else ""
        return f"'{service}' in '{arn}' is not an AWS service, so the ARN matches nothing{hint}"
    if region and not _open(region) and not _REGION.match(region):
        return f"'{region}' in '{arn}' is not an AWS Region, so the ARN matches nothing"
    if account and not _open(account) and not _ACCOUNT.match(account) and account != "aws":
        return f"'{account}' in '{arn}' is not a 12-digit account id, so the ARN matches nothing"
    if not resource:
        return f"'{arn}' has an empty resource segment, so the ARN matches nothing"
    return None


def _action_services(statement: Statement) -> frozenset[str] | None:
    """The literal service prefixes of the statement's actions; None when
    they cannot all be known (NotAction, `*`, a wildcard prefix, Unknown)."""
    if statement.not_actions is not None or not statement.actions:
        return None
    out: set[str] = set()
    for action in statement.actions:
        text = action.text
        if text is None:
            return None
        prefix, sep, _ = text.strip().partition(":")
        if not sep or _open(prefix) or not iamdata.is_known_service(prefix):
            return None
        out.add(prefix.lower())
    return frozenset(out)


class InvalidArn(Rule):
    """## What it does
    Finds a Resource or NotResource that is not a well-formed ARN
    (`arn:partition:service:region:account:resource`), or that names a
    service none of the statement's actions belongs to.

    ## Why is this bad?
    IAM rejects a Resource that is neither `*` nor an ARN, and an ARN that
    is well formed but wrong (`arn:aws:s3:us-east-1:123456789012:reports`: S3
    bucket ARNs have no Region or account; a typo in the partition or the
    service) matches no resource, so the statement silently grants or
    denies nothing. A DynamoDB table ARN in a statement of S3 actions is
    also dead: the actions never apply to it. AWS IAM best practice
    "Validate your policies" (IAM Access Analyzer) reports these.

    ## Example
    ```json
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": ["arn:aws:s3:us-east-1:123456789012:reports/*",
                  "arn:aws:dynamodb:us-east-1:123456789012:table/reports"]}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::reports/*"}
    ```

    ## Known limitations
    Policies built from a resource's attributes (Lambda permissions, whose
    resource is the function name) are not checked. Wildcards and
    unresolved pieces (a template parameter, a reference to
    another resource) match anything, so only the known text of an ARN is
    checked; an ARN iamlint cannot read at all is not checked, nor one
    built from a parameter's or variable's default (often an empty string
    meant to be overridden). The service
    check needs every action of the statement to be known: statements with
    NotAction, `*` or a wildcard service prefix are not checked for it, nor
    statements with actions of services that act on other services'
    resources (backup, tag, resource-groups, ram, ssm, config,
    cloudformation, arc-zonal-shift); related services (`ssmmessages` on `ssm` sessions,
    `waf` on `waf-regional`) count as matching. Which ARN services a
    service's actions take comes from iamlint's bundled copy of the Service
    Authorization Reference.

    ## References
    - [Amazon Resource Names (ARNs)](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html)
    - [IAM JSON policy elements: Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
    - [Validate your policies (IAM best practices)](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-validate-policies)
    """

    id = "IAM505"
    name = "invalid-arn"
    severity = "medium"
    tags = ("validity",)

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if is_synthetic_policy(policy.owner_type):
            return  # a Lambda permission's "resource" is the function's name
        services: frozenset[str] | None = None
        services_known = False
        for field, values in (
            ("Resource", statement.resources),
            ("NotResource", statement.not_resources),
        ):
            for value in values or ():
                arn = pattern_of(value)
                if arn is None or value.from_default:
                    continue  # a parameter's default may be overridden at deployment
                arn = arn.strip()
                problem = arn_problem(arn)
                element = f"{statement.index}:{field}:{arn}"
                if problem is not None:
                    yield Hit(value.span, problem, element=element)
                    continue
                if field != "Resource":
                    continue
                if not services_known:
                    services, services_known = _action_services(statement), True
                if not services:
                    continue
                mismatch = _service_mismatch(arn, services)
                if mismatch is not None:
                    yield Hit(value.span, mismatch, element=element)


def _service_mismatch(arn: str, services: frozenset[str]) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) < 6 or _open(parts[2]):
        return None
    service = parts[2].lower()
    owners = iamdata.arn_service_prefixes(service)
    if not owners or owners & services or services & _ANY_RESOURCE_SERVICES:
        return None
    for prefix in services:
        # ssmmessages on ssm sessions, waf on waf-regional, redshift on
        # redshift-serverless: related services share resources.
        if prefix in service or service in prefix or _ALIASES.get(prefix) == service:
            return None
    listed = ", ".join(sorted(services))
    return (
        f"'{arn}' is a resource of {service} but the statement's actions are {listed}:"
        " none of them applies to it"
    )
