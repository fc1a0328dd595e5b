"""Compiler-style text: the finding, the offending line, a caret under it.

    policies/app.json:4:17: IAM101 full-admin-access Allows every action on ...
      4 |       "Action": "*",
        |                 ^^^

One block per finding, a blank line after each, then one summary line.
"""

from __future__ import annotations

import os
from typing import TextIO

from iamlint.findings import Finding, Report
from iamlint.reporters import severity_counts, unreadable_files

# Longest source excerpt shown; longer lines (minified JSON, plan files) are
# cut to a window around the column.
MAX_WIDTH = 120
_LEAD = 20  # characters kept before the column when a line is cut
_ELLIPSIS = "..."

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_SEVERITY_COLOR = {
    "critical": "\x1b[1;31m",
    "high": "\x1b[31m",
    "medium": "\x1b[33m",
    "low": "\x1b[36m",
    "info": "\x1b[2m",
}

# Control characters from the input must not reach a terminal (escape
# sequences, carriage returns): each becomes one U+FFFD, keeping columns.
_CONTROL = dict.fromkeys([*range(0x09), *range(0x0A, 0x20), 0x7F, *range(0x80, 0xA0)], "\ufffd")


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    """Write every finding of `report`, then the summary line, to `out`."""
    sources = _Sources(report.root)
    for finding in report.findings:
        out.write(_block(finding, sources, color))
        out.write("\n")
    out.write(summary(report, color=color))
    out.write("\n")


def summary(report: Report, *, color: bool = False) -> str:
    """`Found 3 findings (1 critical, 2 high) in 4 files.`, or `No findings in 4 files.`

    With `; 1 file could not be read` before the period when that happened.
    """
    files = _plural(report.files_scanned, "file")
    total = len(report.findings)
    if total == 0:
        text = f"No findings in {files}"
    else:
        parts = []
        for severity, count in severity_counts(report).items():
            if count:
                parts.append(_paint(f"{count} {severity}", _SEVERITY_COLOR[severity], color))
        text = f"Found {_plural(total, 'finding')} ({', '.join(parts)}) in {files}"
    unreadable = unreadable_files(report)
    if unreadable:
        verb = "file could" if unreadable == 1 else "files could"
        text += f"; {unreadable} {verb} not be read"
    return text + "."


def _block(finding: Finding, sources: _Sources, color: bool) -> str:
    span = finding.span
    header = (
        f"{_paint(_clean(span.path), _BOLD, color)}:{span.line}:{span.column}: "
        f"{_paint(finding.rule_id, _SEVERITY_COLOR[finding.severity], color)} "
        f"{finding.rule_name} {_clean(finding.message)}\n"
    )
    line = sources.line(span.path, span.line)
    if line is None:
        return header
    end = span.end_column if span.end_line == span.line else None
    shown, padding, carets = _excerpt(line, span.column, end)
    number = str(span.line)
    text = header + f"  {number} | {shown}".rstrip() + "\n"
    if carets:
        marker = _paint("^" * carets, _SEVERITY_COLOR[finding.severity], color)
        text += f"  {' ' * len(number)} | {padding}{marker}\n"
    return text


def _excerpt(line: str, column: int, end_column: int | None) -> tuple[str, str, int]:
    """The line as shown (cut to MAX_WIDTH), and the padding and number of
    carets that mark the range under it.

    Columns are 1-based; `end_column` is exclusive, like SARIF, and None when
    the span runs over several lines (no carets then).
    """
    start = min(max(column, 1) - 1, len(line))
    left = 0
    if len(line) > MAX_WIDTH and start > MAX_WIDTH - _LEAD:
        left = min(start - _LEAD, len(line) - MAX_WIDTH)
    right = left + MAX_WIDTH
    # Only the part shown: a plan from `terraform show -json` is one line
    # of megabytes, and each finding in it would translate all of it. Every
    # character maps to one, so the columns stay.
    shown = line[left:right].translate(_CONTROL)
    if left:
        shown = _ELLIPSIS + shown
    if right < len(line):
        shown += _ELLIPSIS
    if end_column is None:
        return shown, "", 0
    carets = max(1, min(end_column - 1, right) - start)
    offset = start - left + (len(_ELLIPSIS) if left else 0)
    # Keep tabs in the padding so the caret lines up however tabs render.
    padding = "".join("\t" if ch == "\t" else " " for ch in shown[:offset])
    return shown, padding, carets


class _Sources:
    """Source lines of the file at hand, read from disk once; None when
    unavailable. Findings come sorted by path, so only the last file read is
    kept: holding every file would hold the whole scanned tree."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._path: str | None = None
        self._lines: list[str] | None = None

    def line(self, path: str, number: int) -> str | None:
        if path != self._path:
            self._path, self._lines = path, self._read(path)
        lines = self._lines
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _read(self, path: str) -> list[str] | None:
        try:
            with open(os.path.join(self._root, path), "rb") as handle:
                data = handle.read()
            text = data.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        return [line.removesuffix("\r") for line in text.split("\n")]


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _clean(text: str) -> str:
    return text.translate(_CONTROL)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
