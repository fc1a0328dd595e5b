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
