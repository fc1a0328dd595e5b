"""Where policies live in the AWS provider: resource type -> attribute -> kind.

Resource policies are listed with the attribute that holds the document
and the attribute that names the resource it protects (for the Policy's
owner), when there is one. Identity-side resources are handled one by one
in tf_extract, since each links to users, groups or roles differently.
Left out on purpose: aws_iot_policy and aws_opensearchserverless_access_policy
(not the IAM grammar), aws_organizations_policy (SCPs: guardrails, where
`Allow *` is the normal FullAWSAccess).
"""

from __future__ import annotations

# Policies that only filter what passes through (an endpoint policy grants
# nothing, like a permissions boundary): their kind is "boundary".
FILTER_POLICIES = frozenset(
    {
        "aws_vpc_endpoint",
        "aws_vpc_endpoint_policy",
        # Session policies: they scope down the role a Transfer Family user
        # or access assumes.
        "aws_transfer_user",
        "aws_transfer_access",
    }
)

# type: (policy attribute, attribute naming the protected resource or "")
RESOURCE_POLICIES: dict[str, tuple[str, str]] = {
    "aws_s3_bucket_policy": ("policy", "bucket"),
    "aws_s3_bucket": ("policy", ""),  # deprecated inline argument
    "aws_s3_access_point": ("policy", "bucket"),
    "aws_s3control_access_point_policy": ("policy", "access_point_arn"),
    "aws_s3control_bucket_policy": ("policy", "bucket"),
    "aws_s3control_object_lambda_access_point_policy": ("policy", "name"),
    "aws_s3control_multi_region_access_point_policy": ("policy", ""),
    "aws_s3tables_table_policy": ("resource_policy", "name"),
    "aws_s3tables_table_bucket_policy": ("resource_policy", "table_bucket_arn"),
    "aws_s3vectors_vector_bucket_policy": ("policy", "vector_bucket_arn"),
    "aws_sqs_queue_policy": ("policy", "queue_url"),
    "aws_sqs_queue": ("policy", ""),
    "aws_sns_topic_policy": ("policy", "arn"),
    "aws_sns_topic": ("policy", ""),
    "aws_kms_key": ("policy", ""),
    "aws_kms_key_policy": ("policy", "key_id"),
    "aws_kms_external_key": ("policy", ""),
    "aws_kms_replica_key": ("policy", ""),
    "aws_kms_replica_external_key": ("policy", ""),
    "aws_ecr_repository_policy": ("policy", "repository"),
    "aws_ecr_registry_policy": ("policy", ""),
    "aws_ecrpublic_repository_policy": ("policy", "repository_name"),
    "aws_secretsmanager_secret_policy": ("policy", "secret_arn"),
    "aws_secretsmanager_secret": ("policy", ""),
    "aws_opensearch_domain_policy": ("access_policies", "domain_name"),
    "aws_opensearch_domain": ("access_policies", ""),
    "aws_elasticsearch_domain_policy": ("access_policies", "domain_name"),
    "aws_elasticsearch_domain": ("access_policies", ""),
    "aws_cloudwatch_log_resource_policy": ("policy_document", ""),
    "aws_cloudwatch_log_destination_policy": ("access_policy", "destination_name"),
    "aws_cloudwatch_event_bus_policy": ("policy", "event_bus_name"),
    "aws_glue_resource_policy": ("policy", ""),
    "aws_backup_vault_policy": ("policy", "backup_vault_name"),
    "aws_efs_file_system_policy": ("policy", "file_system_id"),
    "aws_api_gateway_rest_api_policy": ("policy", "rest_api_id"),
    "aws_api_gateway_rest_api": ("policy", ""),
    "aws_vpc_endpoint": ("policy", ""),
    "aws_vpc_endpoint_policy": ("policy", "vpc_endpoint_id"),
    "aws_codeartifact_domain_permissions_policy": ("policy_document", "domain"),
    "aws_codeartifact_repository_permissions_policy": ("policy_document", "repository"),
    "aws_media_store_container_policy": ("policy", "container_name"),
    "aws_networkfirewall_resource_policy": ("policy", "resource_arn"),
    "aws_redshiftserverless_resource_policy": ("policy", "resource_arn"),
    "aws_dynamodb_resource_policy": ("policy", "resource_arn"),
    "aws_kinesis_resource_policy": ("policy", "resource_arn"),
    "aws_sagemaker_model_package_group_policy": ("resource_policy", "model_package_group_name"),
    "aws_schemas_registry_policy": ("policy", "registry_name"),
    "aws_xray_resource_policy": ("policy_document", ""),
    "aws_vpclattice_auth_policy": ("policy", "resource_identifier"),
    "aws_vpclattice_resource_policy": ("policy", "resource_arn"),
    "aws_ses_identity_policy": ("policy", "identity"),
    "aws_acmpca_policy": ("policy", "resource_arn"),
    "aws_glacier_vault": ("access_policy", ""),
    "aws_cloudsearch_domain_service_access_policy": ("access_policy", "domain_name"),
    "aws_oam_sink_policy": ("policy", "sink_identifier"),
    "aws_organizations_resource_policy": ("content", ""),
    "aws_msk_cluster_policy": ("policy", "cluster_arn"),
    "aws_codebuild_resource_policy": ("policy", "resource_arn"),
    "aws_transfer_user": ("policy", ""),
    "aws_transfer_access": ("policy", ""),
}

# Identity policies of identities that are not IAM users, groups or roles:
# type -> (policy attribute, attribute naming the identity, its type).
OTHER_IDENTITY_POLICIES: dict[str, tuple[str, str, str]] = {
    "aws_ssoadmin_permission_set_inline_policy": (
        "inline_policy",
        "permission_set_arn",
        "aws_ssoadmin_permission_set",
    ),
}

# Identity policies: type -> (identity kind, attribute naming the identity)
INLINE_POLICIES: dict[str, tuple[str, str]] = {
    "aws_iam_role_policy": ("role", "role"),
    "aws_iam_user_policy": ("user", "user"),
    "aws_iam_group_policy": ("group", "group"),
}

ATTACHMENTS: dict[str, tuple[str, str]] = {
    "aws_iam_role_policy_attachment": ("role", "role"),
    "aws_iam_user_policy_attachment": ("user", "user"),
    "aws_iam_group_policy_attachment": ("group", "group"),
}

IDENTITY_TYPES: dict[str, str] = {
    "aws_iam_role": "role",
    "aws_iam_user": "user",
    "aws_iam_group": "group",
}

PASSWORD_FIELDS: dict[str, str] = {
    "minimum_password_length": "minimum_length",
    "password_reuse_prevention": "reuse_prevention",
    "max_password_age": "max_age",
    "require_uppercase_characters": "require_uppercase",
    "require_lowercase_characters": "require_lowercase",
    "require_numbers": "require_numbers",
    "require_symbols": "require_symbols",
}

# aws_lambda_permission arguments that become conditions: (operator, key)
LAMBDA_CONDITIONS: dict[str, tuple[str, str]] = {
    "source_arn": ("ArnLike", "aws:SourceArn"),
    "source_account": ("StringEquals", "aws:SourceAccount"),
    "principal_org_id": ("StringEquals", "aws:PrincipalOrgID"),
    "function_url_auth_type": ("StringEquals", "lambda:FunctionUrlAuthType"),
    "event_source_token": ("StringEquals", "lambda:EventSourceToken"),
}

LAYER_CONDITIONS: dict[str, tuple[str, str]] = {
    "organization_id": ("StringEquals", "aws:PrincipalOrgID"),
}
