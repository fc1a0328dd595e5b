"""The command line as a user runs it: exit codes, findings, formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint.cli import main

ADMIN = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}
"""
SCOPED = """{
  "Version": "2012-10-17",
  "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}
}
"""
CLEAN = """{
  "Version": "2012-10-17",
  "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
}
"""


def run(tmp_path: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = main(list(args))
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_clean_tree_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "policy.json", CLEAN)
    write(tmp_path, "package.json", '{"name": "web", "version": "1.0.0"}')
    code, out, _ = run(tmp_path, "check", capsys=capsys)
    assert code == 0
    assert "No findings in 1 file" in out


def test_findings_exit_one_with_exact_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "p/admin.json", ADMIN)
    code, out, _ = run(tmp_path, "check", "p", capsys=capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        "p/admin.json:4:35: IAM101 full-admin-access Allow of every action ('*') on every"
        " resource: full administrator access"
    )
    assert '{"Effect": "Allow", "Action": "*", "Resource": "*"}' in out.splitlines()[1]


def test_select_ignore_fail_on_exit_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "scoped.json", SCOPED)
    assert run(tmp_path, "check", capsys=capsys)[0] == 1
    assert run(tmp_path, "check", "--ignore", "IAM102", capsys=capsys)[0] == 0
    assert run(tmp_path, "check", "--select", "IAM101,IAM205", capsys=capsys)[0] == 0
    assert run(tmp_path, "check", "--select", "IAM1", capsys=capsys)[0] == 1
    assert run(tmp_path, "check", "--fail-on", "critical", capsys=capsys)[0] == 0
    code, out, _ = run(tmp_path, "check", "--exit-zero", capsys=capsys)
    assert code == 0 and "IAM102" in out


def test_unknown_rule_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(tmp_path, "check", "--select", "IAM999", capsys=capsys)
    assert code == 2
    assert "unknown rule or prefix 'IAM999'" in err


def test_unreadable_file_exits_two_and_keeps_other_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "a_broken.json", '{"Version": "2012-10-17", "Statement": [')
    write(tmp_path, "b_admin.json", ADMIN)
    write(tmp_path, "c_binary.json", b'{"Statement": \x00\x01\x02')
    code, out, _ = run(tmp_path, "check", "--format", "json", capsys=capsys)
    assert code == 2
    report = json.loads(out)
    got = {(f["rule"], f["path"], f["line"]) for f in report["findings"]}
    assert got == {
        ("IAM000", "a_broken.json", 1),
        ("IAM101", "b_admin.json", 4),
        ("IAM000", "c_binary.json", 1),
    }
    assert report["summary"]["unreadable"] == 2


def test_deep_nesting_and_huge_files_are_reported_not_crashed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "deep.json", '{"Statement": ' + "[" * 50_000 + "]" * 50_000 + "}")
    big = '{"Statement": [' + ",".join([CLEAN.strip()] * 30_000) + "]}"
    write(tmp_path, "huge.json", big)
    write(tmp_path, "huge-lockfile.json", '{"lockfileVersion": 3, "x": "' + "a" * 300_000 + '"}')
    code, out, _ = run(
        tmp_path, "check", "--format", "json", "--max-file-size", "200000", capsys=capsys
    )
    assert code == 2
    messages = {f["path"]: f["message"] for f in json.loads(out)["findings"]}
    assert set(messages) == {"deep.json", "huge.json"}
    assert "nesting deeper than" in messages["deep.json"]
    assert messages["huge.json"] == (
        "file is 3.6 MiB, above the 195 KiB limit: not scanned (see --max-file-size)"
    )


def test_missing_path_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, "check", "nope.json", capsys=capsys)
    assert code == 2
    assert "nope.json:1:1: IAM000 parse-error no such file or directory" in out


def test_gitignored_files_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "build/\n")
    write(tmp_path, "build/admin.json", ADMIN)
    write(tmp_path, "node_modules/pkg/admin.json", ADMIN)
    assert run(tmp_path, "check", capsys=capsys)[0] == 0
    assert run(tmp_path, "check", "build/admin.json", capsys=capsys)[0] == 1


def test_output_file_and_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "admin.json", ADMIN)
    code, out, _ = run(
        tmp_path, "check", "--format", "sarif", "--output", "out.sarif", capsys=capsys
    )
    assert code == 1 and out == ""
    sarif = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "IAM101"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "admin.json", ADMIN)
    code, out, _ = run(tmp_path, "check", "--format", "github", capsys=capsys)
    assert code == 1
    assert out.startswith("::error file=admin.json,line=4,")


def test_rule_and_rules_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, "rule", "IAM101", capsys=capsys)
    assert code == 0
    assert out.startswith("# IAM101 full-admin-access (critical)")
    assert "## Why is this bad?" in out
    assert run(tmp_path, "rule", "full-admin-access", capsys=capsys)[0] == 0
    assert run(tmp_path, "rule", "IAM999", capsys=capsys)[0] == 2
    code, out, _ = run(tmp_path, "rules", "--format", "json", capsys=capsys)
    ids = [r["id"] for r in json.loads(out)]
    assert ids == sorted(ids) and "IAM205" in ids


def test_policies_shows_what_was_extracted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        "bucket.json",
        """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::data/*"
  }]
}""",
    )
    code, out, _ = run(tmp_path, "policies", "--format", "json", ".", capsys=capsys)
    assert code == 0
    (policy,) = json.loads(out)
    assert policy["kind"] == "resource" and policy["path"] == "bucket.json"
    assert policy["statements"][0]["principals"] == [
        {"kind": "AWS", "value": "arn:aws:iam::111122223333:root"}
    ]
    assert policy["statements"][0]["line"] == 3


def test_console_script_and_module_entry_point(tmp_path: Path) -> None:
    write(tmp_path, "admin.json", ADMIN)
    proc = subprocess.run(
        [sys.executable, "-m", "iamlint", "check", "admin.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert "IAM101" in proc.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "iamlint", "check", "--format", "xml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert usage.returncode == 2


def test_parallel_jobs_give_identical_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from iamlint.scan import PARALLEL_THRESHOLD

    for i in range(PARALLEL_THRESHOLD + 6):
        text = [ADMIN, SCOPED, CLEAN][i % 3]
        write(tmp_path, f"team{i % 4}/policy{i:03}.json", text)
    write(tmp_path, "team1/broken.json", '{"Statement": [')
    code1, out1, _ = run(tmp_path, "check", "--format", "json", "--jobs", "1", capsys=capsys)
    code2, out2, _ = run(tmp_path, "check", "--format", "json", "--jobs", "2", capsys=capsys)
    assert (code1, out1) == (code2, out2)
    assert code1 == 2
    findings = json.loads(out1)["findings"]
    assert len(findings) == 24 + 23 + 1  # admin, service wildcard, broken
    assert [f["path"] for f in findings] == sorted(f["path"] for f in findings)


VAR_POLICY = """variable "actions" {
  default = ["s3:GetObject"]
}

resource "aws_iam_policy" "app" {
  name = "app"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }]
  })
}
"""


def test_var_file_sets_root_module_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "infra/main.tf", VAR_POLICY)
    write(tmp_path, "env/prod.tfvars", '# production\nactions = ["*"]\n')
    write(tmp_path, "env/dev.tfvars.json", '{"actions": ["s3:GetObject"]}')
    args = ("check", "--no-cache", "--select", "IAM101", "infra")
    code, out, _ = run(tmp_path, *args, capsys=capsys)
    assert code == 0, out
    code, out, _ = run(tmp_path, *args, "--var-file", "env/prod.tfvars", capsys=capsys)
    assert code == 1
    assert out.startswith("env/prod.tfvars:2:12: IAM101 ")
    # Later files win, as with terraform plan -var-file.
    more = ("--var-file", "env/prod.tfvars", "--var-file", "env/dev.tfvars.json")
    code, out, _ = run(tmp_path, *args, *more, capsys=capsys)
    assert code == 0, out
    code, out, _ = run(
        tmp_path, "policies", "--var-file", "env/prod.tfvars", "infra", capsys=capsys
    )
    assert code == 0 and "    actions: *\n" in out


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.tfvars", None, "--var-file missing.tfvars: no such file"),
        ("bad.tfvars", 'a = "x"\nb = [1,\n', "--var-file bad.tfvars:2:"),
        ("bad.tfvars.json", '{"a": [1,}', "--var-file bad.tfvars.json:1:"),
        ("list.tfvars.json", "[1]", "holds one JSON object"),
        ("blocks.tfvars", 'a = 1\nresource "x" "y" {}\n', "blocks.tfvars:2:1: a variables file"),
        ("binary.tfvars", b"a = 1\n\xff\xfe\x00", "--var-file binary.tfvars:2:"),
        ("/dev/zero", None, "--var-file /dev/zero: larger than 1024 KiB"),
    ],
)
def test_unusable_var_file_is_a_usage_error_before_scanning(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str | bytes | None,
    message: str,
) -> None:
    write(tmp_path, "main.tf", VAR_POLICY)
    if text is not None:
        write(tmp_path, name, text)
    code, out, err = run(tmp_path, "check", "--var-file", name, capsys=capsys)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_a_var_file_is_read_once_so_a_pipe_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--var-file <(...)` and /dev/stdin give their content to one reader.
    write(tmp_path, "main.tf", VAR_POLICY)
    var_file = write(tmp_path, "prod.tfvars", 'actions = ["*"]\n')
    opened: list[str] = []
    real_open = open

    def counting(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("prod.tfvars"):
            import traceback

            opened.append("".join(traceback.format_stack(limit=5)))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read_bytes({self})"))
    # JSON: the text report re-reads a finding's file for its excerpt,
    # which a pipe no longer gives (the finding is still reported).
    args = ("check", "--format", "json", "--jobs", "1", "--var-file", str(var_file))
    code, out, _ = run(tmp_path, *args, capsys=capsys)
    assert code == 1 and "IAM101" in out
    assert len(opened) == 1, "\n---\n".join(opened)
