"""The GitHub Action (action.yml) and the job summary it writes (iamlint.summary)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from iamlint import summary

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT_REF = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")
STEP_OUTPUT = re.compile(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")

ADMIN = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}
"""


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(action: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = action["runs"]["steps"]
    return result


def step(action: dict[str, Any], ident: str) -> dict[str, Any]:
    [found] = [s for s in steps(action) if s.get("id") == ident]
    return found


def all_text(value: Any) -> str:
    """Every string in a parsed YAML value, keys included."""
    if isinstance(value, dict):
        return "\n".join(all_text(k) + "\n" + all_text(v) for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(all_text(v) for v in value)
    return str(value) if value is not None else ""


# -- action.yml -------------------------------------------------------------


def test_is_a_composite_action(action: dict[str, Any]) -> None:
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    for s in steps(action):
        assert "run" in s or "uses" in s, s
        if "run" in s:
            assert s.get("shell") == "bash", s.get("name")


def test_every_input_used_is_declared_and_every_declared_input_used(
    action: dict[str, Any],
) -> None:
    declared = set(action["inputs"])
    used = set(INPUT_REF.findall(all_text(action["runs"])))
    assert used <= declared, f"used but not declared: {sorted(used - declared)}"
    assert declared <= used, f"declared but never used: {sorted(declared - used)}"
    assert {"paths", "fail-on", "args", "version", "upload-sarif"} <= declared
    assert action["inputs"]["paths"]["default"] == "."
    assert action["inputs"]["upload-sarif"]["default"] == "true"
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default", ""), str), name


def test_scripts_take_inputs_from_the_environment_only(action: dict[str, Any]) -> None:
    # An expression inside a script is pasted into the shell code before it
    # runs: a path or argument could then inject commands.
    for s in steps(action):
        assert "${{" not in s.get("run", ""), s.get("name")


def test_step_outputs_used_are_produced(action: dict[str, Any]) -> None:
    for ident, name in STEP_OUTPUT.findall(all_text(action)):
        producer = step(action, ident)
        if "run" in producer:  # a script writes name=value to $GITHUB_OUTPUT
            assert f"{name}=" in producer["run"], (ident, name)
    for name, spec in action["outputs"].items():
        assert STEP_OUTPUT.search(spec["value"]), name


def test_installs_from_the_action_checkout_or_a_release(action: dict[str, Any]) -> None:
    install = step(action, "install")
    env = install["env"]
    assert "${{ github.action_path }}" in env.values()
    assert "${{ inputs.version }}" in env.values()
    assert "pip install" in install["run"]


def test_check_writes_sarif_and_keeps_the_exit_code(action: dict[str, Any]) -> None:
    check = step(action, "check")
    assert "--format sarif" in check["run"]
    assert check["env"]["SARIF_FILE"] == "${{ inputs.sarif-file }}"
    assert action["inputs"]["sarif-file"]["default"] == "iamlint.sarif"
    assert 'exit "$code"' in check["run"]


def test_uploads_sarif_with_a_category_even_when_the_check_fails(action: dict[str, Any]) -> None:
    [upload] = [s for s in steps(action) if "upload-sarif" in s.get("uses", "")]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"]["category"] == "iamlint"
    assert "steps.check.outputs.sarif-file" in upload["with"]["sarif_file"]
    condition = upload["if"]
    assert "always()" in condition
    assert "inputs.upload-sarif == 'true'" in condition


def test_writes_the_job_summary(action: dict[str, Any]) -> None:
    [write] = [s for s in steps(action) if "iamlint.summary" in s.get("run", "")]
    assert "always()" in write["if"]
    assert '"$GITHUB_STEP_SUMMARY"' in write["run"]


# -- the check step, run by bash as the runner would ------------------------


def expand(value: str, inputs: dict[str, str], python: str) -> str:
    """Evaluate the few expressions the action's env blocks use."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression[len("inputs.") :]]
        if expression == "steps.install.outputs.python":
            return python
        return ""

    return EXPRESSION.sub(one, value)


def run_check(
    action: dict[str, Any], workdir: Path, **overrides: str
) -> tuple[int, dict[str, str]]:
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    inputs.update({k.replace("_", "-"): v for k, v in overrides.items()})
    check = step(action, "check")
    outputs = workdir.parent / f"{workdir.name}-output.txt"
    outputs.write_text("", encoding="utf-8")
    env = dict(os.environ, GITHUB_OUTPUT=str(outputs))
    env.update({k: expand(v, inputs, sys.executable) for k, v in check["env"].items()})
    done = subprocess.run(
        ["bash", "-c", check["run"]],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = outputs.read_text(encoding="utf-8").splitlines()
    return done.returncode, dict(line.split("=", 1) for line in lines)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_check_step_runs(action: dict[str, Any], tmp_path: Path) -> None:
    work = tmp_path / "repo"
    (work / "policies").mkdir(parents=True)
    (work / "policies" / "admin.json").write_text(ADMIN, encoding="utf-8")
    (work / "iamlint.sarif").write_text("stale", encoding="utf-8")

    code, outputs = run_check(action, work)
    assert code == 1
    assert outputs == {"exit-code": "1", "sarif-file": "iamlint.sarif"}
    sarif = json.loads((work / "iamlint.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["IAM101"]

    # A usage error: exit 2, and no report left behind to upload.
    code, outputs = run_check(action, work, fail_on="severe")
    assert code == 2
    assert outputs == {"exit-code": "2"}

    # Paths and extra arguments, split on whitespace.
    (work / "other").mkdir()
    code, outputs = run_check(action, work, paths="other\n", args="--ignore IAM101")
    assert (code, outputs["exit-code"]) == (0, "0")


# -- iamlint.summary --------------------------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SARIF and JSON reports of `iamlint check` on a tree with an admin policy."""
    work = tmp_path_factory.mktemp("repo")
    (work / "policies").mkdir()
    (work / "policies" / "admin.json").write_text(ADMIN, encoding="utf-8")
    (work / "policies" / "broken.json").write_text(
        '{"Version": "2012-10-17", "Statement": [', encoding="utf-8"
    )
    for fmt in ("sarif", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "iamlint", "check", "--format", fmt, "-o", f"out.{fmt}", "."],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr  # a file could not be read
    return work


@pytest.mark.parametrize("fmt", ["sarif", "json"])
def test_summary_of_a_report(reports: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "summary.md"
    assert summary.main([str(reports / f"out.{fmt}"), "--output", str(out)]) == 0
    markdown = out.read_text(encoding="utf-8")
    assert markdown.startswith("## iamlint\n")
    assert "**2 findings**" in markdown
    assert "1 critical, 1 high" in markdown
    assert "| critical | 1 |" in markdown and "| medium | 0 |" in markdown
    assert "1 file could not be read" in markdown
    [row] = [line for line in markdown.splitlines() if line.startswith("| critical | IAM")]
    assert row.startswith("| critical | IAM101 full-admin-access | `policies/admin.json:6` | ")
    assert "('\\*')" in row  # Markdown emphasis characters escaped
    # The worst first: IAM101 (critical) before IAM000 (high).
    assert markdown.index("IAM101 full-admin-access") < markdown.index("IAM000 parse-error")
    # Appending, as $GITHUB_STEP_SUMMARY is shared by the steps of a job.
    assert summary.main([str(reports / f"out.{fmt}"), "-o", str(out), "--title", "again"]) == 0
    assert out.read_text(encoding="utf-8").startswith(markdown + "\n## again\n")


def test_summary_limit_and_links(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = "https://github.com/o/r/blob/abc123"
    args = [str(reports / "out.sarif"), "--limit", "1", "--link-base", base]
    assert summary.main(args) == 0
    markdown = capsys.readouterr().out
    assert "### Top findings" in markdown
    assert f"[`policies/admin.json:6`]({base}/policies/admin.json#L6)" in markdown
    assert "IAM000 parse-error" not in markdown
    assert "and 1 more" in markdown


def test_summary_without_findings() -> None:
    empty = {"version": 1, "tool": {"name": "iamlint", "version": "9"}, "findings": []}
    markdown = summary.render(summary.read_report(json.dumps(empty)))
    assert "No findings." in markdown
    assert "Top findings" not in markdown and "could not be read" not in markdown


def test_summary_escapes_markdown() -> None:
    item = summary.Item("IAM999", "x", "low", "a|b <img> *c*", "p|q.json", 3, 1)
    markdown = summary.render(summary.Summary((item,), None, ""))
    assert "a\\|b &lt;img&gt; \\*c\\*" in markdown
    assert "`p\\|q.json:3`" in markdown


def test_summary_of_an_unreadable_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.sarif"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert summary.main([str(bad)]) == 2
    assert summary.main([str(tmp_path / "missing.sarif")]) == 2
    err = capsys.readouterr().err
    assert "not a SARIF log" in err and "cannot read" in err
