"""Sharding a scan across CI runners, and merging their SARIF back into one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from iamlint.cli import main

ADMIN = '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'
WILD = '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}'


def run(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    if args[0] == "check":
        args = (*args, "--select", "IAM101,IAM102")
    try:
        code = main(list(args))
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for i in range(40):
        (tmp_path / f"team{i % 5}").mkdir(exist_ok=True)
        (tmp_path / f"team{i % 5}" / f"p{i:02}.json").write_text(
            ADMIN if i % 2 else WILD, encoding="utf-8"
        )
    return tmp_path


def test_shards_partition_the_work_and_merge_back(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(tree, "check", "--format", "json", capsys=capsys)
    whole = json.loads(out)["findings"]
    parts = []
    for k in (1, 2, 3):
        _, out, _ = run(tree, "check", "--format", "json", "--shard", f"{k}/3", capsys=capsys)
        parts.append(json.loads(out)["findings"])
        code, _, _ = run(
            tree,
            "check",
            "--format",
            "sarif",
            "--shard",
            f"{k}/3",
            "-o",
            f"s{k}.sarif",
            capsys=capsys,
        )
        assert code == 1
    assert all(parts), "every shard got some work"
    merged_json = sorted((f["path"], f["line"], f["rule"]) for p in parts for f in p)
    assert merged_json == sorted((f["path"], f["line"], f["rule"]) for f in whole)
    # The same split every time.
    _, again, _ = run(tree, "check", "--format", "json", "--shard", "2/3", capsys=capsys)
    assert json.loads(again)["findings"] == parts[1]

    code, _, _ = run(
        tree, "merge-sarif", "s1.sarif", "s2.sarif", "s3.sarif", "-o", "all.sarif", capsys=capsys
    )
    assert code == 0
    merged = json.loads((tree / "all.sarif").read_text(encoding="utf-8"))
    (sarif_run,) = merged["runs"]
    results = sarif_run["results"]
    assert len(results) == len(whole) == 40
    rule_ids = [r["id"] for r in sarif_run["tool"]["driver"]["rules"]]
    assert all(rule_ids[res["ruleIndex"]] == res["ruleId"] for res in results)
    assert sarif_run["invocations"] == [{"executionSuccessful": True}]


def test_bad_shard_and_bad_reports_are_usage_errors(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        run(tree, "check", "--shard", "4/3", capsys=capsys)
    assert exc.value.code == 2
    (tree / "x.sarif").write_text('{"version": "2.0.0", "runs": []}', encoding="utf-8")
    code, _, err = run(tree, "merge-sarif", "x.sarif", capsys=capsys)
    assert code == 2 and "not a SARIF 2.1.0 report" in err
