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
