"""What the loaders extracted, for `iamlint policies`: the command to run
when a finding you expected is missing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO

from iamlint.model import Document, Policy, Principal, Statement, Unknown, Value


def show(value: Value | None) -> Any:
    """A value as JSON-friendly data; an Unknown as `${unknown: expr}`."""
    if value is None:
        return None
    if isinstance(value.value, Unknown):
        return "${unknown: " + value.value.expression + "}"
    return value.value


def _values(values: tuple[Value, ...] | None) -> list[Any] | None:
    return None if values is None else [show(v) for v in values]


def _principals(principals: tuple[Principal, ...] | None) -> list[dict[str, Any]] | None:
    if principals is None:
        return None
    return [{"kind": p.kind, "value": show(p.value)} for p in principals]


def _statement(s: Statement) -> dict[str, Any]:
    row: dict[str, Any] = {"line": s.span.line, "sid": show(s.sid), "effect": show(s.effect)}
    fields = {
        "principals": _principals(s.principals),
        "not_principals": _principals(s.not_principals),
        "actions": _values(s.actions),
        "not_actions": _values(s.not_actions),
        "resources": _values(s.resources),
        "not_resources": _values(s.not_resources),
    }
    row.update({k: v for k, v in fields.items() if v is not None})
    if s.conditions:
        row["conditions"] = [
            {"operator": show(c.operator), "key": show(c.key), "values": _values(c.values)}
            for c in s.conditions
        ]
    return row


def _policy(p: Policy) -> dict[str, Any]:
    return {
        "path": p.span.path,
        "line": p.span.line,
        "kind": p.kind,
        "format": p.source_format,
        "address": p.address,
        "owner": p.owner,
        "version": show(p.version),
        "statements": [_statement(s) for s in p.statements],
    }


def describe_policies(documents: Iterable[Document]) -> list[dict[str, Any]]:
    return [_policy(p) for d in documents for p in d.all_policies()]


def render_policies(rows: list[dict[str, Any]], out: TextIO) -> None:
    for row in rows:
        owner = f" (of {row['owner']})" if row["owner"] else ""
        out.write(f"{row['path']}:{row['line']}: {row['kind']} policy {row['address']}{owner}\n")
        for s in row["statements"]:
            sid = f" {s['sid']}" if s.get("sid") else ""
            out.write(f"  line {s['line']}: {s.get('effect')}{sid}\n")
            for key in ("principals", "not_principals"):
                if key in s:
                    shown = ", ".join(f"{p['kind']}:{p['value']}" for p in s[key])
                    out.write(f"    {key}: {shown}\n")
            for key in ("actions", "not_actions", "resources", "not_resources"):
                if key in s:
                    out.write(f"    {key}: {', '.join(str(v) for v in s[key])}\n")
            for c in s.get("conditions", ()):
                out.write(f"    condition: {c['operator']} {c['key']} {c['values']}\n")
    out.write(f"{len(rows)} {'policy' if len(rows) == 1 else 'policies'}\n")
