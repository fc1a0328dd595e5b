"""The versioned JSON report; docs/output.md describes every field.

Named json_report so that it never shadows the standard library's json.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, TextIO

from iamlint.findings import Finding, Report
from iamlint.reporters import (
    ROWS,
    severity_counts,
    tool_version,
    unreadable_files,
    write_document,
)

# Bump on any change that could break a consumer (a field removed, renamed or
# retyped). Adding a field is not such a change.
SCHEMA_VERSION = 1


def render(report: Report, out: TextIO) -> None:
    """Write `report` to `out` as JSON, indented 2, one finding per line,
    ending with a newline."""
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "iamlint", "version": tool_version(report)},
        "summary": {
            "files": report.files_scanned,
            "findings": len(report.findings),
            "by_severity": severity_counts(report),
            "unreadable": unreadable_files(report),
        },
        "findings": ROWS,
    }
    rows = chain(
        (_finding(f) for f in report.findings),
        (_finding(f, suppressed=True) for f in report.suppressed),
    )
    write_document(document, rows, out)


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
