"""SARIF 2.1.0, valid against the OASIS schema and ready for GitHub code scanning.

GitHub reads: `help.markdown` for the rule help, `properties.security-severity`
(a number in a string, on rules tagged "security") for the alert severity,
`partialFingerprints` to follow an alert across commits, and paths relative
to the repository through the `%SRCROOT%` base.
"""

from __future__ import annotations

import os
from itertools import chain
from typing import Any, TextIO
from urllib.parse import quote

from iamlint.findings import Finding, Report, RuleInfo
from iamlint.reporters import ROWS, encode_row, tool_version, write_document

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/iamlint/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "iamlint/v1"

LEVELS: dict[str, str] = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
SECURITY_SEVERITY: dict[str, str] = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "3.0",
    "info": "1.0",
}

_PARSE_ERROR_SUMMARY = "An input that looks like IaC or a policy could not be read."


def render(report: Report, out: TextIO) -> None:
    """Write `report` to `out` as a SARIF 2.1.0 log with one run."""
    rules = _rules(report)
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = (encode_row(_result(f, index)) for f in chain(report.findings, report.suppressed))
    write_document(_log(report, rules, index), results, out)


def _log(report: Report, rules: list[RuleInfo], index: dict[str, int]) -> dict[str, Any]:
    """The log with ROWS in place of the results."""
    version = tool_version(report)

    unreadable = report.unreadable
    invocation: dict[str, Any] = {"executionSuccessful": not unreadable}
    if unreadable:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": f.message},
                "locations": [_location(f)],
                "associatedRule": {"id": f.rule_id, "index": index[f.rule_id]},
            }
            for f in unreadable
        ]

    run = {
        "tool": {
            "driver": {
                "name": "iamlint",
                "version": version,
                "semanticVersion": version,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(report.root)}},
        "columnKind": "unicodeCodePoints",
        "results": ROWS,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rules(report: Report) -> list[RuleInfo]:
    """Every rule that ran, plus any a finding names but the engine did not list
    (IAM000 at least), sorted by id so that ruleIndex values are stable."""
    rules: dict[str, RuleInfo] = {}
    for rule in report.rules:
        rules.setdefault(rule.id, rule)
    for finding in (*report.findings, *report.suppressed):
        if finding.rule_id not in rules:
            rules[finding.rule_id] = _implicit_rule(finding)
    return [rules[key] for key in sorted(rules)]


def _implicit_rule(finding: Finding) -> RuleInfo:
    summary = _PARSE_ERROR_SUMMARY if finding.rule_id == "IAM000" else finding.rule_name
    return RuleInfo(
        id=finding.rule_id,
        name=finding.rule_name,
        severity=finding.severity,
        summary=summary,
        description=summary,
        documentation=summary,
    )


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    tags = list(dict.fromkeys((*rule.tags, "security")))
    summary = rule.summary or rule.name
    description = rule.description or summary
    documentation = rule.documentation or description
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": description},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
        },
    }
    if not rule.enabled_by_default:
        descriptor["defaultConfiguration"]["enabled"] = False
    return descriptor


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"severity": finding.severity},
    }
    if finding.suppressed_by is not None:
        result["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed_by}]
    return result


def _location(finding: Finding) -> dict[str, Any]:
    span = finding.span
    artifact: dict[str, Any]
    if is_absolute(span.path):
        artifact = {"uri": file_uri(span.path)}
    else:
        artifact = {"uri": quote(span.path), "uriBaseId": SRCROOT}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    region = _region(span.line, span.column, span.end_line, span.end_column)
    if region:
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.address:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.address}]
    return location


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    """A region the schema accepts; parts a loader could not place are left out."""
    if line < 1:
        return {}
    region = {"startLine": line}
    if column >= 1:
        region["startColumn"] = column
    if end_line >= line:
        region["endLine"] = end_line
        if end_column >= 1 and (end_line > line or end_column >= max(column, 1)):
            region["endColumn"] = end_column
    return region


def _root_uri(root: str) -> str:
    if not is_absolute(root):  # the Report promises an absolute root; be safe
        root = os.path.abspath(root)
    return file_uri(root, directory=True)


def is_absolute(path: str) -> bool:
    """A POSIX or Windows absolute path, whatever the platform running us."""
    return path.startswith(("/", "\\\\")) or _has_drive(path)


def file_uri(path: str, *, directory: bool = False) -> str:
    """`file:` URI of an absolute path, percent-encoded; ends in "/" for a directory."""
    if _has_drive(path) or path.startswith("\\\\"):
        path = path.replace("\\", "/")
    if _has_drive(path):
        uri = "file:///" + path[:2] + quote(path[2:])
    elif path.startswith("//"):  # UNC: //server/share/...
        uri = "file:" + quote(path)
    else:
        uri = "file://" + quote(path)
    if directory and not uri.endswith("/"):
        uri += "/"
    return uri


def _has_drive(path: str) -> bool:
    return (
        len(path) >= 3
        and path[0].isascii()
        and path[0].isalpha()
        and path[1] == ":"
        and path[2] in "/\\"
    )
