"""Every rule against its fixtures: tests/fixtures/<ID>/bad and /good.

Each entry directly under bad/ or good/ (a file, or a directory for formats
whose unit is a directory, like a Terraform module) is one case.
bad/expected.txt lists `path:line:column` for every finding the rule must
report under bad/, nothing more and nothing less; every bad case must have
at least one. No case under good/ may trip the rule. A meta-test requires a
bad and a good case in each input format the rule can see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint import loaders
from iamlint.config import Config
from iamlint.engine import all_rules
from iamlint.rule import Rule
from iamlint.scan import load_documents, scan

FIXTURES = Path(__file__).parent / "fixtures"
RULES = {cls.id: cls for cls in all_rules()}


def cases(rule_id: str, kind: str) -> list[Path]:
    directory = FIXTURES / rule_id / kind
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name != "expected.txt")


def expected(rule_id: str) -> set[str]:
    path = FIXTURES / rule_id / "bad" / "expected.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def config_for(rule_id: str) -> Config:
    # IAM001 judges suppressions of other rules' findings: run them all.
    return Config(select=("ALL",) if rule_id == "IAM001" else (rule_id,))


def findings_for(rule_id: str, case: Path) -> list[str]:
    """`path:line:col` of the rule's findings on one case, path relative to
    the case's parent directory."""
    result = scan([case], case.parent, config_for(rule_id))
    return [
        f"{f.span.path}:{f.span.line}:{f.span.column}"
        for f in result.findings
        if f.rule_id == rule_id
    ]


def formats_of(case: Path) -> set[str]:
    documents, _ = load_documents([case], case.parent, Config())
    return {d.source_format for d in documents}


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_bad_cases_report_exactly_the_expected_findings(rule_id: str) -> None:
    bad = cases(rule_id, "bad")
    assert bad, f"{rule_id} has no bad cases"
    found: list[str] = []
    for case in bad:
        hits = findings_for(rule_id, case)
        assert hits, f"{rule_id}: bad case {case.name} triggers nothing"
        found.extend(hits)
    assert sorted(found) == sorted(expected(rule_id))


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_good_cases_report_nothing(rule_id: str) -> None:
    good = cases(rule_id, "good")
    assert good, f"{rule_id} has no good cases"
    for case in good:
        result = scan([case], case.parent, config_for(rule_id))
        shown = [
            f"{f.rule_id} {f.span.path}:{f.span.line} {f.message}"
            for f in result.findings
            if f.rule_id == rule_id
        ]
        assert shown == [], f"good case {case.name} tripped: {shown}"


def _required_formats(rule: type[Rule]) -> list[str]:
    available = {loader.FORMAT for loader in loaders.loaders()}
    return [fmt for fmt in rule.formats if fmt in available]


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_format_the_rule_sees_has_bad_and_good_cases(rule_id: str) -> None:
    rule = RULES[rule_id]
    for fmt in _required_formats(rule):
        for kind in ("bad", "good"):
            have = [c for c in cases(rule_id, kind) if fmt in formats_of(c)]
            assert have, f"{rule_id} needs a {kind} case in format {fmt!r}"


def test_every_fixture_directory_belongs_to_a_rule() -> None:
    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("IAM")}
    assert dirs <= set(RULES), f"fixtures for unknown rules: {sorted(dirs - set(RULES))}"


def test_rule_ids_and_names_follow_the_catalogue_format() -> None:
    for rule_id, rule in RULES.items():
        assert rule_id[:3] == "IAM" and rule_id[3:].isdigit() and len(rule_id) == 6
        assert rule.name == rule.name.lower() and " " not in rule.name
        module = rule.__module__.rsplit(".", 1)[-1]
        assert module == f"{rule_id}_{rule.name.replace('-', '_')}", module
