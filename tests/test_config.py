"""Configuration files, as a user writes them, through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from iamlint.cli import main

SCOPED = (
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*",'
    ' "Resource": "arn:aws:s3:::data/*"}}'
)
ADMIN = (
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'
)


def run(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(list(args))
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "scoped.json").write_text(SCOPED, encoding="utf-8")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "admin.json").write_text(ADMIN, encoding="utf-8")
    return tmp_path


def test_pyproject_table_applies(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.iamlint]\nignore = ["IAM102"]\n'
        'per-file-ignores = {"legacy/*" = ["IAM101"]}\n',
        encoding="utf-8",
    )
    code, out, _ = run(project, "check", capsys=capsys)
    assert (code, out.strip()) == (0, "No findings in 2 files.")


def test_nearest_config_wins_and_iamlint_toml_beats_pyproject(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.iamlint]\nignore = ["IAM102"]\n', "utf-8")
    sub = project / "policies"
    (sub / ".iamlint.toml").write_text('severity = {IAM102 = "critical"}\n', encoding="utf-8")
    code, out, _ = run(sub, "check", "--format", "json", capsys=capsys)
    (finding,) = json.loads(out)["findings"]
    assert (code, finding["rule"], finding["severity"]) == (1, "IAM102", "critical")
    (project / ".iamlint.toml").write_text('fail-on = "critical"\n', encoding="utf-8")
    code, out, _ = run(project, "check", "--format", "json", capsys=capsys)
    assert code == 1  # the admin grant is critical; IAM102 is no longer ignored
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"IAM101", "IAM102"}


def test_fail_on_exclude_and_explicit_config(
    project: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path_factory.mktemp("cfg") / "strict.toml"
    elsewhere.write_text('fail-on = "critical"\nextend-exclude = ["legacy"]\n', encoding="utf-8")
    code, out, _ = run(project, "check", "--config", str(elsewhere), capsys=capsys)
    assert code == 0 and "IAM102" in out and "IAM101" not in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('selct = ["IAM1"]\n', ".iamlint.toml: selct: unknown key; allowed keys are select, "),
        ('ignore = ["IAM999"]\n', ".iamlint.toml: ignore: unknown rule or prefix 'IAM999'"),
        ('fail-on = "urgent"\n', ".iamlint.toml: fail-on: expected one of info, low, medium"),
        ("[rules.IAM999]\nx = 1\n", ".iamlint.toml: rules.IAM999: unknown rule id 'IAM999'"),
        (
            "[rules.IAM101]\nx = 1\n",
            ".iamlint.toml: rules.IAM101.x: unknown option; IAM101 takes: none",
        ),
        ("max-file-size = -1\n", ".iamlint.toml: max-file-size: expected a positive integer"),
        ('own-accounts = ["12345"]\n', ".iamlint.toml: own-accounts: expected a list of 12-digit"),
        ("select = [\n", ".iamlint.toml: invalid TOML"),
    ],
)
def test_config_errors_are_one_clear_line_and_exit_two(
    project: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".iamlint.toml").write_text(text, encoding="utf-8")
    code, out, err = run(project, "check", capsys=capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert str(project / ".iamlint.toml") in err


def test_config_command_shows_the_resolved_configuration(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".iamlint.toml").write_text(
        'ignore = ["IAM102"]\nown-accounts = ["111122223333"]\n', encoding="utf-8"
    )
    code, out, _ = run(project, "config", capsys=capsys)
    shown = json.loads(out)
    assert code == 0
    assert shown["source"] == str(project / ".iamlint.toml")
    assert shown["ignore"] == ["IAM102"] and shown["own-accounts"] == ["111122223333"]
    code, out, _ = run(project / "legacy", "config", "--config", "/nonexistent.toml", capsys=capsys)
    assert code == 2
