"""The results cache: reused when nothing changed, never when something did."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import iamlint.scan
from iamlint.cli import main

ADMIN = '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'
WILD = '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}'


def run(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        main(["check", "--format", "json", "--select", "IAM101,IAM102", *args])
    finally:
        os.chdir(old)
    return [(f["path"], f["rule"]) for f in json.loads(capsys.readouterr().out)["findings"]]


def test_cache_is_reused_and_invalidated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    (tree / "a.json").write_text(ADMIN, encoding="utf-8")
    (tree / "b.json").write_text(WILD, encoding="utf-8")
    loaded: list[str] = []
    real = iamlint.scan.load_unit

    def counting(unit, config, overrides=None):  # type: ignore[no-untyped-def]
        loaded.extend(c.display for c in unit)
        return real(unit, config, overrides)

    monkeypatch.setattr(iamlint.scan, "load_unit", counting)
    args = ("--cache-dir", str(cache), "--jobs", "1")
    first = run(tree, *args, capsys=capsys)
    assert first == [("a.json", "IAM101"), ("b.json", "IAM102")]
    assert sorted(loaded) == ["a.json", "b.json"]

    loaded.clear()
    assert run(tree, *args, capsys=capsys) == first
    assert loaded == [], "an unchanged tree is not loaded again"

    (tree / "b.json").write_text(ADMIN.replace("*", "s3:GetObject", 1), encoding="utf-8")
    loaded.clear()
    assert run(tree, *args, capsys=capsys) == [("a.json", "IAM101")]
    assert loaded == ["b.json"], "only the changed file is loaded again"

    loaded.clear()
    assert run(tree, *args, "--ignore", "IAM101", capsys=capsys) == []
    assert sorted(loaded) == ["a.json", "b.json"], "another configuration misses the cache"

    loaded.clear()
    assert run(tree, "--no-cache", "--jobs", "1", capsys=capsys) == [("a.json", "IAM101")]
    assert sorted(loaded) == ["a.json", "b.json"]


def test_a_corrupt_cache_is_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    (tree / "a.json").write_text(ADMIN, encoding="utf-8")
    args = ("--cache-dir", str(cache))
    assert run(tree, *args, capsys=capsys) == [("a.json", "IAM101")]
    for f in cache.iterdir():
        f.write_text('{"format": 1, "files": {"a.json": [1, 2, 3]}, "units": {"x": 5}}', "utf-8")
    assert run(tree, *args, capsys=capsys) == [("a.json", "IAM101")]
    for f in cache.iterdir():
        f.write_bytes(b"\x00garbage")
    assert run(tree, *args, capsys=capsys) == [("a.json", "IAM101")]


CHILD = """variable "actions" {
  default = ["s3:GetObject"]
}

resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = "arn:aws:s3:::b/*" }]
  })
}
"""
CALLER = """variable "actions" {
  default = ["s3:GetObject"]
}

module "c" {
  source  = "./child"
  actions = var.actions
}

module "f" {
  source = "./files"
}
"""
FILED = """resource "aws_iam_policy" "p" {
  policy = file("${path.module}/policy/doc.txt")
}
"""


def test_a_module_is_checked_again_when_what_it_reads_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The root module's findings come from files outside its own directory:
    # the module it calls, a file() target, .tfvars, a --var-file. A change
    # to any of them must reach the next cached run. Only main.tf is named,
    # so the called modules' own units do not report the same findings.
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    for name, text in {
        "main.tf": CALLER,
        "child/main.tf": CHILD,
        "files/main.tf": FILED,
        "files/policy/doc.txt": WILD,
    }.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text, encoding="utf-8")
    old = os.getcwd()

    def caller_findings(*args: str) -> list[tuple[str, str]]:
        os.chdir(tree)
        try:
            options = ["--select", "IAM101,IAM102", "--jobs", "1", "--cache-dir", str(cache)]
            main(["check", "--format", "json", *options, *args, "main.tf"])
        finally:
            os.chdir(old)
        found = json.loads(capsys.readouterr().out)["findings"]
        return sorted(
            (f["rule"], f["address"]) for f in found if f["address"].startswith("module.")
        )

    assert caller_findings() == [("IAM102", "module.f.aws_iam_policy.p")]

    (tree / "terraform.tfvars").write_text('actions = ["s3:*"]\n', encoding="utf-8")
    assert ("IAM102", "module.c.aws_iam_policy.p") in caller_findings(), ".tfvars added"

    (tree / "child" / "main.tf").write_text(CHILD.replace("var.actions", '"s3:GetObject"'), "utf-8")
    assert ("IAM102", "module.c.aws_iam_policy.p") not in caller_findings(), "module edited"

    (tree / "child" / "more.tf").write_text(
        CHILD.replace('"p"', '"q"').replace(
            'variable "actions" {\n  default = ["s3:GetObject"]\n}\n', ""
        ),
        "utf-8",
    )
    assert ("IAM102", "module.c.aws_iam_policy.q") in caller_findings(), "file added to module"

    (tree / "files" / "policy" / "doc.txt").write_text(ADMIN, encoding="utf-8")
    assert ("IAM101", "module.f.aws_iam_policy.p") in caller_findings(), "file() target edited"

    var_file = tmp_path / "prod.tfvars"
    var_file.write_text('actions = ["s3:GetObject"]\n', encoding="utf-8")
    assert ("IAM102", "module.c.aws_iam_policy.q") not in caller_findings(
        "--var-file", str(var_file)
    )
    var_file.write_text('actions = ["*"]\n', encoding="utf-8")
    assert ("IAM102", "module.c.aws_iam_policy.q") in caller_findings("--var-file", str(var_file))


MODULE = """variable "actions" {
  default = ["s3:GetObject"]
}

resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }]
  })
}
"""


def _findings(
    cwd: Path, cache: Path, capsys: pytest.CaptureFixture[str], *paths: str
) -> list[tuple[str, str]]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        options = ["--select", "IAM101", "--jobs", "1", "--cache-dir", str(cache)]
        main(["check", "--format", "json", *options, *paths])
    finally:
        os.chdir(old)
    found = json.loads(capsys.readouterr().out)["findings"]
    return sorted((f["path"], f["address"]) for f in found)


def test_what_a_unit_may_read_depends_on_the_tree_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ../modules is outside `infra` but inside `.`: the same unit, scanned
    # as part of another tree, is checked again.
    (tmp_path / "infra").mkdir()
    (tmp_path / "modules" / "admin").mkdir(parents=True)
    (tmp_path / "modules" / "admin" / "main.tf").write_text(MODULE, encoding="utf-8")
    (tmp_path / "infra" / "main.tf").write_text(
        'module "admin" {\n  source  = "../modules/admin"\n  actions = ["*"]\n}\n', "utf-8"
    )
    cache = tmp_path / "cache"
    assert _findings(tmp_path, cache, capsys, "infra") == []
    assert _findings(tmp_path, cache, capsys, ".") == [
        ("infra/main.tf", "module.admin.aws_iam_policy.p")
    ]


def test_a_symlink_pointed_back_inside_the_tree_is_seen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "mods" / "real").mkdir(parents=True)
    outside.mkdir()
    (tree / "mods" / "real" / "main.tf").write_text(MODULE, encoding="utf-8")
    (outside / "main.tf").write_text(MODULE, encoding="utf-8")
    (tree / "mods" / "x").symlink_to(outside, target_is_directory=True)
    (tree / "main.tf").write_text(
        'module "x" {\n  source  = "./mods/x"\n  actions = ["*"]\n}\n', encoding="utf-8"
    )
    cache = tmp_path / "cache"
    assert _findings(tree, cache, capsys, "main.tf") == [], "outside the tree: not read"
    (tree / "mods" / "x").unlink()
    (tree / "mods" / "x").symlink_to(tree / "mods" / "real", target_is_directory=True)
    assert _findings(tree, cache, capsys, "main.tf") == [("main.tf", "module.x.aws_iam_policy.p")]


def test_a_file_read_through_link_dot_dot_is_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `link/../p.json` is real/p.json when link -> real/deeper: that file's
    # edits must reach the cache, not those of ./p.json.
    (tmp_path / "real" / "deeper").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "deeper", target_is_directory=True)
    admin = ADMIN.replace('"Statement"', '"Version": "2012-10-17", "Statement"')
    (tmp_path / "real" / "p.json").write_text(admin, encoding="utf-8")
    (tmp_path / "p.json").write_text(admin, encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  policy = file("link/../p.json")\n}\n', "utf-8"
    )
    cache = tmp_path / "cache"
    assert _findings(tmp_path, cache, capsys, "main.tf") == [("link/../p.json", "aws_iam_policy.p")]
    (tmp_path / "real" / "p.json").write_text(
        admin.replace('"*", "Resource"', '"s3:GetObject", "Resource"'), "utf-8"
    )
    assert _findings(tmp_path, cache, capsys, "main.tf") == []


def test_a_load_that_failed_inside_iamlint_is_not_cached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.tf").write_text(MODULE.replace("var.actions", '"*"'), encoding="utf-8")
    cache = tmp_path / "cache"
    import iamlint.loaders.terraform as terraform

    real = terraform.load
    monkeypatch.setattr(terraform, "load", lambda sources: 1 / 0)
    assert _findings(tmp_path, cache, capsys, "main.tf") == [("main.tf", None)]  # IAM000
    monkeypatch.setattr(terraform, "load", real)
    assert _findings(tmp_path, cache, capsys, "main.tf") == [("main.tf", "aws_iam_policy.p")]


def test_a_warm_run_trusts_unchanged_inputs_by_size_and_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "main.tf").write_text(MODULE, encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        'module "c" {\n  source  = "./child"\n  actions = ["*"]\n}\n', encoding="utf-8"
    )
    cache = tmp_path / "cache"
    expected = [("main.tf", "module.c.aws_iam_policy.p")]
    assert _findings(tmp_path, cache, capsys, "main.tf") == expected
    opened: list[str] = []
    real_open = open

    def counting(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith(".tf"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting)
    assert _findings(tmp_path, cache, capsys, "main.tf") == expected
    assert opened == [], "nothing read: the module's file is trusted by its size and time"
