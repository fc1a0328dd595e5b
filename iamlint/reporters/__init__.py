"""Output formats: turn a Report into text, JSON, SARIF or GitHub annotations.

Each format lives in its own module, imported only when asked for, so a run
pays for nothing but the format it prints.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from iamlint.findings import Report, Severity

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")

# Worst first: the order of counts in summaries and in the JSON `by_severity`.
SEVERITIES_WORST_FIRST: tuple[Severity, ...] = (
    "critical",
    "high",
    "medium",
    "low",
    "info",
)


def render(fmt: str, report: Report, out: TextIO, *, color: bool = False) -> None:
    """Write `report` to `out` in format `fmt` (one of FORMATS).

    `color` adds ANSI colours to the text format and is ignored by the
    machine-readable ones. Raises ValueError for an unknown format.
    """
    if fmt == "text":
        from iamlint.reporters import text

        text.render(report, out, color=color)
    elif fmt == "json":
        from iamlint.reporters import json_report

        json_report.render(report, out)
    elif fmt == "sarif":
        from iamlint.reporters import sarif

        sarif.render(report, out)
    elif fmt == "github":
        from iamlint.reporters import github

        github.render(report, out)
    else:
        raise ValueError(f"unknown output format {fmt!r}: expected one of {', '.join(FORMATS)}")


def severity_counts(report: Report) -> dict[str, int]:
    """Reported (not suppressed) findings per severity, all five, worst first."""
    counts: dict[str, int] = dict.fromkeys(SEVERITIES_WORST_FIRST, 0)
    for finding in report.findings:
        counts[finding.severity] += 1
    return counts


def unreadable_files(report: Report) -> int:
    """How many distinct inputs could not be read (files with an IAM000 finding)."""
    return len({f.span.path for f in report.unreadable})


def tool_version(report: Report) -> str:
    """The version to report: the Report's, else the installed package's."""
    if report.tool_version:
        return report.tool_version
    from iamlint import __version__

    return __version__


def write_document(document: dict[str, Any], rows: Iterable[str], out: TextIO) -> None:
    """Write `document` indented 2, with `rows` (JSON text, see encode_row)
    as the elements of its one list whose value is `ROWS`, each on a line of
    its own, then a newline.

    Rows are encoded and written one at a time, so a report of a million
    findings never exists whole in memory; and json encodes in C only without
    indentation (the indented Python path took seconds on a few thousand)."""
    head = json.dumps(document, indent=2)
    cut = head.index(_ROWS_TOKEN)
    start = head.rindex("\n", 0, cut) + 1
    indent = " " * (len(head[start:cut]) - len(head[start:cut].lstrip(" ")) + 2)
    out.write(head[:cut])
    out.write("[")
    first = True
    for row in rows:
        out.write("\n" if first else ",\n")
        out.write(indent)
        out.write(row)
        first = False
    out.write("]" if first else "\n" + indent[:-2] + "]")
    out.write(head[cut + len(_ROWS_TOKEN) :])
    out.write("\n")


# One encoder for every row: json.dumps with separators builds a new one per call.
encode_row = json.JSONEncoder(separators=(", ", ": ")).encode

# A string no input can contain at that place: it stands for the rows until
# write_document splices them in.
_ROWS_TOKEN = json.dumps(f"iamlint-rows-{secrets.token_hex(16)}")
ROWS: str = json.loads(_ROWS_TOKEN)
