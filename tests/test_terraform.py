"""The Terraform loader: what a user sees from `iamlint policies` / `check`."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from iamlint.config import Config
from iamlint.loaders.tf_vars import read_var_file
from iamlint.model import PARTITION, THIS_ACCOUNT, Document, Policy, Unknown
from iamlint.scan import load_documents, scan

FIXTURES = Path(__file__).parent / "fixtures" / "loaders" / "terraform"


def load(case: str, root: Path | None = None) -> list[Document]:
    docs, _ = load_documents([FIXTURES / case], root or FIXTURES, Config())
    return [d for d in docs if d.source_format == "terraform"]


def policies(docs: list[Document]) -> dict[str, Policy]:
    return {p.address: p for d in docs for p in d.all_policies()}


def test_jsonencode_policy_is_managed_identity_policy_with_exact_lines() -> None:
    pol = policies(load("basic"))["aws_iam_policy.admin"]
    assert pol.kind == "identity" and pol.managed and pol.source_format == "terraform"
    (stmt,) = pol.statements
    assert stmt.actions is not None
    assert (stmt.actions[0].value, stmt.actions[0].span.line, stmt.actions[0].span.column) == (
        "*",
        11,
        20,
    )
    assert stmt.actions[0].span.path == "basic/main.tf"


def test_heredoc_trust_policy_keeps_this_account_and_partition() -> None:
    pol = policies(load("basic"))["aws_iam_role.app.assume_role_policy"]
    assert pol.kind == "trust" and pol.owner == "aws_iam_role.app"
    (stmt,) = pol.statements
    assert stmt.actions is not None and stmt.actions[0].span.line == 27
    assert stmt.principals is not None
    principal = stmt.principals[0].value
    assert principal.span.line == 26
    assert isinstance(principal.value, Unknown)
    kinds = [p.kind for p in principal.value.parts if isinstance(p, Unknown)]
    assert kinds == [PARTITION, THIS_ACCOUNT]
    assert principal.value.parts[0] == "arn:"


def test_policy_document_merges_by_sid_expands_dynamic_and_uses_tfvars() -> None:
    pol = policies(load("basic"))["aws_iam_role_policy.app"]
    assert pol.kind == "identity" and pol.owner == "aws_iam_role.app"
    sids = [s.sid.value if s.sid else None for s in pol.statements]
    assert sids == ["Logs", "Replaced", None, None, None]
    replaced = pol.statements[1]
    assert replaced.actions is not None and replaced.actions[0].value == "s3:*"
    assert replaced.actions[0].span.path == "basic/documents.tf"
    assert replaced.actions[0].span.line == 19
    assert replaced.resources is not None
    assert replaced.resources[0].value == "arn:aws:s3:::tfvars-bucket/*"
    queues = [s.resources[0].value for s in pol.statements[2:4] if s.resources]
    assert queues == [
        "arn:aws:sqs:eu-west-1:111122223333:a",
        "arn:aws:sqs:eu-west-1:111122223333:b",
    ]
    deny = pol.statements[4]
    assert deny.is_deny and deny.conditions[0].key.value == "aws:SecureTransport"


def test_unused_policy_document_is_its_own_policy_and_used_ones_are_not() -> None:
    found = policies(load("basic"))
    assert found["data.aws_iam_policy_document.unused"].kind == "resource"
    assert "data.aws_iam_policy_document.app" not in found
    assert "data.aws_iam_policy_document.base" not in found


def test_identity_collects_inline_attachments_boundary_and_trust() -> None:
    role, other = sorted((i for d in load("basic") for i in d.identities), key=lambda i: i.external)
    # `role = "app-role"` names no role of the module for certain (app's name
    # is "${var.env}-role"): the attachment goes to an external role.
    assert other.external and other.kind == "role" and other.name is not None
    assert (other.name.value, other.address) == (
        "app-role",
        "aws_iam_role_policy_attachment.readonly.role",
    )
    assert [r.value.value for r in other.managed_policies] == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ]
    assert role.address == "aws_iam_role.app" and role.kind == "role"
    assert [p.address for p in role.inline_policies] == ["aws_iam_role_policy.app"]
    assert [(r.target, r.address) for r in role.managed_policies] == [
        ("aws_iam_policy.admin", "aws_iam_role_policy_attachment.admin")
    ]
    assert role.permissions_boundary is not None
    assert role.trust_policy is not None
    assert isinstance(role.name.value if role.name else None, Unknown)  # var.env has no value


def test_resource_policy_owner_and_unknown_with_parts() -> None:
    pol = policies(load("basic"))["aws_s3_bucket_policy.public"]
    assert pol.kind == "resource" and pol.owner == "aws_s3_bucket.site"
    assert pol.owner_type == "aws_s3_bucket_policy"
    resource = pol.statements[0].resources[0].value  # type: ignore[index]
    assert isinstance(resource, Unknown)
    assert resource.parts[-1] == "/*"


def test_file_and_templatefile_are_read_with_lines_in_those_files() -> None:
    found = policies(load("files", FIXTURES / "files"))
    admin = found["aws_iam_policy.from_file"]
    action = admin.statements[0].actions[0]  # type: ignore[index]
    assert (action.span.path, action.span.line, action.value) == ("policies/admin.json", 6, "*")
    tpl = found["aws_iam_policy.from_template"]
    res = tpl.statements[0].resources[0]  # type: ignore[index]
    assert (res.value, res.span.path, res.span.line) == (
        "arn:aws:s3:::reports/*",
        "policies/bucket.json.tpl",
        7,
    )


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("aws_iam_policy.outside", "outside the scanned tree"),
        ("aws_iam_policy.absolute", "outside the scanned tree"),
        ("aws_iam_policy.missing", "no such file"),
    ],
)
def test_file_outside_the_tree_or_missing_is_refused_as_unknown(address: str, why: str) -> None:
    pol = policies(load("files", FIXTURES / "files"))[address]
    assert pol.statements == ()
    assert pol.version is not None and isinstance(pol.version.value, Unknown)
    assert why in pol.version.value.expression


def test_unbalanced_braces_are_iam000_with_line_and_the_rest_is_read() -> None:
    (doc,) = load("broken_braces")
    (error,) = doc.errors
    assert error.span.line == 11 and error.message.startswith("invalid HCL")
    assert [p.address for p in doc.policies] == ["aws_iam_policy.good"]


def test_unterminated_heredoc_is_iam000() -> None:
    (doc,) = load("broken_heredoc")
    (error,) = doc.errors
    assert "unterminated heredoc" in error.message and error.span.line == 8


def test_binary_file_is_iam000_not_a_traceback() -> None:
    (doc,) = load("binary")
    (error,) = doc.errors
    assert "binary" in error.message and error.span.line == 2


def test_recursive_locals_and_reference_cycles_end_as_unknown() -> None:
    found = policies(load("cycle"))
    stmt = found["aws_iam_policy.cyclic"].statements[0]
    assert stmt.actions is not None and not stmt.actions[0].known
    assert stmt.resources is not None and not stmt.resources[0].known
    other = found["aws_iam_role_policy.ref_cycle"].statements[0]
    assert other.resources is not None and not other.resources[0].known


def test_local_module_is_analysed_with_the_callers_arguments() -> None:
    found = policies(load("modules"))
    called = found["module.app.aws_iam_policy.this"]
    action = called.statements[0].actions[0]  # type: ignore[index]
    assert (action.value, action.span.path, action.span.line) == ("iam:*", "modules/main.tf", 3)
    alone = found["aws_iam_policy.this"]
    assert alone.statements[0].actions[0].value == "s3:GetObject"  # type: ignore[index]
    assert alone.statements[0].actions[0].from_default  # type: ignore[index]


def test_lambda_permission_is_a_one_statement_resource_policy() -> None:
    found = policies(load("lambda"))
    bucket = found["aws_lambda_permission.from_bucket"]
    (stmt,) = bucket.statements
    assert bucket.kind == "resource"
    assert stmt.principals is not None and stmt.principals[0].kind == "Service"
    keys = {c.key.value: c for c in stmt.conditions}
    assert set(keys) == {"aws:SourceArn", "aws:SourceAccount"}
    account = keys["aws:SourceAccount"].values[0].value
    assert isinstance(account, Unknown) and account.kind == THIS_ACCOUNT
    url = found["aws_lambda_permission.public_url"]
    assert url.owner == "aws_lambda_function.fn"
    assert url.statements[0].principals[0].kind == "*"  # type: ignore[index]


def test_for_each_literal_expands_count_zero_is_skipped() -> None:
    found = policies(load("foreach"))
    assert set(found) == {
        'aws_iam_policy.per_team["ops"]',
        'aws_iam_policy.per_team["dev"]',
        "aws_iam_policy.counted",
        "data.aws_iam_policy_document.maybe",
    }
    ops = found['aws_iam_policy.per_team["ops"]'].statements[0].actions[0]  # type: ignore[index]
    assert (ops.value, ops.span.line) == ("ec2:*", 3)


def test_suppression_comments_are_extracted() -> None:
    (doc,) = load("suppress")
    got = [
        (s.ids, s.reason, s.span.line, s.covers.line, s.covers.end_line) for s in doc.suppressions
    ]
    assert got == [
        (("IAM101",), "break-glass role reviewed in SEC-12", 1, 1, 2),
        (("IAM101", "IAM102"), "whole block", 2, 2, 12),
        (("IAM101",), "inline", 8, 8, 9),
    ]


def test_tf_json_files_are_read() -> None:
    found = policies(load("tfjson"))
    assert found["aws_iam_policy.json_admin"].statements[0].actions[0].value == "*"  # type: ignore[index]
    queue = found["aws_sqs_queue_policy.q"]
    assert queue.kind == "resource" and queue.statements[0].principals[0].kind == "*"  # type: ignore[index]


def test_check_reports_iam101_and_iam205_at_the_exact_lines() -> None:
    result = scan([FIXTURES / "basic"], FIXTURES, Config(select=("IAM101", "IAM205")))
    got = sorted((f.rule_id, f.span.path, f.span.line, f.span.column) for f in result.findings)
    assert got == [
        ("IAM101", "basic/main.tf", 11, 20),
        ("IAM205", "basic/main.tf", 57, 19),
    ]


def test_cli_check_on_broken_file_exits_2_and_reports_iam000_with_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        (FIXTURES / "broken_braces" / "main.tf").read_text(encoding="utf-8"), encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "iamlint", "check", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert '"IAM000"' in proc.stdout and "main.tf" in proc.stdout


def test_non_ascii_lines_use_character_columns(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n'
        '  description = "é€"\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",'
        ' Sid = "ééé", Action = "*", Resource = "*" }] })\n'
        "}\n",
        encoding="utf-8",
    )
    docs, _ = load_documents([tmp_path], tmp_path, Config())
    (pol,) = [p for d in docs for p in d.all_policies()]
    action = pol.statements[0].actions[0]  # type: ignore[index]
    line = (tmp_path / "main.tf").read_text(encoding="utf-8").splitlines()[2]
    assert action.span.line == 3 and action.span.column == line.index('"*"') + 1


def test_try_falls_through_a_missing_attribute_but_not_an_unknown_value(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
variable "statements" {
  default = [{ sid = "A", actions = ["s3:GetObject"], resources = ["*"] }]
}
variable "from_outside" {}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.statements
    content {
      sid       = try(statement.value.sid, null)
      actions   = try(statement.value.actions, null)
      resources = try(statement.value.resources, null)
      dynamic "not_principals" {
        for_each = try(statement.value.not_principals, [])
        content {
          type        = not_principals.value.type
          identifiers = not_principals.value.identifiers
        }
      }
    }
  }
  statement {
    actions   = try(var.from_outside.actions, ["s3:PutObject"])
    resources = ["*"]
  }
}
""",
        encoding="utf-8",
    )
    (policy,) = [p for d in load_documents([tmp_path], tmp_path, Config())[0] for p in d.policies]
    first, second = policy.statements
    assert first.not_principals is None, "a missing attribute is an error try() skips"
    assert [a.value for a in first.actions or ()] == ["s3:GetObject"]
    (action,) = second.actions or ()
    assert isinstance(action.value, Unknown), "unknown until apply: never the fallback"


def test_a_long_scan_does_not_keep_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamlint.loaders import tf_world

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            'resource "aws_iam_policy" "p" {\n  policy = jsonencode({Statement = []})\n}\n',
            encoding="utf-8",
        )
    monkeypatch.setattr(tf_world, "WORLD_LIMIT", 10)
    load_documents([tmp_path / "a"], tmp_path, Config())
    first = tf_world.world()
    load_documents([tmp_path / "b"], tmp_path, Config())
    assert tf_world.world() is not first, "past the limit, a unit starts a fresh World"
    assert all(pf.display.startswith("b/") for pf in tf_world.world().files)


def test_collections_link_all_their_instances_only_when_unfiltered() -> None:
    docs = load("collections")
    identities = {i.address: i for d in docs for i in d.identities}
    groups = {a: [g.value for g in i.groups] for a, i in identities.items() if i.kind == "user"}
    assert groups == {
        'aws_iam_user.team["ana"]': ["aws_iam_group.devs"],
        'aws_iam_user.team["bo"]': ["aws_iam_group.devs"],
        'aws_iam_user.crew["cy"]': [],  # filtered for_each
        'aws_iam_user.crew["di"]': [],
        'aws_iam_user.band["ed"]': [],  # filtered for expression, unknown key
        'aws_iam_user.band["flo"]': [],
    }
    inline = {a: [p.address for p in i.inline_policies] for a, i in identities.items()}
    assert {a: p for a, p in inline.items() if p} == {
        "aws_iam_role.worker": ["aws_iam_role_policy.worker"]  # worker[0]: the count resource
    }
    (attached,) = identities['aws_iam_user.team["ana"]'].managed_policies
    assert attached.target == 'aws_iam_policy.per_team["read"]'  # the instance, by its key
    found = policies(docs)
    assert "aws_iam_user_policy.team" in found  # over a collection: standalone
    assert "data.aws_iam_policy_document.base" in found  # its only user has count = 0


def test_instances_share_only_what_their_callers_leave_at_defaults() -> None:
    # A module's values computed from its variables' defaults are reused by
    # its other instances: never by one whose caller passes that variable,
    # and a reused value still marks the documents it uses.
    found = policies(load("shared"))
    where = {}
    for address in ("first", "second", "third"):
        (resource,) = found[f"module.{address}.aws_iam_policy.read"].statements[0].resources or ()
        where[address] = (resource.value, resource.span.path, resource.span.line)
    assert where["first"] == where["third"] == ("*", "shared/mod/main.tf", 3)
    assert where["second"] == ("arn:aws:s3:::logs/*", "shared/main.tf", 10)
    # Each instance's document is used by its aws_iam_policy, so none of
    # them is reported again as a policy of its own.
    assert not [a for a in found if "aws_iam_policy_document" in a]


def test_variable_files_apply_in_terraforms_order_and_var_files_last() -> None:
    def resources(config: Config) -> list[tuple[object, str, int]]:
        docs, _ = load_documents([FIXTURES / "tfvars"], FIXTURES, config)
        (pol,) = [p for d in docs for p in d.all_policies()]
        return [(r.value, r.span.path, r.span.line) for r in pol.statements[0].resources or ()]

    auto_json = ("arn:aws:s3:::auto-json/*", "tfvars/b.auto.tfvars.json", 1)
    assert resources(Config()) == [
        ("arn:aws:s3:::tfvars/*", "tfvars/terraform.tfvars", 1),
        ("arn:aws:s3:::json/*", "tfvars/terraform.tfvars.json", 2),
        ("arn:aws:s3:::auto/*", "tfvars/a.auto.tfvars", 1),
        auto_json,
        auto_json,
    ]
    var_file, _ = read_var_file(FIXTURES / "tfvars" / "cli" / "prod.tfvars")
    assert var_file is not None
    assert resources(Config(var_files=(var_file,)))[3:] == [
        auto_json,
        ("arn:aws:s3:::prod/*", "tfvars/cli/prod.tfvars", 2),
    ]


def test_every_resource_policy_type_is_read_with_its_owner_and_lines() -> None:
    from iamlint.loaders.tf_resources import (
        FILTER_POLICIES,
        OTHER_IDENTITY_POLICIES,
        RESOURCE_POLICIES,
    )

    text = (FIXTURES / "resource_policies" / "main.tf").read_text(encoding="utf-8")
    lines = text.splitlines()
    found = policies(load("resource_policies"))
    assert len(found) == len(RESOURCE_POLICIES) + len(OTHER_IDENTITY_POLICIES)
    for type_, (_, owner_attr) in RESOURCE_POLICIES.items():
        pol = found[f"{type_}.this"]
        kind = "boundary" if type_ in FILTER_POLICIES else "resource"
        owner = f"aws_example_owner.{type_.removeprefix('aws_')}" if owner_attr else pol.address
        assert (pol.kind, pol.owner, pol.owner_type) == (kind, owner, type_)
        action = pol.statements[0].actions[0]  # type: ignore[index]
        start = lines.index(f'resource "{type_}" "this" {{')
        assert action.value == "s3:GetObject"
        assert (
            action.span.line == start + lines[start:].index('      Action    = "s3:GetObject"') + 1
        )
    for type_, (_, _, owner_type) in OTHER_IDENTITY_POLICIES.items():
        pol = found[f"{type_}.this"]
        assert (pol.kind, pol.owner_type) == ("identity", owner_type)
        assert pol.owner == "aws_ssoadmin_permission_set.admins"


def test_broken_tfvars_is_iam000_at_its_line_and_the_rest_still_applies(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "a" {}\n'
        'resource "aws_iam_policy" "p" {\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{\n'
        '    Effect = "Allow", Action = var.a, Resource = "*" }] })\n'
        "}\n",
        encoding="utf-8",
    )
    (tmp_path / "terraform.tfvars").write_text('a = "s3:GetObject"\nb = [1,\n', encoding="utf-8")
    (tmp_path / "x.auto.tfvars.json").write_text('{"a": ', encoding="utf-8")
    result = scan([tmp_path], tmp_path, Config(select=("IAM000",)))
    got = sorted((f.rule_id, f.span.path, f.span.line) for f in result.findings)
    assert got == [("IAM000", "terraform.tfvars", 2), ("IAM000", "x.auto.tfvars.json", 1)]
    (pol,) = [p for d in load_documents([tmp_path], tmp_path, Config())[0] for p in d.policies]
    assert pol.statements[0].actions[0].value == "s3:GetObject"  # type: ignore[index]


def test_a_document_named_in_nested_loops_is_marked_once_not_per_use(tmp_path: Path) -> None:
    # Each reuse of a memoised value replays the documents it marked used:
    # kept once each, or three nested loops over a document replay it a
    # million times over.
    items = ", ".join(str(i) for i in range(100))
    (tmp_path / "main.tf").write_text(
        'data "aws_iam_policy_document" "d" {\n'
        '  statement {\n    actions   = ["s3:GetObject"]\n    resources = ["*"]\n  }\n}\n'
        "locals {\n"
        "  d  = data.aws_iam_policy_document.d.json\n"
        f"  l1 = [for i in [{items}] : local.d]\n"
        f"  l2 = [for i in [{items}] : local.l1]\n"
        f"  l3 = [for i in [{items}] : local.l2]\n"
        "}\n"
        'resource "aws_iam_policy" "p" {\n'
        "  policy = local.l3[99][99][99]\n"
        "}\n",
        encoding="utf-8",
    )
    tracemalloc.start()
    try:
        docs, _ = load_documents([tmp_path], tmp_path, Config())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.address for d in docs for p in d.all_policies()] == ["aws_iam_policy.p"]
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB"


def test_a_default_that_reads_another_variable_is_not_shared(tmp_path: Path) -> None:
    # Terraform rejects `default = var.b`; the evaluator reads it, and what
    # it reads depends on the caller, so it is not shared between calls.
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "b" {}\n'
        'variable "a" {\n  default = var.b\n}\n'
        'resource "aws_iam_policy" "p" {\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{\n'
        '    Effect = "Allow", Action = var.a, Resource = "*" }] })\n'
        "}\n",
        encoding="utf-8",
    )
    (tmp_path / "main.tf").write_text(
        'module "one" {\n  source = "./m"\n  b      = "s3:GetObject"\n}\n'
        'module "two" {\n  source = "./m"\n  b      = "*"\n}\n',
        encoding="utf-8",
    )
    docs, _ = load_documents([tmp_path / "main.tf"], tmp_path, Config())
    found = {p.address: p for d in docs for p in d.all_policies()}
    actions = {a: p.statements[0].actions[0].value for a, p in found.items()}  # type: ignore[index]
    assert actions == {
        "module.one.aws_iam_policy.p": "s3:GetObject",
        "module.two.aws_iam_policy.p": "*",
    }


def test_a_nesting_error_in_a_shared_module_is_reported_in_every_group(tmp_path: Path) -> None:
    # zz/ is loaded after the root that calls it: its too-deep default was
    # first read in the root's group, and must still be reported in its own.
    (tmp_path / "zz").mkdir()
    deep = "[" * 65 + '"x"' + "]" * 65
    (tmp_path / "zz" / "main.tf").write_text(
        f'variable "v" {{\n  default = {deep}\n}}\n'
        "locals {\n  l = var.v\n}\n"
        'resource "aws_iam_policy" "p" {\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{\n'
        '    Effect = "Allow", Action = local.l, Resource = "*" }] })\n'
        "}\n",
        encoding="utf-8",
    )
    (tmp_path / "main.tf").write_text('module "a" {\n  source = "./zz"\n}\n', encoding="utf-8")
    result = scan([tmp_path], tmp_path, Config(select=("IAM000",)))
    assert [(f.span.path, f.span.line) for f in result.findings] == [("zz/main.tf", 2)]


def test_a_byte_order_mark_does_not_shift_the_first_line(tmp_path: Path) -> None:
    text = (
        'resource "aws_iam_policy" "p" { policy = jsonencode({ Version = "2012-10-17",'
        ' Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] }) }\n'
    )
    (tmp_path / "main.tf").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (pol,) = [p for d in load_documents([tmp_path], tmp_path, Config())[0] for p in d.policies]
    action = pol.statements[0].actions[0]  # type: ignore[index]
    assert (action.span.line, action.span.column) == (1, text.index('"*"') + 1)


def test_loading_restores_the_garbage_collector_threshold() -> None:
    import gc

    before = gc.get_threshold()
    load("basic")
    assert gc.get_threshold() == before


def test_identities_declared_elsewhere_are_one_per_known_name_and_per_place_otherwise() -> None:
    docs = load("external")
    externals = {i.address: i for d in docs for i in d.identities if i.external}
    managed = {a: [r.value.value for r in i.managed_policies] for a, i in externals.items()}
    # "ext-u1" is one user, wherever it is named; ext-u2 and ext-r others.
    assert managed["aws_iam_policy_attachment.shared.users[0]"] == [
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        "arn:aws:iam::aws:policy/IAMFullAccess",
    ]
    assert externals["aws_iam_policy_attachment.shared.users[1]"].kind == "user"
    assert externals["aws_iam_policy_attachment.shared.roles[0]"].kind == "role"
    # each.value of two resources, var.role_name in two files: unresolved
    # names may be different roles, so each place has its own.
    assert {"aws_iam_role_policy.ops.role", "aws_iam_role_policy.ci.role"} <= set(externals)
    assert {"aws_iam_role_policy_attachment.ro.role", "aws_iam_role_policy.p.role"} <= set(
        externals
    )
    result = scan([FIXTURES / "external"], FIXTURES, Config(select=("IAM107", "IAM102", "IAM001")))
    # No escalation from two roles' policies merged, and the suppression
    # beside the policy in suppressed_b.tf still applies.
    assert [(f.rule_id, f.span.path) for f in result.findings] == []
    assert [f.rule_id for f in result.suppressed] == ["IAM102"]


def test_undecodable_tfvars_and_a_bom_before_bad_bytes_are_located(tmp_path: Path) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "main.tf").write_text('variable "x" {}\n', encoding="utf-8")
    (tmp_path / "vars" / "terraform.tfvars").write_bytes(b'x = "\xff"\n')
    (tmp_path / "bom").mkdir()
    (tmp_path / "bom" / "main.tf").write_bytes(b'\xef\xbb\xbfvariable "x" {}\n\xff\n')
    result = scan([tmp_path], tmp_path, Config(select=("IAM000",)))
    got = sorted((f.span.path, f.span.line, f.span.column) for f in result.findings)
    assert got == [("bom/main.tf", 2, 1), ("vars/terraform.tfvars", 1, 6)]


def test_a_host_that_turned_collection_off_keeps_it_off() -> None:
    import gc

    before = gc.get_threshold()
    gc.set_threshold(0)
    try:
        from iamlint import scan as scan_module

        with scan_module._few_collections():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)
