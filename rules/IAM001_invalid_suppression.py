from __future__ import annotations

from iamlint.rule import Rule


class InvalidSuppression(Rule):
    """## What it does
    Reports an inline suppression (`# iamlint: ignore[IAM102] reason`, or
    CloudFormation `Metadata: {iamlint: {ignore: [...]}}`) that gives no
    reason, names a rule that does not exist, or suppresses nothing.

    ## Why is this bad?
    A suppression is a security exception. Without a reason, the next
    reviewer cannot tell an accepted risk from a shortcut; one that
    suppresses nothing (the problem was fixed, or it sits on the wrong line)
    stays behind and will silently hide the next real finding on that line.
    This keeps exceptions documented and current, as the AWS IAM best
    practice "Regularly review and remove unused users, roles, permissions,
    policies, and credentials" asks of permissions themselves.

    ## Example
    ```hcl
    # iamlint: ignore[IAM102]
    resource "aws_iam_policy" "deploy" {
    ```

    ## Use instead
    ```hcl
    # iamlint: ignore[IAM102] the deploy role manages every bucket of this account
    resource "aws_iam_policy" "deploy" {
    ```

    ## Known limitations
    A suppression is checked for use only when every rule it names ran, so
    `--select` does not make other suppressions look unused. Raw JSON has
    no comments: use `per-file-ignores` in the configuration instead. This
    rule id is not in the published catalogue's 30; it belongs to the
    IAM0xx family of the tool itself.

    ## References
    - [Suppressions in ruff (`RUF100`, unused noqa)](https://docs.astral.sh/ruff/rules/unused-noqa/)
    - [Regularly review and remove unused permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#remove-credentials)
    """

    id = "IAM001"
    name = "invalid-suppression"
    severity = "low"
    tags = ("tool",)
    formats = ("cloudformation", "terraform")
