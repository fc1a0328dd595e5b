"""Rule logic of IAM2xx-IAM4xx on model objects built by hand: options,
workspace-wide settings and edge cases the fixtures cannot express."""

from __future__ import annotations

from iamlint.rules.IAM202_cross_account_trust_without_external_id import (
    CrossAccountTrustWithoutExternalId,
)
from iamlint.rules.IAM203_web_identity_trust_unconstrained import WebIdentityTrustUnconstrained
from iamlint.rules.IAM206_service_principal_without_source import ServicePrincipalWithoutSource
from iamlint.rules.IAM207_mfa_not_required import MfaNotRequired
from iamlint.rules.IAM303_missing_permissions_boundary import MissingPermissionsBoundary
from iamlint.rules.IAM304_admin_managed_policy_attached import AdminManagedPolicyAttached
from iamlint.rules.IAM305_full_access_managed_policy_attached import (
    FullAccessManagedPolicyAttached,
)
from iamlint.rules.IAM307_user_without_group import UserWithoutGroup
from iamlint.rules.IAM403_weak_password_policy import WeakPasswordPolicy

from iamlint.analysis import (
    action_with_access_level,
    aws_managed_policy_name,
    condition_keys,
    principal_account,
)
from iamlint.loaders.credentials import find_credentials, redact_key_id, redact_secret
from iamlint.loaders.nodes import TextLocator
from iamlint.model import (
    PARTITION,
    THIS_ACCOUNT,
    Condition,
    Document,
    Identity,
    PasswordPolicy,
    Policy,
    PolicyKind,
    PolicyRef,
    Principal,
    PrincipalKind,
    Span,
    Statement,
    Unknown,
    Value,
    Workspace,
)
from iamlint.rule import Context, Hit, Rule

_line = 0


def span() -> Span:
    global _line
    _line += 1
    return Span("t.json", _line, 1, _line, 2)


def v(value: str | int | bool | Unknown) -> Value:
    return Value(value, span())


def principal(kind: PrincipalKind, value: str | Unknown) -> Principal:
    return Principal(kind, v(value))


def cond(operator: str, key: str | Unknown, *values: str) -> Condition:
    return Condition(v(operator), v(key), tuple(v(x) for x in values), span())


def stmt(
    *,
    effect: str = "Allow",
    actions: tuple[str, ...] | None = ("sts:AssumeRole",),
    not_actions: tuple[str, ...] | None = None,
    principals: tuple[Principal, ...] | None = None,
    conditions: tuple[Condition, ...] = (),
    resources: tuple[str, ...] | None = None,
) -> Statement:
    return Statement(
        span(),
        0,
        effect=v(effect),
        actions=tuple(v(a) for a in actions) if actions is not None else None,
        not_actions=tuple(v(a) for a in not_actions) if not_actions is not None else None,
        resources=tuple(v(r) for r in resources) if resources is not None else None,
        principals=principals,
        conditions=conditions,
    )


def policy(kind: PolicyKind, *statements: Statement, address: str = "p") -> Policy:
    return Policy(kind, "json", address, span(), statements=statements)


def statement_hits(
    rule: Rule, s: Statement, kind: PolicyKind = "trust", options: dict[str, object] | None = None
) -> list[Hit]:
    ctx = Context(Workspace(), options or {})
    return list(rule.check_statement(s, policy(kind, s), ctx))


def identity_hits(
    rule: Rule,
    identity: Identity,
    workspace: Workspace | None = None,
    options: dict[str, object] | None = None,
) -> list[Hit]:
    ctx = Context(workspace or Workspace(), options or {})
    return list(rule.check_identity(identity, ctx))


# -- helpers ---------------------------------------------------------------


def test_principal_account_reads_ids_arns_and_this_account() -> None:
    assert principal_account(v("123456789012")) == "123456789012"
    assert principal_account(v("arn:aws:iam::123456789012:role/x")) == "123456789012"
    assert principal_account(v("arn:aws-cn:sts::123456789012:assumed-role/r/s")) == "123456789012"
    assert principal_account(v("*")) is None
    assert principal_account(v(Unknown("var.account"))) is None
    assert principal_account(v(Unknown("AWS::AccountId", kind=THIS_ACCOUNT))) == THIS_ACCOUNT
    sub = Unknown(
        "!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
        ("arn:", Unknown("p", kind=PARTITION), ":iam::", Unknown("a", kind=THIS_ACCOUNT), ":root"),
    )
    assert principal_account(v(sub)) == THIS_ACCOUNT
    other = Unknown("x", ("arn:aws:iam::", Unknown("var.account"), ":root"))
    assert principal_account(v(other)) is None


def test_aws_managed_policy_name_any_partition_and_path() -> None:
    assert aws_managed_policy_name(v("arn:aws-us-gov:iam::aws:policy/IAMFullAccess")) == (
        "IAMFullAccess"
    )
    assert aws_managed_policy_name(v("arn:aws:iam::aws:policy/job-function/Billing")) == "Billing"
    assert (
        aws_managed_policy_name(v("arn:aws:iam::123456789012:policy/AdministratorAccess")) is None
    )
    sub = Unknown("s", ("arn:", Unknown("p", kind=PARTITION), ":iam::aws:policy/ReadOnlyAccess"))
    assert aws_managed_policy_name(v(sub)) == "ReadOnlyAccess"
    assert aws_managed_policy_name(v(Unknown("var.policy_arn"))) is None


def test_condition_keys_skips_negated_and_wildcard_conditions() -> None:
    s = stmt(
        conditions=(
            cond("StringNotEquals", "sts:ExternalId", "x"),
            cond("ArnLike", "aws:SourceArn", "*"),
            cond("StringEquals", "aws:PrincipalOrgID", "o-1"),
        )
    )
    assert condition_keys(s) == frozenset({"aws:principalorgid"})
    assert len(condition_keys(s, restricting=False)) == 3


def test_action_with_access_level_sees_wildcards_and_not_action() -> None:
    level = "Permissions management"
    assert action_with_access_level(stmt(actions=("IAM:attach*",)), level) is not None
    assert action_with_access_level(stmt(actions=("s3:Get*", "ec2:Describe*")), level) is None
    leaves = stmt(actions=None, not_actions=("s3:*",))
    assert action_with_access_level(leaves, level) is not None
    everything = stmt(actions=None, not_actions=("*",))
    assert action_with_access_level(everything, level) is None
    unknown = stmt(actions=None, not_actions=("s3:*",))
    unknown = Statement(unknown.span, 0, effect=unknown.effect, not_actions=(v(Unknown("x")),))
    assert action_with_access_level(unknown, level) is None


# -- IAM202 ----------------------------------------------------------------


def test_iam202_trusted_accounts_option_and_workspace_own_accounts() -> None:
    s = stmt(principals=(principal("AWS", "arn:aws:iam::444455556666:root"),))
    rule = CrossAccountTrustWithoutExternalId()
    assert len(statement_hits(rule, s)) == 1
    assert statement_hits(rule, s, options={"trusted-accounts": ["444455556666"]}) == []
    assert statement_hits(rule, s, options={"trusted-accounts": "444455556666"}) == []
    ctx = Context(Workspace(own_accounts=frozenset({"444455556666"})))
    assert list(rule.check_statement(s, policy("trust", s), ctx)) == []


def test_iam202_resource_policies_and_unknown_keys_are_left_alone() -> None:
    rule = CrossAccountTrustWithoutExternalId()
    s = stmt(principals=(principal("AWS", "444455556666"),), actions=("s3:GetObject",))
    assert statement_hits(rule, s, kind="resource") == []
    unknown_key = stmt(
        principals=(principal("AWS", "444455556666"),),
        conditions=(cond("StringEquals", Unknown("var.key"), "x"),),
    )
    assert statement_hits(rule, unknown_key) == []


# -- IAM203 ----------------------------------------------------------------

_GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
_AUD = "token.actions.githubusercontent.com:aud"
_SUB = "token.actions.githubusercontent.com:sub"


def _web(*conditions: Condition, federated: str | Unknown = _GITHUB) -> Statement:
    return stmt(
        actions=("sts:AssumeRoleWithWebIdentity",),
        principals=(principal("Federated", federated),),
        conditions=conditions,
    )


def test_iam203_star_under_string_equals_is_a_literal() -> None:
    rule = WebIdentityTrustUnconstrained()
    s = _web(cond("StringEquals", _AUD, "sts.amazonaws.com"), cond("StringEquals", _SUB, "*"))
    assert statement_hits(rule, s) == []


def test_iam203_negated_subject_does_not_count() -> None:
    rule = WebIdentityTrustUnconstrained()
    s = _web(
        cond("StringEquals", _AUD, "sts.amazonaws.com"),
        cond("StringNotLike", _SUB, "repo:evil/*"),
    )
    [hit] = statement_hits(rule, s)
    assert "no subject" in hit.message


def test_iam203_keys_of_another_provider_do_not_count() -> None:
    rule = WebIdentityTrustUnconstrained()
    s = _web(
        cond("StringEquals", "gitlab.com:aud", "https://gitlab.com"),
        cond("StringEquals", "gitlab.com:sub", "project_path:acme/x:ref_type:branch:ref:main"),
        cond("ForAllValues:StringEquals", "token.actions.githubusercontent.com:iss", "x"),
    )
    [hit] = statement_hits(rule, s)
    assert "no subject" in hit.message


def test_iam203_what_each_provider_must_name() -> None:
    rule = WebIdentityTrustUnconstrained()
    github_sub_only = _web(cond("StringEquals", _SUB, "repo:acme/app:ref:refs/heads/main"))
    assert statement_hits(rule, github_sub_only) == []
    google = "accounts.google.com"
    google_aud = _web(cond("StringEquals", f"{google}:aud", "1234.apps"), federated=google)
    assert statement_hits(rule, google_aud) == []
    assert len(statement_hits(rule, _web(federated=google))) == 1
    cognito = "cognito-identity.amazonaws.com"
    pool = cond("StringEquals", f"{cognito}:aud", "eu-west-1:0f1e2d3c")
    [hit] = statement_hits(rule, _web(pool, federated=cognito))
    assert "guest" in hit.message
    [hit] = statement_hits(rule, _web(federated=cognito))
    assert "no audience or subject" in hit.message
    circleci = "oidc.circleci.com/org/4a2f8c1e-0b9d-4e6f-a7c3-5d1b2e9f8a70"
    org = cond("StringEquals", f"{circleci}:aud", "4a2f8c1e-0b9d-4e6f-a7c3-5d1b2e9f8a70")
    assert (
        statement_hits(rule, _web(org, federated=f"arn:aws:iam::1:oidc-provider/{circleci}")) == []
    )


def test_iam203_unresolved_provider_and_interpolated_keys() -> None:
    rule = WebIdentityTrustUnconstrained()
    provider = Unknown("aws_iam_openid_connect_provider.eks.arn")
    key_sub = Unknown("${local.issuer}:sub", (Unknown("local.issuer"), ":sub"))
    key_aud = Unknown("${local.issuer}:aud", (Unknown("local.issuer"), ":aud"))
    ok = _web(
        cond("StringEquals", key_sub, "system:serviceaccount:default:app"),
        cond("StringEquals", key_aud, "sts.amazonaws.com"),
        federated=provider,
    )
    assert statement_hits(rule, ok) == []
    no_aud = _web(cond("StringEquals", key_sub, "system:serviceaccount:x:y"), federated=provider)
    assert statement_hits(rule, no_aud) == []
    no_sub = _web(cond("StringEquals", key_aud, "sts.amazonaws.com"), federated=provider)
    assert len(statement_hits(rule, no_sub)) == 1
    opaque = _web(cond("StringEquals", Unknown("var.key"), "x"), federated=provider)
    assert statement_hits(rule, opaque) == []


def test_iam203_any_owner_and_any_namespace() -> None:
    rule = WebIdentityTrustUnconstrained()
    for subject, flagged in (
        ("repo:*", True),
        ("repo:*/*:*", True),
        ("repo:acme*/app:*", True),
        ("repo:acme/*", False),
        ("repo:acme/app:ref:refs/heads/*", False),
        ("*", True),
    ):
        s = _web(cond("StringEquals", _AUD, "sts.amazonaws.com"), cond("StringLike", _SUB, subject))
        assert bool(statement_hits(rule, s)) is flagged, subject


# -- IAM206 ----------------------------------------------------------------


def test_iam206_deny_and_source_conditions() -> None:
    rule = ServicePrincipalWithoutSource()
    service = (principal("Service", "sns.amazonaws.com"),)
    assert (
        len(
            statement_hits(rule, stmt(principals=service, actions=("sqs:SendMessage",)), "resource")
        )
        == 1
    )
    deny = stmt(effect="Deny", principals=service, actions=("sqs:SendMessage",))
    assert statement_hits(rule, deny, "resource") == []
    sourced = stmt(
        principals=service,
        actions=("sqs:SendMessage",),
        conditions=(cond("ArnEquals", "AWS:SourceArn", "arn:aws:sns:eu-west-1:1:t"),),
    )
    assert statement_hits(rule, sourced, "resource") == []
    trust = stmt(principals=service)
    assert statement_hits(rule, trust, "trust") == []


# -- IAM207 ----------------------------------------------------------------


def test_iam207_follows_linked_managed_policies() -> None:
    managed = policy(
        "identity", stmt(actions=("iam:PutUserPolicy",), resources=("*",)), address="m"
    )
    doc = Document("t.json", "json", policies=(managed,))
    group = Identity(
        "group", "g", span(), "json", managed_policies=(PolicyRef(v("x"), target="m"),)
    )
    [hit] = identity_hits(MfaNotRequired(), group, Workspace((doc,)))
    assert "iam:PutUserPolicy" in hit.message
    role = Identity("role", "r", span(), "json", managed_policies=(PolicyRef(v("x"), target="m"),))
    assert identity_hits(MfaNotRequired(), role, Workspace((doc,))) == []


def test_iam207_finds_a_policy_by_instance_key_or_without_it() -> None:
    # Terraform: `aws_iam_policy.p["k"].arn` names the instance of a literal
    # for_each; a for_each that is not literal leaves the policy at `p`.
    grant = stmt(actions=("iam:PutUserPolicy",), resources=("*",))
    for address in ('aws_iam_policy.p["k"]', "aws_iam_policy.p"):
        doc = Document("t.tf", "terraform", policies=(policy("identity", grant, address=address),))
        ref = PolicyRef(v("x"), target='aws_iam_policy.p["k"]')
        user = Identity("user", "u", span(), "terraform", managed_policies=(ref,))
        [hit] = identity_hits(MfaNotRequired(), user, Workspace((doc,)))
        assert "iam:PutUserPolicy" in hit.message
    other = PolicyRef(v("x"), target='aws_iam_policy.q["k"]')
    user = Identity("user", "u", span(), "terraform", managed_policies=(other,))
    assert identity_hits(MfaNotRequired(), user, Workspace((doc,))) == []


def test_iam207_mfa_condition_or_mfa_deny_silences_it() -> None:
    mfa = cond("Bool", "aws:MultiFactorAuthPresent", "true")
    allow = stmt(actions=("iam:*",), resources=("*",), conditions=(mfa,))
    user = Identity("user", "u", span(), "json", inline_policies=(policy("identity", allow),))
    assert identity_hits(MfaNotRequired(), user) == []
    plain = stmt(actions=("iam:*",), resources=("*",))
    deny = stmt(
        effect="Deny",
        actions=None,
        not_actions=("iam:ListMFADevices",),
        resources=("*",),
        conditions=(cond("BoolIfExists", "aws:MultiFactorAuthPresent", "false"),),
    )
    user = Identity("user", "u", span(), "json", inline_policies=(policy("identity", plain, deny),))
    assert identity_hits(MfaNotRequired(), user) == []


# -- IAM303, IAM304, IAM305, IAM307 -------------------------------------------


def test_iam303_require_for_option() -> None:
    rule = MissingPermissionsBoundary()
    role = Identity("role", "r", span(), "json")
    user = Identity("user", "u", span(), "json")
    group = Identity("group", "g", span(), "json")
    assert len(identity_hits(rule, role)) == 1
    assert len(identity_hits(rule, user)) == 1
    assert identity_hits(rule, group) == []
    assert identity_hits(rule, user, options={"require-for": ["role"]}) == []
    assert len(identity_hits(rule, role, options={"require-for": ["Role"]})) == 1
    assert identity_hits(rule, role, options={"require-for": []}) == []
    assert len(identity_hits(rule, user, options={"require-for": "user"})) == 1
    bounded = Identity("role", "r", span(), "json", permissions_boundary=PolicyRef(v("arn")))
    assert identity_hits(rule, bounded) == []


def test_iam304_and_iam305_split_the_managed_policies() -> None:
    arns = (
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws-cn:iam::aws:policy/IAMFullAccess",
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        "arn:aws:iam::aws:policy/AmazonLaunchWizardFullaccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::123456789012:policy/TeamFullAccess",
    )
    role = Identity(
        "role", "r", span(), "json", managed_policies=tuple(PolicyRef(v(a)) for a in arns)
    )
    admin = [h.element for h in identity_hits(AdminManagedPolicyAttached(), role)]
    full = [h.element for h in identity_hits(FullAccessManagedPolicyAttached(), role)]
    assert admin == ["attach:AdministratorAccess", "attach:IAMFullAccess"]
    assert full == ["attach:AmazonS3FullAccess", "attach:AmazonLaunchWizardFullaccess"]


def test_iam307_only_users_without_groups() -> None:
    rule = UserWithoutGroup()
    assert len(identity_hits(rule, Identity("user", "u", span(), "json"))) == 1
    member = Identity("user", "u", span(), "json", groups=(v("g"),))
    assert identity_hits(rule, member) == []
    assert identity_hits(rule, Identity("group", "g", span(), "json")) == []


# -- IAM403 ----------------------------------------------------------------


def test_iam403_strings_unknowns_and_missing_settings() -> None:
    strong = PasswordPolicy(
        "pp",
        span(),
        minimum_length=v("14"),
        reuse_prevention=v(24),
        max_age=v(90),
        require_uppercase=v(True),
        require_lowercase=v("true"),
        require_numbers=v(True),
        require_symbols=v(Unknown("var.symbols")),
    )
    doc = Document("t.tf", "terraform", password_policies=(strong,))
    assert list(WeakPasswordPolicy().check_document(doc, Context(Workspace()))) == []
    empty = Document("t.tf", "terraform", password_policies=(PasswordPolicy("pp", span()),))
    [hit] = WeakPasswordPolicy().check_document(empty, Context(Workspace()))
    assert "minimum length 14" in hit.message and "symbols" in hit.message


# -- IAM402's scanner ------------------------------------------------------


def _found(text: str) -> list[tuple[int, str]]:
    return [(c.span.line, c.kind) for c in find_credentials(text, TextLocator("f", text))]


def test_find_credentials_ids_secrets_and_examples() -> None:
    secret = "PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA+"
    text = "\n".join(
        (
            'access_key = "AKIA3U55XTPLPFT7V4SE"',
            f'secret_key = "{secret}"',
            "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            'placeholder = "AKIAXXXXXXXXXXXXXXXX"',
            f'checksum = "{secret}"',
            "XAKIA3U55XTPLPFT7V4SE and AKIA3U55XTPLPFT7V4SEX",
            f'{{"Name": "AWS_SECRET_ACCESS_KEY", "Value": "{secret}"}}',
            'secret_key = "6938fd4d98bab03faadb97b34396831e3780aea1"',
            f"SecretAccessKey: {secret}",
            "ASIAH2KVJ72CEUVW75EF",
        )
    )
    assert _found(text) == [
        (1, "access-key-id"),
        (2, "secret-access-key"),
        (7, "secret-access-key"),
        (9, "secret-access-key"),
        (10, "access-key-id"),
    ]


def test_find_credentials_redacts() -> None:
    text = 'k = "AKIA3U55XTPLPFT7V4SE"'
    [cred] = find_credentials(text, TextLocator("f", text))
    assert cred.redacted == "AKIA************V4SE" == redact_key_id("AKIA3U55XTPLPFT7V4SE")
    assert cred.span.column == 6 and cred.span.end_column == 26
    assert redact_secret("PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA+").startswith("PtYg*")
    assert "3U55" not in cred.redacted
