"""GitHub Actions workflow commands: one annotation per finding.

    ::error file=a.json,line=4,col=17,endLine=4,endColumn=20,title=IAM101 ...::...

Paths are relative to the report root, which is where GitHub looks for them
(the workspace) when iamlint runs from the repository root.
"""

from __future__ import annotations

from typing import TextIO

from iamlint.findings import Finding, Report

COMMANDS: dict[str, str] = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "notice",
    "info": "notice",
}


def render(report: Report, out: TextIO) -> None:
    """Write one workflow command per reported finding to `out`."""
    for finding in report.findings:
        out.write(annotation(finding))
        out.write("\n")


def annotation(finding: Finding) -> str:
    """The workflow command line for one finding, without the newline."""
    span = finding.span
    props = [("file", span.path)]
    if span.line >= 1:
        props.append(("line", str(span.line)))
        if span.end_line > span.line:
            # The runner drops columns from a range over several lines.
            props.append(("endLine", str(span.end_line)))
        else:
            if span.column >= 1:
                props.append(("col", str(span.column)))
            if span.end_line == span.line:
                props.append(("endLine", str(span.end_line)))
                if span.column >= 1 and span.end_column >= span.column:
                    props.append(("endColumn", str(span.end_column)))
    props.append(("title", f"{finding.rule_id} {finding.rule_name}"))
    properties = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS[finding.severity]} {properties}::{escape_data(finding.message)}"


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as data, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
