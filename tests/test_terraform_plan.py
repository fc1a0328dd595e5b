"""The Terraform plan loader (`terraform show -json`)."""

from __future__ import annotations

from pathlib import Path

from iamlint.config import Config
from iamlint.model import Document
from iamlint.scan import load_documents, scan

PLAN = Path(__file__).parent / "fixtures" / "loaders" / "terraform" / "plan"


def load() -> Document:
    docs, _ = load_documents([PLAN], PLAN, Config())
    (doc,) = docs
    return doc


def test_plan_policies_are_resolved_and_located_in_the_plan() -> None:
    doc = load()
    assert doc.source_format == "terraform-plan"
    found = {p.address: p for p in doc.all_policies()}
    assert set(found) == {
        "aws_iam_policy.admin",
        "aws_iam_role.app.assume_role_policy",
        "module.bucket.aws_s3_bucket_policy.this",
    }
    admin = found["aws_iam_policy.admin"]
    assert admin.managed and admin.statements[0].actions[0].value == "*"  # type: ignore[index]
    assert admin.statements[0].actions[0].span.line == 14  # type: ignore[index]
    assert found["aws_iam_role.app.assume_role_policy"].kind == "trust"
    assert found["module.bucket.aws_s3_bucket_policy.this"].kind == "resource"


def test_plan_check_reports_iam101_and_iam205() -> None:
    result = scan([PLAN], PLAN, Config(select=("IAM101", "IAM205")))
    got = sorted((f.rule_id, f.span.path, f.span.line) for f in result.findings)
    assert got == [("IAM101", "plan.json", 14), ("IAM205", "plan.json", 46)]


def test_broken_plan_is_iam000(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(
        '{"format_version": "1.2", "planned_values": {"root_module": {', encoding="utf-8"
    )
    docs, _ = load_documents([tmp_path], tmp_path, Config())
    (doc,) = docs
    assert doc.errors and doc.errors[0].span.line == 1


IDENTITIES = PLAN.parent / "plan_identities"


def test_plan_identities_are_linked_as_in_the_configuration() -> None:
    docs, _ = load_documents([IDENTITIES], IDENTITIES, Config())
    (doc,) = docs
    idents = {i.address: i for i in doc.identities}
    dev, app = idents["aws_iam_user.dev"], idents["aws_iam_role.app"]
    assert [g.value for g in dev.groups] == ["devs"] and dev.has_login_profile
    assert [p.address for p in app.inline_policies] == ['aws_iam_role.app.inline_policy["logs"]']
    # policy_arn is known only after apply: the configuration's reference
    # links the attachment to the policy it attaches.
    assert [(r.target, r.address) for r in app.managed_policies] == [
        ("aws_iam_policy.read", "aws_iam_role_policy_attachment.read"),
        (None, "aws_iam_policy_attachment.shared"),
    ]
    worker = idents["module.worker.aws_iam_role.this[0]"]
    assert [r.value.value for r in worker.managed_policies] == [
        "arn:aws:iam::aws:policy/AmazonSQSFullAccess"
    ]
    # A role the plan does not create still gets what is attached to it.
    (external,) = [i for i in doc.identities if i.external]
    assert external.name is not None and external.name.value == "existing-role"
    kinds = {p.address: p.kind for p in doc.policies}
    assert kinds == {"aws_iam_policy.read": "identity", "aws_vpc_endpoint.s3": "boundary"}
    (password,) = doc.password_policies
    assert password.minimum_length is not None and password.minimum_length.value == 8
    assert password.max_age is None


def test_plan_identity_rules_see_memberships_and_attachments() -> None:
    result = scan([IDENTITIES], IDENTITIES, Config(select=("IAM304", "IAM305", "IAM307", "IAM403")))
    got = sorted((f.rule_id, f.address) for f in result.findings)
    assert got == [
        ("IAM304", "aws_iam_role_policy_attachment.admin.role"),
        ("IAM305", "module.worker.aws_iam_role.this[0]"),
        ("IAM403", "aws_iam_account_password_policy.strict"),
        ("IAM403", "aws_iam_account_password_policy.strict"),
    ]
    # No IAM307: the user's group membership is in the plan.


REVIEW = PLAN.parent / "plan_review"


def _plan(case: str) -> Document:
    docs, _ = load_documents([REVIEW / case], REVIEW / case, Config())
    (doc,) = docs
    return doc


def test_plan_links_by_configuration_within_each_module_instance() -> None:
    # module.svc["a"] and ["b"] both have aws_iam_role.this[0]: each
    # attachment links to its own instance's role.
    doc = _plan("modules")
    assert not [i for i in doc.identities if i.external]
    for key in ("a", "b"):
        (role,) = [
            i for i in doc.identities if i.address == f'module.svc["{key}"].aws_iam_role.this[0]'
        ]
        assert [r.address for r in role.managed_policies] == [
            f'module.svc["{key}"].aws_iam_role_policy_attachment.this[0]'
        ]


def test_plan_links_a_counted_policy_known_after_apply_by_its_key() -> None:
    result = scan([REVIEW / "counted"], REVIEW / "counted", Config(select=("IAM107",)))
    assert [f.rule_id for f in result.findings] == ["IAM107"]


def test_plan_attributes_known_after_apply_link_to_what_they_reference() -> None:
    doc = _plan("unknowns")
    idents = {i.address: i for i in doc.identities}
    assert [g.value for g in idents["aws_iam_user.a"].groups] == ["aws_iam_group.g"]
    for role in ("aws_iam_role.r", "aws_iam_role.s"):
        assert [r.address for r in idents[role].managed_policies] == ["aws_iam_policy_attachment.x"]
    assert not [i for i in doc.identities if i.external]


def test_plan_boundary_known_after_apply_is_a_boundary() -> None:
    result = scan([REVIEW / "boundary"], REVIEW / "boundary", Config(select=("IAM303",)))
    assert result.findings == ()
