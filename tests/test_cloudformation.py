"""The CloudFormation loader: what a user sees from templates."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from iamlint import loaders
from iamlint.loaders import Source, cloudformation
from iamlint.model import PARTITION, REGION, THIS_ACCOUNT, Document, Policy, Unknown, Value

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "loaders" / "cloudformation"


def load(name: str, data: bytes | None = None) -> Document:
    path = FIXTURES / name
    raw = path.read_bytes() if data is None else data
    docs = cloudformation.load([Source(path, name, raw)])
    assert len(docs) == 1, docs
    return docs[0]


def load_text(text: str, name: str = "t.yaml") -> Document | None:
    docs = cloudformation.load([Source(Path(name), name, text.encode())])
    return docs[0] if docs else None


def policies(doc: Document) -> dict[str, Policy]:
    return {p.address: p for p in doc.all_policies()}


def line_of(name: str, needle: str, nth: int = 0) -> int:
    lines = (FIXTURES / name).read_text("utf-8").splitlines()
    found = [i + 1 for i, line in enumerate(lines) if needle in line]
    return found[nth]


def col_of(name: str, line: int, needle: str) -> int:
    text = (FIXTURES / name).read_text("utf-8").splitlines()[line - 1]
    return text.index(needle) + 1


# -- short forms, values, identities -------------------------------------


def test_yaml_short_forms_give_every_policy_with_kind_address_and_owner() -> None:
    doc = load("short_forms.yaml")
    assert doc.errors == ()
    got = {a: (p.kind, p.owner, p.owner_type, p.managed) for a, p in policies(doc).items()}
    assert got == {
        "Resources.AppRole.AssumeRolePolicyDocument": (
            "trust",
            "Resources.AppRole",
            "AWS::IAM::Role",
            False,
        ),
        "Resources.AppRole.Policies[0]": (
            "identity",
            "Resources.AppRole",
            "AWS::IAM::Role",
            False,
        ),
        "Resources.AppRole.Policies[1]": (
            "identity",
            "Resources.AppRole",
            "AWS::IAM::Role",
            False,
        ),
        "Resources.SharedPolicy.PolicyDocument": (
            "identity",
            "Resources.SharedPolicy",
            "AWS::IAM::ManagedPolicy",
            True,
        ),
        "Resources.BoundaryPolicy.PolicyDocument": (
            "identity",
            "Resources.BoundaryPolicy",
            "AWS::IAM::ManagedPolicy",
            True,
        ),
        "Resources.AnalystUser.Policies[0]": (
            "identity",
            "Resources.AnalystUser",
            "AWS::IAM::User",
            False,
        ),
        "Resources.ReportsBucketPolicy.PolicyDocument": (
            "resource",
            "Resources.ReportsBucketPolicy",
            "AWS::S3::BucketPolicy",
            False,
        ),
    }


def test_each_element_is_located_where_it_is_written() -> None:
    doc = load("short_forms.yaml")
    admin = policies(doc)["Resources.AppRole.Policies[0]"]
    action = admin.statements[0].actions[0]  # type: ignore[index]
    assert action.value == "*"
    line = line_of("short_forms.yaml", 'Action: "*"')
    assert (action.span.line, action.span.column) == (line, col_of("short_forms.yaml", line, '"*"'))
    assert admin.name is not None and admin.name.value == "admin"
    assert admin.version is not None and admin.version.value == "2012-10-17"  # not a date
    trust = policies(doc)["Resources.AppRole.AssumeRolePolicyDocument"]
    principal = trust.statements[0].principals[0]  # type: ignore[index]
    assert principal.kind == "Service" and principal.value.value == "lambda.amazonaws.com"
    assert principal.value.span.line == line_of("short_forms.yaml", "Service: lambda")


def test_ref_to_a_parameter_default_resolves_and_is_marked() -> None:
    doc = load("short_forms.yaml")
    stmt = policies(doc)["Resources.AppRole.Policies[1]"].statements[0]
    actions = stmt.actions or ()
    assert [a.value for a in actions] == ["s3:GetObject", "s3:ListBucket"]
    assert all(a.from_default for a in actions)
    assert actions[0].span.line == line_of("short_forms.yaml", "!Ref AllowedActions")
    sub = (stmt.resources or ())[0]
    assert isinstance(sub.value, Unknown) and sub.from_default
    assert sub.value.parts[0] == "arn:"
    assert isinstance(sub.value.parts[1], Unknown) and sub.value.parts[1].kind == PARTITION
    assert sub.value.parts[2] == ":s3:::reports-bucket/*"


def test_if_yields_its_branches_and_novalue_disappears() -> None:
    doc = load("short_forms.yaml")
    resources = policies(doc)["Resources.AppRole.Policies[1]"].statements[0].resources or ()
    assert len(resources) == 3  # Sub, the GetAtt branch of the If, Join; NoValue dropped
    getatt = resources[1].value
    assert isinstance(getatt, Unknown) and getatt.expression == "!GetAtt ReportsBucket.Arn"
    assert resources[1].span.line == line_of("short_forms.yaml", "!If [IsProd")


def test_join_keeps_known_parts_and_pseudo_parameter_kinds() -> None:
    doc = load("short_forms.yaml")
    joined = (policies(doc)["Resources.AppRole.Policies[1]"].statements[0].resources or ())[2]
    assert isinstance(joined.value, Unknown)
    parts = joined.value.parts
    kinds = [p.kind for p in parts if isinstance(p, Unknown)]
    assert kinds == [PARTITION, REGION, THIS_ACCOUNT]
    assert parts[0] == "arn:" and parts[-1] == ":jobs"


def test_identities_with_attachments_boundary_groups_and_keys() -> None:
    doc = load("short_forms.yaml")
    ids = {i.address: i for i in doc.identities}
    assert set(ids) == {"Resources.AppRole", "Resources.AnalystUser", "Resources.Analysts"}
    role = ids["Resources.AppRole"]
    assert role.kind == "role" and role.name is not None and role.name.value == "app-role"
    assert role.trust_policy is not None and role.trust_policy.kind == "trust"
    assert [p.address for p in role.inline_policies] == [
        "Resources.AppRole.Policies[0]",
        "Resources.AppRole.Policies[1]",
    ]
    managed = role.managed_policies
    assert managed[0].target == "Resources.SharedPolicy.PolicyDocument"
    aws_managed = managed[1].value.value
    assert managed[1].target is None and isinstance(aws_managed, Unknown)
    assert aws_managed.parts[-1] == ":iam::aws:policy/ReadOnlyAccess"
    assert role.permissions_boundary is not None
    assert role.permissions_boundary.target == "Resources.BoundaryPolicy.PolicyDocument"

    user = ids["Resources.AnalystUser"]
    assert user.permissions_boundary is None
    # The ManagedPolicy's `Users: [!Ref AnalystUser]` shows up on the user.
    [attached] = user.managed_policies
    assert attached.target == "Resources.SharedPolicy.PolicyDocument"
    assert attached.address == "Resources.SharedPolicy"
    assert attached.value.span.line == line_of("short_forms.yaml", "- !Ref AnalystUser")
    # UserToGroupAddition makes the user a member of the template's group.
    assert [g.value for g in user.groups] == ["Resources.Analysts"]
    [key] = doc.access_keys
    assert key.address == "Resources.AnalystKey"
    assert key.user is not None and key.user.value == "Resources.AnalystUser"


def test_suppressions_from_metadata_and_comments() -> None:
    doc = load("short_forms.yaml")
    by_id = {s.ids: s for s in doc.suppressions}
    meta = by_id[("IAM102",)]
    assert meta.reason == "analysts own the whole data lake"
    assert meta.span.line == line_of("short_forms.yaml", "- id: IAM102")
    assert meta.covers.line == line_of("short_forms.yaml", "SharedPolicy:")
    comment = by_id[("IAM205",)]
    assert comment.reason == "the logo is public on purpose"
    here = line_of("short_forms.yaml", "# iamlint: ignore[IAM205]")
    assert comment.span.line == here
    assert comment.covers.line == here + 1  # the statement that follows the comment
    assert comment.covers.end_line >= here + 4


# -- JSON, string documents, Lambda permissions ---------------------------


def test_json_long_forms_and_a_string_encoded_document() -> None:
    name = "long_forms.json"
    doc = load(name)
    assert doc.errors == ()
    queue = policies(doc)["Resources.QueuePolicy.PolicyDocument"]
    assert queue.kind == "resource" and queue.owner_type == "AWS::SQS::QueuePolicy"
    principal = queue.statements[0].principals[0]  # type: ignore[index]
    line = line_of(name, '"PolicyDocument": "{')
    # Inside the string: the exact column of `\"*\"` in the file.
    assert principal.kind == "*"
    assert (principal.value.span.line, principal.value.span.column) == (
        line,
        col_of(name, line, '\\"*\\"') + 1,
    )
    assert queue.size == len(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
        '"*","Action":"sqs:SendMessage","Resource":"*"}]}'
    )


def test_key_policy_principals_from_join_and_sub() -> None:
    doc = load("long_forms.json")
    key = policies(doc)["Resources.Key.KeyPolicy"]
    first = key.statements[0].principals[0].value.value  # type: ignore[index]
    assert isinstance(first, Unknown)
    assert [p.kind for p in first.parts if isinstance(p, Unknown)] == [PARTITION, THIS_ACCOUNT]
    second = key.statements[1].principals[0].value.value  # type: ignore[index]
    assert isinstance(second, Unknown) and second.expression == (
        "!Sub arn:aws:iam::${TrustedAccount}:root"
    )
    [cond] = key.statements[1].conditions
    assert cond.key.value == "kms:ViaService" and isinstance(cond.values[0].value, Unknown)


def test_lambda_permission_becomes_a_one_statement_resource_policy() -> None:
    name = "long_forms.json"
    doc = load(name)
    public = policies(doc)["Resources.PublicInvoke"]
    assert public.kind == "resource" and public.owner_type == "AWS::Lambda::Permission"
    [stmt] = public.statements
    assert stmt.is_allow
    assert [a.value for a in stmt.actions or ()] == ["lambda:InvokeFunction"]
    [principal] = stmt.principals or ()
    assert principal.kind == "*"
    assert principal.value.span.line == line_of(name, '"Principal": "*"')
    [resource] = stmt.resources or ()
    assert isinstance(resource.value, Unknown)
    assert resource.value.expression == "!GetAtt Function.Arn"

    s3 = policies(doc)["Resources.S3Invoke"].statements[0]
    assert [(p.kind, p.value.value) for p in s3.principals or ()] == [
        ("Service", "s3.amazonaws.com")
    ]
    conditions = {(c.operator.value, c.key.value): c for c in s3.conditions}
    assert set(conditions) == {("ArnLike", "aws:SourceArn"), ("StringEquals", "aws:SourceAccount")}
    account = conditions["StringEquals", "aws:SourceAccount"].values[0].value
    assert isinstance(account, Unknown) and account.kind == THIS_ACCOUNT
    assert conditions["ArnLike", "aws:SourceArn"].span.line == line_of(name, '"SourceArn"')


def test_iam_policy_attached_to_one_user_is_that_users_inline_policy() -> None:
    doc = load("long_forms.json")
    [user] = [i for i in doc.identities if i.address == "Resources.Deployer"]
    assert [p.address for p in user.inline_policies] == ["Resources.DeployerPolicy.PolicyDocument"]
    assert user.inline_policies[0].owner_type == "AWS::IAM::User"
    # Fn::If with NoValue: one managed policy, the other branch gone.
    assert [r.value.value for r in user.managed_policies] == [
        "arn:aws:iam::aws:policy/AdministratorAccess"
    ]
    assert [g.value for g in user.groups] == ["existing-group"]


def test_sub_json_string_document_keeps_lines() -> None:
    name = "string_document.yaml"
    doc = load(name)
    logs = policies(doc)["Resources.EventsToLogs.PolicyDocument"]
    stmt = logs.statements[0]
    action = (stmt.actions or ())[0]
    assert action.value == "logs:PutLogEvents"
    line = line_of(name, '"logs:PutLogEvents"')
    assert (action.span.line, action.span.column) == (
        line,
        col_of(name, line, '"logs:PutLogEvents"'),
    )
    resource = (stmt.resources or ())[0].value
    assert isinstance(resource, Unknown) and resource.expression == "!Sub ${LogGroup.Arn}"
    topic = policies(doc)["Resources.TopicPolicy.PolicyDocument"]
    assert topic.statements[0].principals[0].value.span.line == line_of(name, "sns:Publish")  # type: ignore[index]


def test_a_broken_string_document_is_an_error_at_its_line() -> None:
    name = "string_document.yaml"
    doc = load(name)
    [error] = doc.errors
    assert "invalid JSON in a string-encoded policy" in error.message
    assert error.span.line == line_of(name, '"Effect": "Allow",}')
    # The rest of the template is still read.
    assert len(policies(doc)) == 2


# -- SAM and CDK ---------------------------------------------------------


def test_sam_policies_managed_names_templates_and_inline() -> None:
    name = "sam.yaml"
    doc = load(name)
    [worker] = doc.identities  # Scheduler has a Role: SAM makes none, ignores Policies
    assert worker.address == "Resources.Worker" and worker.kind == "role"
    refs = [r.value.value for r in worker.managed_policies]
    basic, admin = refs
    assert isinstance(basic, Unknown)
    assert basic.parts[-1] == ":iam::aws:policy/AWSLambdaBasicExecutionRole"
    assert admin == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert worker.permissions_boundary is not None
    got = {p.address: p for p in worker.inline_policies}
    assert set(got) == {
        "Resources.Worker.Policies[2]",
        "Resources.Worker.Policies[3]",
        "Resources.Worker.Policies[4]",
    }
    s3read = got["Resources.Worker.Policies[2]"]
    assert s3read.name is not None and s3read.name.value == "S3ReadPolicy"
    actions = [a.value for a in s3read.statements[0].actions or ()]
    assert "s3:GetObject" in actions and "s3:ListBucket" in actions
    assert s3read.statements[0].span.line == line_of(name, "S3ReadPolicy:")
    bucket = (s3read.statements[0].resources or ())[0].value
    assert isinstance(bucket, Unknown)
    assert any(isinstance(p, Unknown) and p.expression == "!Ref Uploads" for p in bucket.parts)
    inline = got["Resources.Worker.Policies[4]"]
    assert (inline.statements[0].actions or ())[0].span.line == line_of(name, "dynamodb:*")


def test_cdk_output_uses_construct_paths_and_links_the_default_policy() -> None:
    doc = load("cdk.template.json")
    [role] = doc.identities
    assert role.address == "AppStack/AppRole/Resource"
    assert [p.address for p in role.inline_policies] == [
        "AppStack/AppRole/DefaultPolicy/Resource.PolicyDocument"
    ]
    [managed] = role.managed_policies
    arn = managed.value.value
    assert isinstance(arn, Unknown)
    assert [p if isinstance(p, str) else p.kind for p in arn.parts] == [
        "arn:",
        PARTITION,
        ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ]


# -- detection and bad input ---------------------------------------------


@pytest.mark.parametrize("name", ["deployment.yaml", "deploy.yml", "docker-compose.yml"])
def test_other_yaml_is_skipped_without_a_word(name: str) -> None:
    path = FIXTURES / "not_templates" / name
    docs = cloudformation.load([Source(path, name, path.read_bytes())])
    assert docs == []


def test_a_raw_policy_json_is_left_to_the_json_loader() -> None:
    data = b'{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]}'
    loader = loaders.claim("policy.json", data)
    assert loader is not None and loader.FORMAT == "json"
    template = b'{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}'
    claimed = loaders.claim("stack.template.json", template)
    assert claimed is not None and claimed.FORMAT == "cloudformation"
    assert loaders.claim("x.template", b"Resources:\n  T:\n    Type: AWS::SNS::Topic\n")


BAD = {
    "duplicate_key.yaml": (5, "duplicate key 'Role'"),
    "python_tag.yaml": (6, "unsupported YAML tag !!python/object/apply"),
    "unknown_tag.yaml": (6, "unsupported YAML tag !Lookup"),
    "alias_bomb.yaml": (None, "alias bomb"),
    "deep.yaml": (6, "nesting deeper than 128 levels"),
    "deep.json": (1, "nesting deeper than 128 levels"),
    "latin1.yaml": (2, "invalid UTF-8"),
    "malformed.yaml": (6, "invalid YAML"),
    "malformed.json": (4, "invalid JSON"),
    "two_documents.yaml": (5, "more than one YAML document"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_clear_error_with_its_line(name: str) -> None:
    line, message = BAD[name]
    doc = load(f"bad/{name}")
    assert doc.policies == () and doc.identities == ()
    [error] = doc.errors
    assert message in error.message
    if line is not None:
        assert error.span.line == line


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        f'X: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    doc = load_text(text)
    assert doc is not None and doc.errors
    assert not marker.exists()


def test_aliases_are_read_and_counted() -> None:
    text = (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Resources:\n"
        "  Q:\n"
        "    Type: AWS::SQS::QueuePolicy\n"
        "    Properties:\n"
        "      PolicyDocument:\n"
        "        Statement:\n"
        "          - &stmt {Effect: Allow, Principal: '*', Action: sqs:SendMessage}\n"
        "          - *stmt\n"
    )
    doc = load_text(text)
    assert doc is not None and doc.errors == ()
    [policy] = doc.policies
    assert [s.span.line for s in policy.statements] == [8, 8]


def test_unresolved_values_are_unknown_never_guessed() -> None:
    text = (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Parameters:\n"
        "  Prefix: {Type: String}\n"
        "  Secret: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /app/name}\n"
        "Resources:\n"
        "  P:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      PolicyDocument:\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Action: [!Ref Prefix, !Ref Secret, !ImportValue shared, !Select [0, [a]]]\n"
        "            Resource: !FindInMap [Missing, a, b]\n"
    )
    doc = load_text(text)
    assert doc is not None
    stmt = doc.policies[0].statements[0]
    values = [a.value for a in stmt.actions or ()]
    assert all(isinstance(v, Unknown) for v in values)
    assert [v.expression for v in values if isinstance(v, Unknown)] == [
        "!Ref Prefix",
        "!Ref Secret",
        "!ImportValue shared",
        "!Select [0, [a]]",
    ]
    assert isinstance((stmt.resources or ())[0].value, Unknown)


# -- coverage of CloudFormation's resource types --------------------------


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_cfn_policy_properties", REPO / "scripts" / "build_cfn_policy_properties.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_schema_property_that_may_hold_a_policy_is_classified_and_table_current() -> None:
    if importlib.util.find_spec("cfnlint") is None:
        pytest.skip("cfn-lint is not installed")
    script = _build_script()
    found = script.candidates()
    assert script.unclassified(found) == []
    table = (REPO / "iamlint" / "data" / "cfn_policy_properties.json").read_text("utf-8")
    assert table == script.build(), "run scripts/build_cfn_policy_properties.py"


def _document(path: list[str]) -> object:
    doc: object = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "x:Y"}]}
    for part in reversed(path):
        doc = [doc] if part == "*" else {part: doc}
    return doc


def test_every_policy_property_in_the_table_is_loaded() -> None:
    table = cloudformation.policy_properties()
    assert "AWS::S3::BucketPolicy" in table and "AWS::KMS::Key" in table
    resources = {}
    expected = set()
    for i, (type_name, props) in enumerate(sorted(table.items())):
        for j, (path, _) in enumerate(sorted(props.items())):
            parts = path.split("/")
            logical = f"R{i}x{j}"
            resources[logical] = {"Type": type_name, "Properties": _document(parts)}
            where = ".".join(parts).replace(".*", "[0]")
            if type_name.startswith("AWS::IAM::") and parts[0] == "Policies":
                where = "Policies[0]"
            expected.add(f"Resources.{logical}.{where}")
    text = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})
    doc = load_text(text, "all.json")
    assert doc is not None and doc.errors == ()
    got = {p.address for p in doc.all_policies()}
    assert expected - got == set()


# -- end to end ------------------------------------------------------------


def _check(*names: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "iamlint", "check", "--format", "json", *names],
        cwd=FIXTURES,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    findings = json.loads(out.stdout)["findings"]
    return sorted(f"{f['rule']} {f['path']}:{f['line']}:{f['column']}" for f in findings)


def test_check_reports_iam101_and_iam205_at_the_exact_place() -> None:
    found = _check("short_forms.yaml", "long_forms.json")
    admin = line_of("short_forms.yaml", 'Action: "*"')
    public = line_of("short_forms.yaml", 'Principal: "*"')
    queue = line_of("long_forms.json", '"PolicyDocument": "{')
    invoke = line_of("long_forms.json", '"Principal": "*"')
    queue_col = col_of("long_forms.json", queue, '\\"*\\"') + 1
    assert f"IAM101 short_forms.yaml:{admin}:25" in found
    assert f"IAM205 short_forms.yaml:{public}:24" in found
    assert f"IAM205 long_forms.json:{queue}:{queue_col}" in found
    assert f"IAM205 long_forms.json:{invoke}:22" in found
    # The public logo statement is suppressed by its comment.
    logo = line_of("short_forms.yaml", '{AWS: "*"}')
    assert not any(f.startswith(f"IAM205 short_forms.yaml:{logo}:") for f in found)


def test_loading_templates_imports_neither_cfn_lint_nor_samtranslator() -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from iamlint.config import Config\n"
        "from iamlint.scan import load_documents\n"
        f"docs, _ = load_documents([Path({str(FIXTURES)!r})], Path('.'), Config())\n"
        "assert any(d.source_format == 'cloudformation' for d in docs)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cfnlint', 'samtranslator'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_value_helper_types() -> None:
    # Guard the assumptions the tests above rely on.
    assert Value("x", load("short_forms.yaml").identities[0].span).known
