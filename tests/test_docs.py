"""Rule documentation comes from the rules' docstrings, and stays in sync."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint.cli import rules_table
from iamlint.engine import all_rules
from iamlint.rule import REQUIRED_SECTIONS, SECTION_ORDER, Rule, parse_sections

ROOT = Path(__file__).resolve().parent.parent
RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docstring_has_the_sections_in_ruff_order(rule: type[Rule]) -> None:
    doc = rule.documentation()
    headings = re.findall(r"^## (.+?)\s*$", doc, re.M)
    missing = [h for h in REQUIRED_SECTIONS if h not in headings]
    assert not missing, f"{rule.id} lacks {missing}"
    unknown = [h for h in headings if h not in SECTION_ORDER]
    assert not unknown, f"{rule.id} has unknown headings {unknown}"
    assert headings == sorted(headings, key=SECTION_ORDER.index), f"{rule.id} order"
    sections = parse_sections(doc)
    assert all(sections[h] for h in headings), f"{rule.id} has an empty section"
    assert "https://" in sections["References"]


def test_readme_rule_table_is_generated_from_the_rules() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", readme, re.S)
    assert m, "README.md lacks the rules:start/rules:end markers"
    generated = rules_table([r.info() for r in RULES])
    assert m.group(1) == generated, (
        "README rule table is stale: run `iamlint rules --format markdown`"
    )


def test_sarif_rule_help_is_the_docstring() -> None:
    from iamlint.findings import Report
    from iamlint.reporters import render

    infos = tuple(r.info() for r in RULES)
    out = io.StringIO()
    render("sarif", Report(findings=(), rules=infos, root=str(ROOT)), out)
    import json

    driver = json.loads(out.getvalue())["runs"][0]["tool"]["driver"]
    by_id = {d["id"]: d for d in driver["rules"]}
    for rule in RULES:
        assert by_id[rule.id]["help"]["markdown"] == rule.documentation()
        assert by_id[rule.id]["shortDescription"]["text"] == rule.info().summary


def test_the_example_project_reports_what_the_readme_says() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "iamlint", "check", "--no-cache", "--format", "json", "examples/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    found = {(f["path"], f["rule"]) for f in json.loads(proc.stdout)["findings"]}
    assert found == {
        ("examples/policies/breakglass-admin.json", "IAM101"),  # administrator grant
        ("examples/policies/ci-deployer.json", "IAM102"),  # s3:*
        ("examples/policies/ci-deployer.json", "IAM106"),
        ("examples/policies/website-bucket-policy.json", "IAM205"),  # public bucket
        ("examples/terraform/main.tf", "IAM203"),  # any repository may assume
        ("examples/terraform/main.tf", "IAM107"),  # UpdateFunctionCode + PassRole
        ("examples/terraform/main.tf", "IAM106"),
        ("examples/cloudformation/queue.yaml", "IAM501"),  # misspelt action
    }
