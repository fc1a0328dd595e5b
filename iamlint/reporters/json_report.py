"""The versioned JSON report; docs/output.md describes every field.

Named json_report so that it never shadows the standard library's json.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from iamlint.findings import Finding, Report
from iamlint.reporters import severity_counts, tool_version, unreadable_files

# Bump on any change that could break a consumer (a field removed, renamed or
# retyped). Adding a field is not such a change.
SCHEMA_VERSION = 1


def render(report: Report, out: TextIO) -> None:
    """Write `report` to `out` as JSON, indented 2, one finding per line,
    ending with a newline."""
    findings = [_finding(f) for f in report.findings] + [
        _finding(f, suppressed=True) for f in report.suppressed
    ]
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "iamlint", "version": tool_version(report)},
        "summary": {
            "files": report.files_scanned,
            "findings": len(report.findings),
            "by_severity": severity_counts(report),
            "unreadable": unreadable_files(report),
        },
        "findings": [],
    }
    # The standard library encodes in C only without indentation, and the
    # indented Python path took seconds on a few thousand findings: indent
    # the envelope, and write each finding compactly on its own line.
    head = json.dumps(document, indent=2)
    if not findings:
        out.write(head + "\n")
        return
    cut = head.rindex("[]")
    rows = ",\n".join("    " + json.dumps(f, separators=(", ", ": ")) for f in findings)
    out.write(head[:cut] + "[\n" + rows + "\n  ]" + head[cut + 2 :] + "\n")


def _finding(finding: Finding, *, suppressed: bool = False) -> dict[str, Any]:
    span = finding.span
    entry: dict[str, Any] = {
        "rule": finding.rule_id,
        "name": finding.rule_name,
        "severity": finding.severity,
        "message": finding.message,
        "path": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "address": finding.address,
        "fingerprint": finding.fingerprint,
        "suppressed": suppressed,
    }
    if suppressed:
        entry["suppression_reason"] = finding.suppressed_by or ""
    return entry
