from __future__ import annotations

from collections.abc import Iterable

from iamlint.model import Document
from iamlint.rule import Context, Hit, Rule


class HardcodedAwsCredentials(Rule):
    """## What it does
    Finds an AWS access key id (`AKIA...`, `ASIA...`) or secret access key
    written into the source.

    ## Why is this bad?
    Anything committed to a repository is read by everyone with access to
    it, kept in its history forever, and scanned by attackers within
    minutes when it is public. A key in code is a leaked key. AWS IAM best
    practice: "Require workloads to use temporary credentials with IAM
    roles to access AWS".

    ## Example
    ```hcl
    provider "aws" {
      access_key = "AKIA2E0A8F3B244C9986"
      secret_key = "..."
    }
    ```

    ## Use instead
    Let the SDK find credentials (environment, profile, SSO, instance or
    task role, OIDC in CI), and deactivate and rotate the leaked key now:
    deleting it from the file does not remove it from history.

    ## Known limitations
    A 40-character secret is only recognised when assigned to a name that
    says so (`aws_secret_access_key`, `SecretAccessKey`, `secret_key`, ...),
    not wherever base64 text appears. AWS's documented example keys
    (`AKIAIOSFODNN7EXAMPLE`) and placeholders (`AKIAXXXXXXXXXXXXXXXX`) are
    not reported. The message shows a redacted form, never the secret.

    ## References
    - [Require workloads to use temporary credentials](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-workloads-use-roles)
    - [What to do if you inadvertently expose an AWS access key](https://aws.amazon.com/blogs/security/what-to-do-if-you-inadvertently-expose-an-aws-access-key/)
    - [Understanding unique ID prefixes](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids)
    """

    id = "IAM402"
    name = "hardcoded-aws-credentials"
    severity = "critical"
    tags = ("credentials", "secrets")

    def check_document(self, document: Document, ctx: Context) -> Iterable[Hit]:
        for cred in document.credentials:
            what = "access key id" if cred.kind == "access-key-id" else "secret access key"
            yield Hit(
                cred.span,
                f"hard-coded AWS {what} {cred.redacted}: remove it and rotate the key",
                element=f"{cred.kind}:{cred.redacted}",
            )
