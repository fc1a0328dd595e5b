"""The four output formats, on Report objects built by hand."""

from __future__ import annotations

import copy
import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import iamlint
from iamlint.findings import Finding, Report, RuleInfo, Severity
from iamlint.model import Span
from iamlint.reporters import FORMATS, render
from iamlint.reporters.github import annotation
from iamlint.reporters.sarif import file_uri
from iamlint.reporters.text import MAX_WIDTH

REPO = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"

RULES = (
    RuleInfo(
        id="IAM101",
        name="full-admin-access",
        severity="critical",
        summary="Allow of every action on every resource.",
        description="Finds statements that allow `*` on `*`.",
        documentation="## What it does\nFinds statements that allow `*` on `*`.\n",
        tags=("least-privilege",),
    ),
    RuleInfo(
        id="IAM102",
        name="service-wildcard-action",
        severity="high",
        summary="Allow of a whole service.",
        description="Finds `s3:*` and the like.",
        documentation="## What it does\nFinds `s3:*` and the like.\n",
        tags=("least-privilege", "security"),
    ),
    RuleInfo(
        id="IAM105",
        name="allow-not-resource",
        severity="medium",
        summary="Allow with NotResource.",
        description="Finds Allow statements with NotResource.",
        documentation="## What it does\nFinds Allow statements with NotResource.\n",
    ),
    RuleInfo(
        id="IAM301",
        name="inline-policy",
        severity="low",
        summary="An inline policy.",
        description="Finds inline policies.",
        documentation="Finds inline policies.",
        enabled_by_default=False,
    ),
)

POLICY = (
    '{\n  "Statement": [{\n    "Effect": "Allow",\n\t"Action": "*",\n    "Resource": "*"\n  }]\n}\n'
)


def make(
    rule_id: str,
    severity: Severity,
    path: str,
    line: int,
    column: int,
    end_line: int | None = None,
    end_column: int | None = None,
    *,
    message: str = "a message",
    name: str = "some-rule",
    address: str | None = None,
    suppressed_by: str | None = None,
) -> Finding:
    names = {rule.id: rule.name for rule in RULES} | {"IAM000": "parse-error"}
    return Finding(
        rule_id=rule_id,
        rule_name=names.get(rule_id, name),
        severity=severity,
        message=message,
        span=Span(
            path,
            line,
            column,
            line if end_line is None else end_line,
            column + 1 if end_column is None else end_column,
        ),
        fingerprint=f"{rule_id}:{path}:{address}",
        address=address,
        suppressed_by=suppressed_by,
    )


def report(
    *findings: Finding,
    root: str | Path = "/nonexistent-root",
    files: int = 1,
    suppressed: tuple[Finding, ...] = (),
    version: str = "1.2.3",
) -> Report:
    return Report(
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        rules=RULES,
        root=str(root),
        files_scanned=files,
        suppressed=suppressed,
        tool_version=version,
    )


def output(fmt: str, rep: Report, *, color: bool = False) -> str:
    out = io.StringIO()
    render(fmt, rep, out, color=color)
    return out.getvalue()


# --- the dispatcher --------------------------------------------------------


def test_formats_and_unknown_format() -> None:
    assert FORMATS == ("text", "json", "sarif", "github")
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", report(), io.StringIO())


def test_formats_are_imported_lazily() -> None:
    code = (
        "import io, sys\n"
        "import iamlint.reporters as r\n"
        "from iamlint.findings import Report\n"
        "mods = ['iamlint.reporters.' + m for m in"
        " ('text', 'json_report', 'sarif', 'github')]\n"
        "assert not [m for m in mods if m in sys.modules], sys.modules.keys()\n"
        "r.render('json', Report((), (), '/'), io.StringIO())\n"
        "loaded = sorted(m for m in mods if m in sys.modules)\n"
        "assert loaded == ['iamlint.reporters.json_report'], loaded\n"
        "assert 'jsonschema' not in sys.modules\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


# --- text ------------------------------------------------------------------


def test_text_exact_output(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "app.json").write_text(POLICY, encoding="utf-8")
    rep = report(
        make(
            "IAM101",
            "critical",
            "policies/app.json",
            4,
            12,
            4,
            15,
            message="Allows every action on every resource",
        ),
        make("IAM105", "medium", "policies/app.json", 2, 3, 6, 4, message="NotRes"),
        make("IAM102", "high", "policies/app.json", 99, 1, message="past the end"),
        make("IAM102", "high", "gone.json", 1, 1, message="file is missing"),
        root=tmp_path,
        files=4,
    )
    assert output("text", rep) == (
        "gone.json:1:1: IAM102 service-wildcard-action file is missing\n"
        "\n"
        "policies/app.json:2:3: IAM105 allow-not-resource NotRes\n"
        '  2 |   "Statement": [{\n'
        "\n"
        "policies/app.json:4:12: IAM101 full-admin-access"
        " Allows every action on every resource\n"
        '  4 | \t"Action": "*",\n'
        "    | \t          ^^^\n"
        "\n"
        "policies/app.json:99:1: IAM102 service-wildcard-action past the end\n"
        "\n"
        "Found 4 findings (1 critical, 2 high, 1 medium) in 4 files.\n"
    )


def test_text_caret_is_at_least_one_and_gutter_follows_line_number(
    tmp_path: Path,
) -> None:
    lines = [f"line {n}" for n in range(1, 13)]
    (tmp_path / "a.tf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # An empty range still gets one caret; line 12 widens the gutter.
    rep = report(make("IAM102", "high", "a.tf", 12, 6, 12, 6), root=tmp_path)
    assert output("text", rep).splitlines()[1:3] == [
        "  12 | line 12",
        "     |      ^",
    ]


def test_text_undecodable_file_prints_no_source(tmp_path: Path) -> None:
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00\x81garbage\n")
    rep = report(make("IAM102", "high", "bin.json", 1, 1), root=tmp_path)
    assert output("text", rep) == (
        "bin.json:1:1: IAM102 service-wildcard-action a message\n"
        "\n"
        "Found 1 finding (1 high) in 1 file.\n"
    )


def test_text_long_line_is_cut_around_the_column(tmp_path: Path) -> None:
    line = '{"Action": ' + ", ".join(f'"s3:Get{n}"' for n in range(200)) + "}"
    target = line.index('"s3:Get150"')
    (tmp_path / "plan.json").write_text(line + "\n", encoding="utf-8")
    rep = report(
        make("IAM102", "high", "plan.json", 1, target + 1, 1, target + 12),
        root=tmp_path,
    )
    shown, marker = output("text", rep).splitlines()[1:3]
    assert len(line) > MAX_WIDTH
    assert len(shown) <= len("  1 | ") + MAX_WIDTH + 2 * len("...")
    assert shown.startswith("  1 | ...") and shown.endswith("...")
    start = marker.index("^")
    assert marker.count("^") == 11
    assert shown[start : start + 11] == '"s3:Get150"'


def test_text_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "evil.json").write_text('{"Sid": "\x1b[2Jx"}\n', encoding="utf-8")
    rep = report(
        make("IAM102", "high", "evil.json", 1, 10, message="bad \x1b]0;title\x07"),
        root=tmp_path,
    )
    text = output("text", rep)
    assert "\x1b" not in text and "\x07" not in text
    # One replacement per character keeps the caret under the right column.
    assert text.splitlines()[1:3] == [
        '  1 | {"Sid": "\ufffd[2Jx"}',
        "    |          ^",
    ]


def test_text_summary_counts_unreadable_files_once() -> None:
    rep = report(
        make("IAM000", "high", "broken.yaml", 3, 1, message="bad indentation"),
        make("IAM000", "high", "broken.yaml", 9, 1, message="bad indentation"),
        make("IAM000", "high", "other.json", 1, 1, message="Expecting value"),
        files=5,
    )
    assert output("text", rep).splitlines()[-1] == (
        "Found 3 findings (3 high) in 5 files; 2 files could not be read."
    )
    one = report(make("IAM000", "high", "x.json", 1, 1), files=1)
    assert output("text", one).splitlines()[-1] == (
        "Found 1 finding (1 high) in 1 file; 1 file could not be read."
    )


def test_text_no_findings() -> None:
    assert output("text", report(files=4)) == "No findings in 4 files.\n"
    assert output("text", report(files=1)) == "No findings in 1 file.\n"
    assert output("text", report(files=0)) == "No findings in 0 files.\n"


def test_text_color_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(POLICY, encoding="utf-8")
    rep = report(make("IAM101", "critical", "p.json", 4, 12, 4, 15), root=tmp_path)
    plain = output("text", rep)
    colored = output("text", rep, color=True)
    assert "\x1b" not in plain
    assert "\x1b[1;31mIAM101\x1b[0m" in colored
    assert "\x1b[1;31m1 critical\x1b[0m" in colored
    assert "\x1b[1;31m^^^\x1b[0m" in colored
    # Stripping the colour codes gives the plain output back.
    for code in ("\x1b[1;31m", "\x1b[1m", "\x1b[0m"):
        colored = colored.replace(code, "")
    assert colored == plain


# --- json ------------------------------------------------------------------

FINDING_KEYS = [
    "rule",
    "name",
    "severity",
    "message",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "address",
    "fingerprint",
    "suppressed",
]


def test_json_shape_and_round_trip() -> None:
    admin = make(
        "IAM101",
        "critical",
        "policies/app.json",
        4,
        12,
        4,
        15,
        message="Allows every action on every resource",
        address="aws_iam_policy.admin",
    )
    broken = make("IAM000", "high", "broken.yaml", 2, 1, message="bad indentation")
    hidden = make(
        "IAM102",
        "high",
        "main.tf",
        7,
        3,
        address="aws_iam_role_policy.app",
        suppressed_by="legacy role, ticket OPS-12",
    )
    rep = report(admin, broken, files=3, suppressed=(hidden,))
    text = output("json", rep)
    assert text.startswith('{\n  "version": 1,\n  "tool": {\n    "name"')
    assert text.endswith("}\n")
    data = json.loads(text)

    assert list(data) == ["version", "tool", "summary", "findings"]
    assert data["version"] == 1
    assert data["tool"] == {"name": "iamlint", "version": "1.2.3"}
    assert data["summary"] == {
        "files": 3,
        "findings": 2,
        "by_severity": {"critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0},
        "unreadable": 1,
    }
    assert list(data["summary"]["by_severity"]) == [
        "critical",
        "high",
        "medium",
        "low",
        "info",
    ]

    first, second, third = data["findings"]
    assert list(first) == FINDING_KEYS
    assert list(second) == FINDING_KEYS
    assert list(third) == [*FINDING_KEYS, "suppression_reason"]
    assert first == {
        "rule": "IAM000",
        "name": "parse-error",
        "severity": "high",
        "message": "bad indentation",
        "path": "broken.yaml",
        "line": 2,
        "column": 1,
        "end_line": 2,
        "end_column": 2,
        "address": None,
        "fingerprint": "IAM000:broken.yaml:None",
        "suppressed": False,
    }
    assert second["address"] == "aws_iam_policy.admin"
    assert (second["line"], second["column"]) == (4, 12)
    assert (second["end_line"], second["end_column"]) == (4, 15)
    assert third["suppressed"] is True
    assert third["suppression_reason"] == "legacy role, ticket OPS-12"
    assert third["rule"] == "IAM102"


def test_json_tool_version_defaults_to_package_version() -> None:
    data = json.loads(output("json", report(version="")))
    assert data["tool"]["version"] == iamlint.__version__
    assert data["findings"] == []
    assert data["summary"]["findings"] == 0


# --- github ----------------------------------------------------------------


def test_github_escaping() -> None:
    finding = make(
        "IAM102",
        "high",
        "dir,one/a:b%.json",
        3,
        5,
        3,
        9,
        message="100% of s3:*,\r\nreally: all",
    )
    assert annotation(finding) == (
        "::error file=dir%2Cone/a%3Ab%25.json,line=3,col=5,endLine=3,endColumn=9,"
        "title=IAM102 service-wildcard-action"
        "::100%25 of s3:*,%0D%0Areally: all"
    )


def test_github_levels_and_multiline_spans() -> None:
    rep = report(
        make("IAM101", "critical", "a.json", 1, 1, 1, 4, message="m1"),
        make("IAM102", "high", "b.json", 1, 1, 1, 2, message="m2"),
        make("IAM105", "medium", "c.json", 2, 5, 8, 3, message="m3"),
        make("IAM301", "low", "d.json", 1, 1, message="m4"),
        make("IAM999", "info", "e.json", 1, 1, name="hint", message="m5"),
        suppressed=(make("IAM102", "high", "f.json", 1, 1, suppressed_by="ok"),),
    )
    assert output("github", rep).splitlines() == [
        (
            "::error file=a.json,line=1,col=1,endLine=1,endColumn=4,"
            "title=IAM101 full-admin-access::m1"
        ),
        (
            "::error file=b.json,line=1,col=1,endLine=1,endColumn=2,"
            "title=IAM102 service-wildcard-action::m2"
        ),
        # Columns only make sense (and survive the runner) on one line.
        "::warning file=c.json,line=2,endLine=8,title=IAM105 allow-not-resource::m3",
        ("::notice file=d.json,line=1,col=1,endLine=1,endColumn=2,title=IAM301 inline-policy::m4"),
        "::notice file=e.json,line=1,col=1,endLine=1,endColumn=2,title=IAM999 hint::m5",
    ]


# --- sarif -----------------------------------------------------------------


def _require(ok: bool, reason: str) -> None:
    """Skip when something the test needs is missing, but fail under CI."""
    if not ok:
        if "CI" in os.environ:
            pytest.fail(f"{reason} (CI is set, so this is not skipped)")
        pytest.skip(reason)


def _sarif_validator() -> Any:
    _require(
        SARIF_SCHEMA.is_file(),
        f"the official SARIF schema is not at {SARIF_SCHEMA}",
    )
    try:
        # Imported by name: its type stubs may not be installed.
        jsonschema = importlib.import_module("jsonschema")
    except ImportError:
        _require(False, "jsonschema is not installed")
        raise
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator  # what the schema declares
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _sample_report(root: str = "/work/my project") -> Report:
    return report(
        make(
            "IAM101",
            "critical",
            "policies/admin policy.json",
            4,
            12,
            4,
            15,
            message="Allows every action on every resource",
            address="policies/admin policy.json",
        ),
        make("IAM105", "medium", "main.tf", 10, 3, 14, 4, address="aws_iam_policy.x"),
        make("IAM301", "low", "/elsewhere/shared policy.json", 1, 1),
        make("IAM000", "high", "broken.yaml", 3, 7, message="mapping values here"),
        root=root,
        files=4,
        suppressed=(
            make(
                "IAM102",
                "high",
                "main.tf",
                20,
                5,
                20,
                12,
                suppressed_by="reviewed: needs s3:*",
            ),
        ),
    )


def _sarif(rep: Report) -> dict[str, Any]:
    text = output("sarif", rep)
    assert text.endswith("}\n")
    data: dict[str, Any] = json.loads(text)
    return data


def test_sarif_is_valid_against_the_official_schema() -> None:
    validator = _sarif_validator()
    for rep in (_sample_report(), report(), report(version="")):
        errors = sorted(validator.iter_errors(_sarif(rep)), key=str)
        assert not errors, "\n".join(str(e.message) for e in errors)
    # The validator does reject a broken log, so passing above means something.
    broken = copy.deepcopy(_sarif(_sample_report()))
    del broken["runs"][0]["results"][0]["message"]
    broken["runs"][0]["results"][1]["level"] = "critical"
    assert len(list(validator.iter_errors(broken))) == 2


def test_sarif_has_what_github_code_scanning_needs() -> None:
    data = _sarif(_sample_report())
    assert data["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert data["version"] == "2.1.0"
    (run,) = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "iamlint"
    assert driver["version"] == driver["semanticVersion"] == "1.2.3"
    assert driver["informationUri"] == "https://pypi.org/project/iamlint/"

    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert list(rules) == ["IAM000", "IAM101", "IAM102", "IAM105", "IAM301"]
    expected = {
        "IAM101": ("9.5", "error"),
        "IAM102": ("8.0", "error"),
        "IAM105": ("5.5", "warning"),
        "IAM301": ("3.0", "note"),
    }
    for rule_id, (security_severity, level) in expected.items():
        rule = rules[rule_id]
        props = rule["properties"]
        assert props["security-severity"] == security_severity
        assert isinstance(props["security-severity"], str)
        assert props["precision"] == "high"
        assert props["tags"][-1] == "security"
        assert props["tags"].count("security") == 1
        assert rule["defaultConfiguration"]["level"] == level
    admin = rules["IAM101"]
    assert admin["name"] == "full-admin-access"
    assert admin["shortDescription"] == {"text": RULES[0].summary}
    assert admin["fullDescription"] == {"text": RULES[0].description}
    assert admin["help"] == {
        "text": RULES[0].documentation,
        "markdown": RULES[0].documentation,
    }
    assert admin["properties"]["tags"] == ["least-privilege", "security"]
    assert rules["IAM301"]["defaultConfiguration"]["enabled"] is False

    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///work/my%20project/"}}
    results = run["results"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        finding_fp = result["partialFingerprints"]["iamlint/v1"]
        assert finding_fp.startswith(result["ruleId"] + ":")

    by_rule = {r["ruleId"]: r for r in results}
    admin_result = by_rule["IAM101"]
    assert admin_result["level"] == "error"
    assert admin_result["message"] == {"text": "Allows every action on every resource"}
    (location,) = admin_result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {
            "uri": "policies/admin%20policy.json",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 4, "startColumn": 12, "endLine": 4, "endColumn": 15},
    }
    assert location["logicalLocations"] == [{"fullyQualifiedName": "policies/admin policy.json"}]
    assert by_rule["IAM105"]["level"] == "warning"
    assert by_rule["IAM301"]["level"] == "note"
    # A file outside the root: an absolute file URI, no base.
    outside = by_rule["IAM301"]["locations"][0]["physicalLocation"]
    assert outside["artifactLocation"] == {"uri": "file:///elsewhere/shared%20policy.json"}
    assert "logicalLocations" not in by_rule["IAM301"]["locations"][0]

    suppressed = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["IAM102"]
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "reviewed: needs s3:*"}
    ]
    assert results[-1] is suppressed[0]  # after the reported findings


def test_sarif_parse_error_is_a_result_and_a_notification() -> None:
    run = _sarif(_sample_report())["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"] == {"text": "mapping values here"}
    location = notification["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "broken.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"]["startLine"] == 3
    assert notification["associatedRule"]["id"] == "IAM000"
    rules = run["tool"]["driver"]["rules"]
    assert rules[notification["associatedRule"]["index"]]["id"] == "IAM000"

    (result,) = [r for r in run["results"] if r["ruleId"] == "IAM000"]
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"] == location

    clean = _sarif(report(make("IAM101", "critical", "a.json", 1, 1)))
    (ok,) = clean["runs"][0]["invocations"]
    assert ok == {"executionSuccessful": True}


def test_sarif_regions_stay_valid_for_unplaced_spans() -> None:
    rep = report(
        make("IAM000", "high", "empty.json", 0, 0, 0, 0),
        make("IAM102", "high", "a.json", 5, 0, 5, 0),
        make("IAM102", "high", "b.json", 5, 9, 5, 3),
    )
    results = _sarif(rep)["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in results]
    assert regions == [
        {"startLine": 5, "endLine": 5},
        {"startLine": 5, "startColumn": 9, "endLine": 5},
        None,
    ]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("/work/my project", "file:///work/my%20project/"),
        ("/work/repo/", "file:///work/repo/"),
        ("/", "file:///"),
        ("/srv/caf\u00e9 #1", "file:///srv/caf%C3%A9%20%231/"),
        ("C:\\Users\\a b\\repo", "file:///C:/Users/a%20b/repo/"),
        ("D:/ci/work", "file:///D:/ci/work/"),
        ("\\\\server\\share\\iac", "file://server/share/iac/"),
    ],
)
def test_sarif_file_uris(path: str, uri: str) -> None:
    assert file_uri(path, directory=True) == uri


def test_sarif_relative_uris_are_percent_encoded() -> None:
    rep = report(
        make("IAM102", "high", "a:b/100%/x y.json", 1, 1),
        make("IAM102", "high", "caf\u00e9/p.json", 1, 1),
    )
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]
        for r in _sarif(rep)["runs"][0]["results"]
    ]
    assert uris == [
        {"uri": "a%3Ab/100%25/x%20y.json", "uriBaseId": "%SRCROOT%"},
        {"uri": "caf%C3%A9/p.json", "uriBaseId": "%SRCROOT%"},
    ]


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    rule_name=_text,
    message=_text,
    path=_text,
    address=st.none() | _text,
    reason=st.none() | _text,
    numbers=st.tuples(*[st.integers(min_value=-1, max_value=10**9)] * 4),
    suppressed=st.booleans(),
)
def test_json_rows_are_what_the_json_encoder_writes(
    rule_name: str,
    message: str,
    path: str,
    address: str | None,
    reason: str | None,
    numbers: tuple[int, int, int, int],
    suppressed: bool,
) -> None:
    # The JSON reporter builds each row by hand for speed; it must be byte for
    # byte what the standard encoder makes of the documented object.
    from iamlint.reporters import encode_row
    from iamlint.reporters.json_report import _finding, _row

    finding = Finding(
        "IAM101", rule_name, "high", message, Span(path, *numbers), "ab12", address, reason
    )
    assert _row(finding, suppressed=suppressed) == encode_row(
        _finding(finding, suppressed=suppressed)
    )
