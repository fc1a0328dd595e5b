from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from iamlint.model import Identity
from iamlint.rule import Context, Hit, Rule

_DEFAULT = ("role", "user")


class MissingPermissionsBoundary(Rule):
    """## What it does
    Finds an IAM role or user created without a permissions boundary.

    ## Why is this bad?
    A permissions boundary caps what an identity's policies can ever grant,
    whatever is attached later. Teams that let developers or pipelines
    create roles rely on it so that a new role cannot exceed the boundary
    (AWS IAM best practice "Establish permissions guardrails across
    multiple accounts" and "Use permissions boundaries to delegate
    permissions management within an account").

    ## Example
    ```hcl
    resource "aws_iam_role" "worker" {
      name               = "worker"
      assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_role" "worker" {
      name                 = "worker"
      assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
      permissions_boundary = aws_iam_policy.workload_boundary.arn
    }
    ```

    ## Options
    - `require-for` (list of strings, default `["role", "user"]`): the
      kinds of identity that must have a boundary; `["role"]`, `["user"]`,
      or `[]` to require it for neither.

    ## Known limitations
    A boundary given as a variable or reference that could not be resolved
    counts as present. An identity the scanned code only attaches policies
    to (`role = var.role_name`) is declared elsewhere, with its boundary
    if it has one, and is not reported.

    ## References
    - [Permissions boundaries for IAM entities](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)
    - [Use permissions boundaries to delegate permissions management](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-permissions-boundaries)
    """

    id = "IAM303"
    name = "missing-permissions-boundary"
    severity = "medium"
    tags = ("identity", "guardrails")
    formats = ("cloudformation", "terraform")
    options: ClassVar[Mapping[str, object]] = {"require-for": _DEFAULT}

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        if identity.external:
            return
        if identity.permissions_boundary is not None:
            return
        option = ctx.option("require-for", _DEFAULT)
        if isinstance(option, str):
            kinds = [option]
        elif isinstance(option, (list, tuple, set, frozenset)):
            kinds = [str(k) for k in option]
        else:
            kinds = list(_DEFAULT)
        if identity.kind not in {k.strip().lower() for k in kinds}:
            return
        yield Hit(
            identity.span,
            f"IAM {identity.kind} has no permissions boundary to cap what its policies can grant",
            element="permissions_boundary",
        )
