"""The versioned JSON report; docs/output.md describes every field.

Named json_report so that it never shadows the standard library's json.
"""

from __future__ import annotations

from itertools import chain
from json.encoder import encode_basestring_ascii as _str  # what json.dumps uses, in C
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
        (_row(f) for f in report.findings),
        (_row(f, suppressed=True) for f in report.suppressed),
    )
    write_document(document, rows, out)


def _row(finding: Finding, *, suppressed: bool = False) -> str:
    """The finding as `encode_row(_finding(...))` would write it, built from
    C-encoded strings: a run over a big tree writes hundreds of thousands,
    and the general encoder costs several times as much per row."""
    s = finding.span
    address = "null" if finding.address is None else _str(finding.address)
    reason = ""
    if suppressed:
        reason = ', "suppression_reason": ' + _str(finding.suppressed_by or "")
    return (
        f'{{"rule": {_str(finding.rule_id)}, "name": {_str(finding.rule_name)}, '
        f'"severity": {_str(finding.severity)}, "message": {_str(finding.message)}, '
        f'"path": {_str(s.path)}, "line": {int(s.line)}, "column": {int(s.column)}, '
        f'"end_line": {int(s.end_line)}, "end_column": {int(s.end_column)}, '
        f'"address": {address}, "fingerprint": {_str(finding.fingerprint)}, '
        f'"suppressed": {"true" if suppressed else "false"}{reason}}}'
    )


def _finding(finding: Finding, *, suppressed: bool = False) -> dict[str, Any]:
    """The finding as a JSON object (docs/output.md); _row writes the same."""
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
