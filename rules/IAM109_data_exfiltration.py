from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from iamlint.analysis import DATA_READ_ACTIONS, broad_grants, granted_among
from iamlint.model import Policy, Statement
from iamlint.rule import Context, Hit, Rule


class DataExfiltration(Rule):
    """## What it does
    Finds an Allow statement that grants, on every resource, an action that
    reads secrets or stored data: S3 objects, Secrets Manager secrets, SSM
    parameters, KMS decryption or DynamoDB items.

    ## Why is this bad?
    A workload that reads one bucket, one secret or one table rarely needs
    to read them all. With `*`, a leaked credential or a compromised
    function reads every object, every secret and every parameter the
    account holds, and `kms:Decrypt` on `*` opens every key whose key policy
    defers to IAM. Least privilege (AWS IAM best practice "Apply
    least-privilege permissions") means naming the data a workload reads.

    The actions: `s3:GetObject`, `s3:GetObjectVersion`,
    `secretsmanager:GetSecretValue`, `secretsmanager:BatchGetSecretValue`,
    `ssm:GetParameter`, `ssm:GetParameters`, `ssm:GetParametersByPath`,
    `ssm:GetParameterHistory`, `kms:Decrypt`, `dynamodb:GetItem`,
    `dynamodb:BatchGetItem`, `dynamodb:Query`, `dynamodb:Scan`,
    `dynamodb:PartiQLSelect`, `dynamodb:ExportTableToPointInTime`.

    ## Example
    ```json
    {"Effect": "Allow",
     "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
     "Resource": "*"}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db-*"},
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}}
    ```

    ## Known limitations
    Every resource means `*` or an ARN that covers every resource of the
    action's type (`arn:aws:s3:::*/*`, `arn:aws:ssm:*:*:parameter/*`,
    `arn:aws:secretsmanager:*:*:secret:*`); a name, path or prefix scopes
    it. A statement with a condition that narrows who or where
    (`kms:ViaService`, `aws:ResourceTag/...`, `s3:ExistingObjectTag/...`)
    is not reported; one on `aws:SecureTransport` or `aws:RequestedRegion`
    alone is. Patterns are expanded (`s3:Get*` grants `s3:GetObject`), so
    AWS's ReadOnlyAccess is reported: it reads every object in the
    account (ViewOnlyAccess does not). `*` and whole services (`s3:*`) are
    reported by IAM101 / IAM102 and not repeated. Resource policies (a KMS
    key policy's `*` is the key itself) and permissions boundaries are not
    checked.

    ## References
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    - [kms:ViaService](https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)
    - [Secrets Manager: identity-based policies](https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html)
    """

    id = "IAM109"
    name = "data-exfiltration"
    severity = "medium"
    tags = ("least-privilege", "data-protection")

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "identity":
            return
        for action, granted in broad_grants(statement, _granted):
            yield Hit(
                action.span,
                f"{granted} on every resource: reads any secret or data in the account",
                element=f"{statement.index}:Action:{action.value}",
            )


@lru_cache(maxsize=65536)
def _granted(pattern: str) -> tuple[str, ...]:
    return granted_among(pattern, DATA_READ_ACTIONS)
