from __future__ import annotations

from collections.abc import Iterable, Iterator

from iamlint.model import Document, PasswordPolicy, Value
from iamlint.rule import Context, Hit, Rule

MIN_LENGTH = 14
MIN_REUSE = 24
MAX_AGE = 90
# (field, how a person reads it, Terraform name) for the required booleans.
_REQUIRED = (
    ("require_uppercase", "upper-case letters", "require_uppercase_characters"),
    ("require_lowercase", "lower-case letters", "require_lowercase_characters"),
    ("require_numbers", "numbers", "require_numbers"),
    ("require_symbols", "symbols", "require_symbols"),
)


class WeakPasswordPolicy(Rule):
    """## What it does
    Finds an account password policy weaker than the CIS AWS Foundations
    Benchmark asks. That is: minimum length 14, reuse prevention of 24
    passwords, maximum age 90 days, and upper-case letters, lower-case
    letters, numbers and symbols required.

    ## Why is this bad?
    IAM user passwords are guessed, sprayed and reused from other breaches.
    These are the CIS AWS Foundations Benchmark's settings, and AWS IAM
    best practice "Configure a strong password policy for your users" asks
    for them. AWS's default when a setting is left out is weak (8
    characters, no reuse prevention, no expiry).

    ## Example
    ```hcl
    resource "aws_iam_account_password_policy" "this" {
      minimum_password_length = 8
      require_symbols         = false
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_account_password_policy" "this" {
      minimum_password_length        = 14
      password_reuse_prevention      = 24
      max_password_age               = 90
      require_uppercase_characters   = true
      require_lowercase_characters   = true
      require_numbers                = true
      require_symbols                = true
      allow_users_to_change_password = true
    }
    ```

    ## Known limitations
    One finding per weak setting, on its line, and one on the resource
    listing every setting left out (AWS's defaults for them are weak).
    Settings given by a variable that could not be resolved are not
    reported. CloudFormation has no password policy
    resource, so only Terraform is checked. Better still: no IAM users with
    passwords at all (IAM Identity Center).

    ## References
    - [Set an account password policy for IAM users](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html)
    - [CIS AWS Foundations Benchmark controls: IAM.15 and IAM.16](https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html)
    """

    id = "IAM403"
    name = "weak-password-policy"
    severity = "medium"
    tags = ("credentials", "account")
    formats = ("terraform",)

    def check_document(self, document: Document, ctx: Context) -> Iterable[Hit]:
        for policy in document.password_policies:
            missing: list[str] = []
            for setting, value, message in _weak_settings(policy):
                if value is None:
                    missing.append(message)
                    continue
                yield Hit(
                    value.span,
                    message,
                    element=f"password-policy:{setting}",
                    address=policy.address,
                )
            if missing:
                yield Hit(
                    policy.span,
                    "password policy does not set " + "; ".join(missing),
                    element="password-policy:missing",
                    address=policy.address,
                )


def _weak_settings(policy: PasswordPolicy) -> Iterator[tuple[str, Value | None, str]]:
    """(setting, its value or None when missing, what is wrong).

    For a missing setting the message is what it should be, for the one
    finding that lists them all."""
    length = _number(policy.minimum_length)
    if policy.minimum_length is None:
        yield "minimum_length", None, f"minimum length {MIN_LENGTH} (AWS uses 8)"
    elif length is not None and length < MIN_LENGTH:
        yield (
            "minimum_length",
            policy.minimum_length,
            f"minimum password length {length} is below {MIN_LENGTH}",
        )
    reuse = _number(policy.reuse_prevention)
    if policy.reuse_prevention is None:
        yield "reuse_prevention", None, f"reuse prevention of the last {MIN_REUSE} passwords"
    elif reuse is not None and reuse < MIN_REUSE:
        yield (
            "reuse_prevention",
            policy.reuse_prevention,
            f"password reuse prevention {reuse} is below {MIN_REUSE}",
        )
    age = _number(policy.max_age)
    if policy.max_age is None:
        yield "max_age", None, f"a maximum age of {MAX_AGE} days (passwords never expire)"
    elif age is not None and (age == 0 or age > MAX_AGE):
        shown = "passwords never expire" if age == 0 else f"maximum password age {age} days"
        yield "max_age", policy.max_age, f"{shown}: require a change within {MAX_AGE} days"
    for field, words, _ in _REQUIRED:
        value: Value | None = getattr(policy, field)
        if value is None:
            yield field, None, f"required {words}"
        elif _flag(value) is False:
            yield field, value, f"password policy does not require {words}"


def _number(value: Value | None) -> int | None:
    """The setting as a number, None when unset or unknown."""
    if value is None:
        return None
    v = value.value
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _flag(value: Value) -> bool | None:
    """The setting as a boolean, None when unknown."""
    v = value.value
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None
