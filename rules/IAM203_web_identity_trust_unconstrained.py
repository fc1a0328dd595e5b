from __future__ import annotations

from collections.abc import Iterable

from iamlint.analysis import restricts, text
from iamlint.model import Condition, Policy, Statement, Unknown, Value
from iamlint.rule import Context, Hit, Rule

# Claims that name the audience (the app or client the token was issued to);
# every other claim of the provider but the token's own metadata narrows the
# subject.
_AUDIENCE_CLAIMS = frozenset({"aud", "azp", "oaud", "app_id"})
_METADATA_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "jti"})
_WEB_IDENTITY = "sts:assumerolewithwebidentity"
_ANY_SUBJECT_CHARS = frozenset("*?/:")
_COGNITO = "cognito-identity.amazonaws.com"
# Social providers: the audience (your app id) is what names your tenant.
_SOCIAL = frozenset({"accounts.google.com", "graph.facebook.com", "www.amazon.com"})
# Issuers of one CI organization or workspace, whose audience is its id.
_PER_ORG_ISSUERS = ("oidc.circleci.com/org/", "api.bitbucket.org/")
_SUBJECT_PREFIXES = ("repo:", "system:serviceaccount:", "project_path:", "organization:")


class WebIdentityTrustUnconstrained(Rule):
    """## What it does
    Finds a role trust policy for an OpenID Connect provider that does not
    limit which repository, service account or app may assume the role.
    It covers GitHub Actions, EKS service accounts, GitLab, Cognito
    identity pools, Google and any other OIDC provider: a trust without the
    condition that names your tenant, or whose subject condition matches
    any repository or service account.

    ## Why is this bad?
    Anyone who can get a token from the provider can assume the role. For
    GitHub Actions that is every workflow of every repository on GitHub;
    for a Cognito identity pool, every identity of every pool in AWS; for
    EKS, every pod of the cluster. AWS IAM best practice "Require human
    users to use federation" relies on these conditions (and AWS now
    refuses GitHub trusts without a subject).

    ## Example
    ```json
    {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
     "Principal": {"Federated":
       "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
     "Condition": {"StringLike": {
       "token.actions.githubusercontent.com:sub": "repo:*"}}}
    ```

    ## Use instead
    ```json
    {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
     "Principal": {"Federated":
       "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
     "Condition": {
       "StringEquals": {
         "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
         "token.actions.githubusercontent.com:sub": "repo:acme/deploy:ref:refs/heads/main"}}}
    ```
    For Cognito, the audience is `cognito-identity.amazonaws.com:aud` (the
    identity pool id) and the subject `cognito-identity.amazonaws.com:amr`.

    ## Known limitations
    What must be named depends on the provider. For GitHub, GitLab, EKS
    and other OIDC providers, the subject (`sub` or another claim of the
    provider, under an operator that is not negated): it names your
    repository or service account, so a missing audience alone is not
    reported (add `:aud` anyway, as AWS recommends). For Cognito, both the
    audience (`cognito-identity.amazonaws.com:aud`, your identity pool) and
    `:amr`. For Google, Facebook and Login with Amazon, the audience
    (`aud`, `azp`, `oaud` or `app_id`), which is your app; for CircleCI and
    Bitbucket Pipelines, whose issuer and audience name your organization
    or workspace, the audience. A subject
    matches "anything" when, under a Like operator, it is only wildcards
    after `repo:` or `system:serviceaccount:`, or when its GitHub owner is
    a wildcard (`repo:*/infra:*`: anyone can create such a repository). A
    whole organization (`repo:acme/*`) is taken as intended and not
    reported. Statements whose condition keys could not be resolved are
    not reported. SAML trusts are IAM204's.

    ## References
    - [Configuring a role for GitHub OIDC identity provider](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub)
    - [Available keys for AWS web identity federation](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif)
    - [IAM roles for service accounts (EKS)](https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html)
    - [Cognito identity pools: role trust and permissions](https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html)
    """

    id = "IAM203"
    name = "web-identity-trust-unconstrained"
    severity = "critical"
    tags = ("trust", "federation")

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "trust" or not statement.is_allow or not statement.principals:
            return
        web_identity = any(
            (t := text(a)) is not None and t.strip().lower() == _WEB_IDENTITY
            for a in statement.actions or ()
        )
        for principal in statement.principals:
            if principal.kind != "Federated":
                continue
            provider = _oidc_provider(principal.value, web_identity)
            if provider is None:
                continue
            hit = _check(statement, provider or None, principal.value)
            if hit is not None:
                yield hit


def _oidc_provider(value: Value, web_identity: bool) -> str | None:
    """The provider host (lower case), "" for an OIDC provider that could not
    be resolved, None when the principal is not OIDC."""
    t = text(value)
    if isinstance(value.value, Unknown):
        # `arn:${Partition}:iam::${Account}:oidc-provider/token.actions...`
        parts = value.value.parts
        tail = parts[-1].lower() if parts and isinstance(parts[-1], str) else ""
        if ":saml-provider/" in tail:
            return None
        _, sep, host = tail.partition(":oidc-provider/")
        if sep and host:
            return host
        return "" if web_identity else None
    if t is None:
        return None
    low = t.strip().lower()
    if ":saml-provider/" in low:
        return None
    _, sep, host = low.partition(":oidc-provider/")
    return host if sep else low


def _claim(cond: Condition) -> tuple[str | None, str] | None:
    """(provider, claim) of a condition key, provider None when unresolved;
    None when the key says nothing usable."""
    key = cond.key.value
    if isinstance(key, str):
        prefix, sep, claim = key.strip().lower().rpartition(":")
        return (prefix, claim) if sep else None
    if isinstance(key, Unknown) and key.parts and isinstance(key.parts[-1], str):
        _, sep, claim = key.parts[-1].lower().rpartition(":")
        return (None, claim) if sep else None
    return None


def _check(statement: Statement, provider: str | None, where: Value) -> Hit | None:
    audience = subject = False
    for cond in statement.conditions:
        key = cond.key.value
        if key is None or (isinstance(key, Unknown) and not key.parts):
            return None  # a key we cannot read may be anything
        claim = _claim(cond)
        if claim is None:
            continue
        prefix, name = claim
        if prefix is not None and provider is not None and prefix != provider:
            continue
        if prefix is not None and provider is None and "." not in prefix:
            continue  # aws:..., sts:...: not a claim of the provider
        op = (text(cond.operator) or "").lower()
        if "not" in op or op.startswith("null") or not restricts(cond):
            continue
        if name in _AUDIENCE_CLAIMS:
            audience = True
            continue
        if name in _METADATA_CLAIMS:
            continue
        if "like" in op:
            for v in cond.values:
                t = text(v)
                if t is not None and _matches_any_subject(t):
                    return Hit(
                        v.span,
                        f"web identity trust's subject {t!r} matches any repository or"
                        " service account: anyone the provider issues a token to can assume"
                        " this role",
                        element=f"{statement.index}:Condition:{name}:{t}",
                    )
        subject = True
    if provider == _COGNITO:
        needs_audience = needs_subject = True  # the pool id, and amr
    elif provider in _SOCIAL or (provider or "").startswith(_PER_ORG_ISSUERS):
        needs_audience, needs_subject = True, False  # the app or organization id is yours
    else:
        needs_audience, needs_subject = False, True  # the subject names your repo
    missing_audience = needs_audience and not audience
    missing_subject = needs_subject and not subject
    if not missing_audience and not missing_subject:
        return None
    shown = provider or "the OIDC provider"
    if missing_audience and missing_subject:
        message = (
            f"web identity trust on {shown} has no audience or subject condition: any token"
            " the provider issues can assume this role"
        )
    elif missing_subject:
        what = (
            "identity (guest ones too)"
            if provider == _COGNITO
            else "repository, service account or user"
        )
        message = (
            f"web identity trust on {shown} has no subject condition: any {what} of the"
            " provider can assume this role"
        )
    else:
        message = (
            f"web identity trust on {shown} has no audience condition: tokens issued to"
            " any other app or identity pool can assume this role"
        )
    return Hit(
        where.span,
        message,
        element=f"{statement.index}:Federated:{provider or '?'}",
    )


def _matches_any_subject(value: str) -> bool:
    v = value.strip()
    low = v.lower()
    for prefix in _SUBJECT_PREFIXES:
        if low.startswith(prefix):
            rest = v[len(prefix) :]
            if prefix == "repo:":
                owner = rest.split("/", 1)[0]
                if "*" in owner or "?" in owner:
                    return True
            return set(rest) <= _ANY_SUBJECT_CHARS
    return set(v) <= _ANY_SUBJECT_CHARS
