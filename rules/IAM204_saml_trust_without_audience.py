from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import condition_keys, has_unknown_condition_key, text
from iamlint.model import Policy, Statement, Unknown
from iamlint.rule import Context, Hit, Rule

_SAML = "sts:assumerolewithsaml"


class SamlTrustWithoutAudience(Rule):
    """## What it does
    Finds a role trust policy for a SAML identity provider with no
    `SAML:aud` condition.

    ## Why is this bad?
    `SAML:aud` is the URL the SAML assertion was issued for (the AWS
    sign-in endpoint, `https://signin.aws.amazon.com/saml`). Without it,
    an assertion your identity provider issued for another purpose or
    endpoint can be replayed to assume the role. The AWS console adds this
    condition to every SAML role it creates; AWS IAM best practice
    "Require human users to use federation with an identity provider"
    assumes it is there.

    ## Example
    ```json
    {"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
     "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"}}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
     "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"},
     "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}
    ```

    ## Known limitations
    A provider is SAML when its ARN names a `saml-provider`, or, when the
    ARN could not be resolved, when the statement's action is
    sts:AssumeRoleWithSAML. Statements whose condition keys could not be
    resolved are not reported.

    ## References
    - [Creating a role for SAML 2.0 federation](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html)
    - [Available keys for SAML-based AWS STS federation](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml)
    - [Use federation with an identity provider](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-users-federation-idp)
    """

    id = "IAM204"
    name = "saml-trust-without-audience"
    severity = "medium"
    tags = ("trust", "federation")

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "trust" or not statement.is_allow or not statement.principals:
            return
        if has_unknown_condition_key(statement) or "saml:aud" in condition_keys(statement):
            return
        saml_action = any(
            (t := text(a)) is not None and t.strip().lower() == _SAML
            for a in statement.actions or ()
        )
        for principal in statement.principals:
            if principal.kind != "Federated":
                continue
            t = text(principal.value)
            if t is not None:
                is_saml = ":saml-provider/" in t.lower()
            else:
                is_saml = saml_action and isinstance(principal.value.value, Unknown)
            if is_saml:
                yield Hit(
                    principal.value.span,
                    "SAML trust has no SAML:aud condition: assertions issued for other"
                    " endpoints can assume this role",
                    element=f"{statement.index}:Federated:{t or '?'}",
                )
