from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from iamlint.analysis import CREDENTIAL_ACTIONS, broad_grants, granted_among
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule


class CredentialsExposure(Rule):
    """## What it does
    Finds an Allow statement that grants, on every resource, an action that
    creates or returns credentials of other identities, databases or
    instances.

    ## Why is this bad?
    These actions mint working credentials: an access key for any IAM user,
    a federation token, a database password or token, an instance's SSH key.
    Granted on `*`, they let the holder become any user or log in to any
    database, and the credentials outlive the session that created them.
    AWS IAM best practices "Apply least-privilege permissions" and "Require
    workloads to use temporary credentials" both argue against it.

    The actions: `iam:CreateAccessKey`, `iam:UpdateAccessKey` (reactivates a
    disabled key), `iam:CreateServiceSpecificCredential`,
    `iam:ResetServiceSpecificCredential`, `sts:GetFederationToken`,
    `redshift:GetClusterCredentials`, `redshift:GetClusterCredentialsWithIAM`,
    `redshift-serverless:GetCredentials`, `rds-db:connect` (any database
    user, including the master user), `lightsail:GetInstanceAccessDetails`,
    `lightsail:DownloadDefaultKeyPair`,
    `lightsail:GetRelationalDatabaseMasterUserPassword`,
    `gamelift:GetInstanceAccess`,
    `emr-containers:GetManagedEndpointSessionCredentials`.

    ## Example
    ```json
    {"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:UpdateAccessKey"],
     "Resource": "*"}
    ```

    ## Use instead
    Let each user manage only their own keys:
    ```json
    {"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:UpdateAccessKey"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}
    ```
    and give workloads roles instead of keys.

    ## Known limitations
    Every resource means `*` or an ARN that covers every resource of the
    action's type (`arn:aws:iam::*:user/*`, `arn:aws:rds-db:*:*:dbuser:*/*`);
    a name, path or prefix (`user/ci-*`, `dbuser:cluster-ABC/*`) scopes it. A statement with a
    condition that narrows who or where is not reported. `*` and whole
    services (`iam:*`) are reported by IAM101 / IAM102 and not repeated.
    Left out on purpose: `ecr:GetAuthorizationToken` and
    `codeartifact:GetAuthorizationToken` (their tokens only carry the
    caller's own registry permissions, and ECR's cannot be scoped),
    `sts:GetSessionToken` and `sts:AssumeRole` (the caller's own
    credentials; trust policies decide who may assume a role),
    `ec2:GetPasswordData` (encrypted with the instance's key pair),
    `cognito-identity:GetCredentialsForIdentity` and `sso:GetRoleCredentials`
    (authorised by the identity pool's or Identity Center's own tokens, not
    by IAM policies). Only identity policies are checked.

    ## References
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    - [Require workloads to use temporary credentials](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-workloads-use-roles)
    - [Allow IAM users to manage their own access keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html)
    """

    id = "IAM108"
    name = "credentials-exposure"
    severity = "high"
    tags = ("least-privilege", "credentials")

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "identity":
            return
        for action, granted in broad_grants(statement, _granted):
            yield Hit(
                action.span,
                f"{granted} on every resource: hands out credentials of any user,"
                " database or instance",
                element=f"{statement.index}:Action:{action.value}",
            )


@lru_cache(maxsize=65536)
def _granted(pattern: str) -> tuple[str, ...]:
    return granted_among(pattern, CREDENTIAL_ACTIONS)
