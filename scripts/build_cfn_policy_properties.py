#!/usr/bin/env python3
"""Build ``iamlint/data/cfn_policy_properties.json``: which properties of which
CloudFormation resource types hold an IAM policy document.

The source is the resource schemas cfn-lint bundles (``cfnlint/data/schemas``,
read as data files: cfn-lint is not imported). Every property whose name says
"policy" and whose schema is free-form JSON (an object without declared
properties, or a string) is a *candidate*; each candidate must be classified
below, either as a policy document (with the kind of policy it is) or as
something else (with the reason). A candidate that is in neither list makes
this script, and the test that runs it, fail: that is how iamlint keeps up as
AWS adds resource types.

    python scripts/build_cfn_policy_properties.py           # rewrite the table
    python scripts/build_cfn_policy_properties.py --check   # exit 1 when stale
    python scripts/build_cfn_policy_properties.py --list    # show candidates

Property paths use ``/`` between names and ``*`` for the items of a list.
The IAM identity types (roles, users, groups, their policies) are in the table
too, marked ``"iam"``: the loader handles them itself, since they also carry
attachments.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "iamlint" / "data" / "cfn_policy_properties.json"

# type -> {property path: kind}. Kinds: "resource", "identity", "trust",
# "boundary" (limits, never grants), "iam" (decided by the IAM resource).
POLICY_PROPERTIES: dict[str, dict[str, str]] = {
    "AWS::IAM::Role": {
        "AssumeRolePolicyDocument": "iam",
        "Policies/*/PolicyDocument": "iam",
    },
    "AWS::IAM::User": {"Policies/*/PolicyDocument": "iam"},
    "AWS::IAM::Group": {"Policies/*/PolicyDocument": "iam"},
    "AWS::IAM::Policy": {"PolicyDocument": "iam"},
    "AWS::IAM::ManagedPolicy": {"PolicyDocument": "iam"},
    "AWS::IAM::UserPolicy": {"PolicyDocument": "iam"},
    "AWS::IAM::RolePolicy": {"PolicyDocument": "iam"},
    "AWS::IAM::GroupPolicy": {"PolicyDocument": "iam"},
    "AWS::SSO::PermissionSet": {"InlinePolicy": "identity"},
    "AWS::RolesAnywhere::Profile": {"SessionPolicy": "identity"},
    "AWS::AIOps::InvestigationGroup": {"InvestigationGroupPolicy": "resource"},
    "AWS::APS::ResourcePolicy": {"PolicyDocument": "resource"},
    "AWS::ApiGateway::DomainNameV2": {"Policy": "resource"},
    "AWS::ApiGateway::RestApi": {"Policy": "resource"},
    "AWS::Backup::BackupVault": {"AccessPolicy": "resource"},
    "AWS::Backup::LogicallyAirGappedBackupVault": {"AccessPolicy": "resource"},
    "AWS::Bedrock::KnowledgeBasePolicy": {"PolicyDocument": "resource"},
    "AWS::Bedrock::ResourcePolicy": {"PolicyDocument": "resource"},
    "AWS::BedrockAgentCore::ResourcePolicy": {"Policy": "resource"},
    "AWS::CloudTrail::ResourcePolicy": {"ResourcePolicy": "resource"},
    "AWS::CodeArtifact::Domain": {"PermissionsPolicyDocument": "resource"},
    "AWS::CodeArtifact::Repository": {"PermissionsPolicyDocument": "resource"},
    "AWS::Comprehend::DocumentClassifier": {"ModelPolicy": "resource"},
    "AWS::Comprehend::EntityRecognizer": {"ModelPolicy": "resource"},
    "AWS::DSQL::Cluster": {"PolicyDocument": "resource"},
    "AWS::DynamoDB::GlobalTable": {
        "Replicas/*/ResourcePolicy/PolicyDocument": "resource",
        "Replicas/*/ReplicaStreamSpecification/ResourcePolicy/PolicyDocument": "resource",
    },
    "AWS::DynamoDB::Table": {
        "ResourcePolicy/PolicyDocument": "resource",
        "StreamSpecification/ResourcePolicy/PolicyDocument": "resource",
    },
    # An endpoint policy only filters what passes through the endpoint; it
    # grants nothing, like a permissions boundary.
    "AWS::EC2::VPCEndpoint": {"PolicyDocument": "boundary"},
    "AWS::ECR::PublicRepository": {"RepositoryPolicyText": "resource"},
    "AWS::ECR::RegistryPolicy": {"PolicyText": "resource"},
    "AWS::ECR::Repository": {"RepositoryPolicyText": "resource"},
    "AWS::ECR::RepositoryCreationTemplate": {"RepositoryPolicy": "resource"},
    "AWS::EFS::FileSystem": {"FileSystemPolicy": "resource"},
    "AWS::Elasticsearch::Domain": {"AccessPolicies": "resource"},
    "AWS::EventSchemas::RegistryPolicy": {"Policy": "resource"},
    "AWS::Events::EventBus": {"Policy": "resource"},
    "AWS::EventsV2::ResourcePolicy": {"PolicyDocument": "resource"},
    "AWS::FSx::S3AccessPointAttachment": {"S3AccessPoint/Policy": "resource"},
    "AWS::KMS::Key": {"KeyPolicy": "resource"},
    "AWS::KMS::ReplicaKey": {"KeyPolicy": "resource"},
    "AWS::Kinesis::ResourcePolicy": {"ResourcePolicy": "resource"},
    "AWS::Lambda::ResourcePolicy": {"PolicyDocument": "resource"},
    "AWS::Lex::ResourcePolicy": {"Policy": "resource"},
    "AWS::Logs::DeliveryDestination": {
        "DeliveryDestinationPolicy/DeliveryDestinationPolicy": "resource"
    },
    "AWS::Logs::Destination": {"DestinationPolicy": "resource"},
    "AWS::Logs::LogGroup": {"ResourcePolicyDocument": "resource"},
    "AWS::Logs::ResourcePolicy": {"PolicyDocument": "resource"},
    "AWS::MSK::ClusterPolicy": {"Policy": "resource"},
    "AWS::MediaPackageV2::ChannelPolicy": {"Policy": "resource"},
    "AWS::MediaPackageV2::OriginEndpointPolicy": {"Policy": "resource"},
    "AWS::MediaStore::Container": {"Policy": "resource"},
    "AWS::MediaTailor::ChannelPolicy": {"Policy": "resource"},
    "AWS::OSIS::Pipeline": {"ResourcePolicy/Policy": "resource"},
    "AWS::Oam::Sink": {"Policy": "resource"},
    "AWS::Omics::SequenceStore": {"S3AccessPolicy": "resource"},
    "AWS::ODB::OdbNetwork": {
        "KmsPolicyDocument": "resource",
        "S3PolicyDocument": "resource",
        "StsPolicyDocument": "resource",
        "ManagedServices/KmsAccess/KmsPolicyDocument": "resource",
        "ManagedServices/S3Access/S3PolicyDocument": "resource",
        "ManagedServices/StsAccess/StsPolicyDocument": "resource",
    },
    "AWS::OpenSearchService::Domain": {"AccessPolicies": "resource"},
    "AWS::PaymentCryptography::Key": {"Policy": "resource"},
    "AWS::RUM::AppMonitor": {"ResourcePolicy/PolicyDocument": "resource"},
    "AWS::Redshift::Cluster": {"NamespaceResourcePolicy": "resource"},
    "AWS::RedshiftServerless::Namespace": {"NamespaceResourcePolicy": "resource"},
    "AWS::S3::AccessPoint": {"Policy": "resource"},
    "AWS::S3::BucketPolicy": {"PolicyDocument": "resource"},
    "AWS::S3::MultiRegionAccessPointPolicy": {"Policy": "resource"},
    "AWS::S3Express::AccessPoint": {"Policy": "resource"},
    "AWS::S3Express::BucketPolicy": {"PolicyDocument": "resource"},
    "AWS::S3Files::FileSystemPolicy": {"Policy": "resource"},
    "AWS::S3ObjectLambda::AccessPointPolicy": {"PolicyDocument": "resource"},
    "AWS::S3Outposts::AccessPoint": {"Policy": "resource"},
    "AWS::S3Outposts::BucketPolicy": {"PolicyDocument": "resource"},
    "AWS::S3Tables::TableBucketPolicy": {"ResourcePolicy": "resource"},
    "AWS::S3Tables::TablePolicy": {"ResourcePolicy": "resource"},
    "AWS::S3Vectors::VectorBucketPolicy": {"Policy": "resource"},
    "AWS::SMSVOICE::ResourcePolicy": {"PolicyDocument": "resource"},
    "AWS::SNS::TopicInlinePolicy": {"PolicyDocument": "resource"},
    "AWS::SNS::TopicPolicy": {"PolicyDocument": "resource"},
    "AWS::SQS::QueueInlinePolicy": {"PolicyDocument": "resource"},
    "AWS::SQS::QueuePolicy": {"PolicyDocument": "resource"},
    "AWS::SSM::ResourcePolicy": {"Policy": "resource"},
    "AWS::SageMaker::ModelPackageGroup": {"ModelPackageGroupPolicy": "resource"},
    "AWS::SecretsManager::ResourcePolicy": {"ResourcePolicy": "resource"},
    "AWS::Transfer::User": {"Policy": "identity"},
    "AWS::VpcLattice::AuthPolicy": {"Policy": "resource"},
    "AWS::VpcLattice::ResourcePolicy": {"Policy": "resource"},
    "AWS::XRay::ResourcePolicy": {"PolicyDocument": "resource"},
}

# Candidates that are not IAM policy documents, with the reason.
NOT_POLICIES: dict[str, str] = {
    "AWS::BedrockAgentCore::Policy/Definition/Policy": "Cedar policy for AgentCore",
    "AWS::CleanRooms::ConfiguredTable/AnalysisRules/*/Policy": "Clean Rooms analysis rule",
    "AWS::CleanRooms::ConfiguredTableAssociation/ConfiguredTableAssociationAnalysisRules/*/Policy": "Clean Rooms analysis rule",  # noqa: E501
    "AWS::CleanRooms::IntermediateTable/AnalysisRules/*/Policy": "Clean Rooms analysis rule",
    "AWS::CleanRoomsML::ConfiguredModelAlgorithmAssociation/PrivacyConfiguration/Policies": "privacy configuration",  # noqa: E501
    "AWS::CloudHSM::Cluster/BackupPolicy": "backup setting",
    "AWS::Config::ConfigRule/Source/CustomPolicyDetails/PolicyText": "Guard rule text",
    "AWS::Config::OrganizationConfigRule/OrganizationCustomPolicyRuleMetadata/PolicyText": "Guard rule text",  # noqa: E501
    "AWS::EC2::ClientVpnEndpoint/AuthorizationPolicy/PolicyDocument": "Verified Access Cedar policy",  # noqa: E501
    "AWS::EC2::VerifiedAccessEndpoint/PolicyDocument": "Verified Access Cedar policy",
    "AWS::EC2::VerifiedAccessGroup/PolicyDocument": "Verified Access Cedar policy",
    "AWS::ECR::Repository/LifecyclePolicy/LifecyclePolicyText": "image lifecycle rules",
    "AWS::ECR::RepositoryCreationTemplate/LifecyclePolicy": "image lifecycle rules",
    "AWS::EKS::PodIdentityAssociation/Policy": "session policy, see known limitations",
    "AWS::IVS::Channel/MultitrackInputConfiguration/Policy": "an enumeration",
    "AWS::IoT::Policy/PolicyDocument": "AWS IoT policy (IoT grammar, not IAM)",
    "AWS::Kendra::Index/UserContextPolicy": "an enumeration",
    "AWS::Lambda::Version/RuntimePolicy": "runtime management setting",
    "AWS::Logs::AccountPolicy/PolicyDocument": "data protection / subscription settings",
    "AWS::Logs::LogGroup/DataProtectionPolicy": "data protection settings",
    "AWS::MediaStore::Container/LifecyclePolicy": "object lifecycle rules",
    "AWS::MediaStore::Container/MetricPolicy": "metric settings",
    "AWS::NetworkManager::CoreNetwork/PolicyDocument": "core network policy",
    "AWS::OpenSearchServerless::AccessPolicy/Policy": "OpenSearch Serverless data access rules",
    "AWS::OpenSearchServerless::LifecyclePolicy/Policy": "index lifecycle rules",
    "AWS::OpenSearchServerless::SecurityPolicy/Policy": "encryption/network settings",
    "AWS::RAM::Permission/PolicyTemplate": "RAM permission template (a statement fragment)",
    "AWS::ResilienceHub::ResiliencyPolicy/Policy": "resiliency targets",
    "AWS::SES::ReceiptFilter/Filter/IpFilter/Policy": "an enumeration",
    "AWS::SES::Tenant/ReputationEntity/Policy": "reputation settings",
    "AWS::SNS::Subscription/DeliveryPolicy": "delivery retry settings",
    "AWS::SNS::Subscription/FilterPolicy": "message filter",
    "AWS::SNS::Subscription/RedrivePolicy": "dead-letter settings",
    "AWS::SNS::Subscription/ReplayPolicy": "replay settings",
    "AWS::SNS::Topic/ArchivePolicy": "archive settings",
    "AWS::SNS::Topic/DataProtectionPolicy": "data protection settings",
    "AWS::SQS::Queue/RedriveAllowPolicy": "dead-letter settings",
    "AWS::SQS::Queue/RedrivePolicy": "dead-letter settings",
    "AWS::SSM::Parameter/Policies": "parameter expiration policies",
    "AWS::StorageGateway::NFSFileShare/NotificationPolicy": "notification settings",
    "AWS::StorageGateway::SMBFileShare/NotificationPolicy": "notification settings",
    "AWS::WorkSpacesWeb::BrowserSettings/BrowserPolicy": "Chrome browser policy",
    "AWS::WorkSpacesWeb::BrowserSettings/WebContentFilteringPolicy": "content filter",
    "AWS::Cognito::UserPool/Policies": "password and sign-in settings",
    "AWS::GreengrassV2::Deployment/DeploymentPolicies": "deployment settings",
}

_NAME = re.compile(r"polic", re.IGNORECASE)
# Names that say what a property refers to, not a document.
_NOT_A_DOCUMENT = re.compile(
    r"(Name|Id|Ids|Arn|Arns|Type|Types|Label|Hash|Version|Scope|Language|Runtime|Status"
    r"|Behavior|Config|Configuration|Settings|Identity|Resource|Period|Description|Number)$"
)
# Words of settings that are called policies but are not IAM documents.
_SETTING_WORDS = re.compile(
    r"Security|Protocol|Pull|Dns|Ssl|Tls|Snapshot|Rate|Selection|Safeguard|Answer|Import"
    r"|Export|Tiering|Deletion|Termination|Protection|Routing|Retention|Scaling|Restart"
)
_MAX_DEPTH = 8


def schema_dir() -> Path:
    """cfn-lint's bundled schemas, found without importing cfn-lint."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cfn-lint is not installed: pip install cfn-lint")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/") and seen < 20:
        cur: Any = schema
        for part in node["$ref"][2:].split("/"):
            cur = cur[part]
        node = cur
        seen += 1
    return node


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("type")
    if t is None:
        return {"object", "string"}  # untyped: anything, JSON included
    return {t} if isinstance(t, str) else set(t)


def _free_form(node: dict[str, Any]) -> bool:
    """JSON of any shape: an object without declared properties, or a string."""
    if "enum" in node or "const" in node:
        return False
    types = _types(node)
    if "object" in types and not node.get("properties"):
        return True
    return types == {"string"} and "pattern" not in node


def _walk(schema: dict[str, Any], node: Any, path: str, out: set[str], depth: int) -> None:
    node = _resolve(schema, node)
    if depth > _MAX_DEPTH or not isinstance(node, dict):
        return
    for name, sub in (node.get("properties") or {}).items():
        sub = _resolve(schema, sub)
        if not isinstance(sub, dict):
            continue
        here = f"{path}/{name}" if path else name
        if (
            _NAME.search(name)
            and not _NOT_A_DOCUMENT.search(name)
            and not _SETTING_WORDS.search(name)
            and _free_form(sub)
        ):
            out.add(here)
        _walk(schema, sub, here, out, depth + 1)
    if "items" in node:
        _walk(schema, node["items"], f"{path}/*" if path else "*", out, depth + 1)


def candidates(base: Path | None = None) -> dict[str, set[str]]:
    """type -> property paths that may hold a policy document, per the schemas."""
    base = base or schema_dir()
    provider = json.loads((base / "providers" / "us-east-1.json").read_text("utf-8"))
    found: dict[str, set[str]] = {}
    for type_name, digest in sorted(provider.items()):
        schema = json.loads((base / "resources" / f"{digest}.json").read_text("utf-8"))
        paths: set[str] = set()
        _walk(schema, schema, "", paths, 0)
        if paths:
            found[type_name] = paths
    return found


def unclassified(found: dict[str, set[str]]) -> list[str]:
    out = []
    for type_name, paths in found.items():
        for path in sorted(paths):
            full = f"{type_name}/{path}"
            if path in POLICY_PROPERTIES.get(type_name, {}) or full in NOT_POLICIES:
                continue
            out.append(full)
    return out


def build(base: Path | None = None) -> str:
    """The table's text; SystemExit naming every unclassified candidate."""
    found = candidates(base)
    missing = unclassified(found)
    if missing:
        raise SystemExit(
            "properties that may hold a policy document, not classified in"
            " scripts/build_cfn_policy_properties.py:\n  " + "\n  ".join(missing)
        )
    table = {t: dict(sorted(props.items())) for t, props in sorted(POLICY_PROPERTIES.items())}
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    parser.add_argument("--list", action="store_true", help="print every candidate")
    args = parser.parse_args(argv)
    if args.list:
        for type_name, paths in candidates().items():
            for path in sorted(paths):
                print(f"{type_name}/{path}")
        return 0
    text = build()
    if args.check:
        current = OUT.read_text("utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale: run scripts/build_cfn_policy_properties.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, "utf-8")
    print(f"wrote {OUT} ({sum(len(v) for v in json.loads(text).values())} properties)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
