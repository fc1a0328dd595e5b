"""Baselines: today's findings accepted, only new ones reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from iamlint.cli import main

POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Data", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}
  ]
}
"""


def run(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(list(args))
    finally:
        os.chdir(old)
    return code, capsys.readouterr().out


def test_baseline_hides_known_findings_even_when_lines_move(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "app.json"
    policy.write_text(POLICY, encoding="utf-8")
    code, _ = run(tmp_path, "check", "--write-baseline", "baseline.json", capsys=capsys)
    assert code == 0
    recorded = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))
    assert [r["rule"] for r in recorded["findings"]] == ["IAM102"]
    assert run(tmp_path, "check", "--baseline", "baseline.json", capsys=capsys)[0] == 0
    # Lines added above the finding: still the same finding.
    policy.write_text(POLICY.replace('"Statement": [', '"Id": "app",\n\n  "Statement": ['), "utf-8")
    assert run(tmp_path, "check", "--baseline", "baseline.json", capsys=capsys)[0] == 0
    # A new problem is reported.
    policy.write_text(
        POLICY.replace(
            "]\n}", ',\n    {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}\n  ]\n}'
        ),
        "utf-8",
    )
    code, out = run(tmp_path, "check", "--baseline", "baseline.json", capsys=capsys)
    assert code == 1
    assert "ec2" in out and "every s3 action" not in out


def test_bad_baseline_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.json").write_text("[1, 2]", encoding="utf-8")
    assert run(tmp_path, "check", "--baseline", "b.json", capsys=capsys)[0] == 2
    assert run(tmp_path, "check", "--baseline", "missing.json", capsys=capsys)[0] == 2
