"""Questions rules ask of statements, answered once for every rule.

Action matching is case-insensitive and wildcard-aware, as in IAM. A value
that is Unknown never satisfies a test that needs to know the value, so a
rule built from these helpers does not fire on what it cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from iamlint.model import Condition, Principal, Statement, Value

# Condition keys that do not restrict who can use a statement or from where:
# transport, time, client-supplied headers, the shape of the request.
_NON_RESTRICTING_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:tokenissuetime",
        "aws:useragent",
        "aws:referer",
        "aws:requestedregion",
        "aws:multifactorauthage",
        "s3:signatureversion",
        "s3:signatureage",
        "s3:authtype",
        "s3:tlsversion",
    }
)
_NON_RESTRICTING_PREFIXES = ("s3:x-amz-",)
_LIKE_OPERATORS = ("stringlike", "arnlike")


def text(value: Value) -> str | None:
    """The value as a string when it is a known string."""
    return value.value if isinstance(value.value, str) else None


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    body = "".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern.lower()
    )
    return re.compile(body + r"\Z", re.S)


def matches(pattern: str, name: str) -> bool:
    """Does an IAM wildcard pattern (`*`, `?`) match a name, ignoring case?"""
    return _pattern(pattern).match(name.lower()) is not None


def is_any_action(value: Value) -> bool:
    """`*` (or `*:*`): every action of every service."""
    t = text(value)
    return t is not None and t.strip() in ("*", "*:*")


def is_any_resource(value: Value) -> bool:
    t = text(value)
    return t is not None and t.strip() == "*"


def service_wildcard(value: Value) -> str | None:
    """The service prefix when the action is a whole service (`s3:*`)."""
    t = text(value)
    if t is None:
        return None
    prefix, sep, rest = t.strip().partition(":")
    if sep and prefix and "*" not in prefix and "?" not in prefix and rest and set(rest) == {"*"}:
        return prefix.lower()
    return None


def allows(statement: Statement) -> bool:
    """An Allow statement (Deny never makes a grant too broad)."""
    return statement.is_allow


def on_any_resource(statement: Statement) -> Value | None:
    """The `*` resource element, when the statement applies to every resource."""
    for r in statement.resources or ():
        if is_any_resource(r):
            return r
    return None


def is_public_principal(principal: Principal) -> bool:
    """`*` or AWS `*`: anyone, authenticated or not."""
    if principal.kind == "*":
        return True
    t = text(principal.value)
    return principal.kind == "AWS" and t is not None and t.strip() == "*"


def public_principals(statement: Statement) -> Iterator[Principal]:
    for p in statement.principals or ():
        if is_public_principal(p):
            yield p


def restricts(condition: Condition) -> bool:
    """Does this condition narrow who may use the statement, or from where?

    Keys about transport, time or the shape of the request do not; nor does
    a Like operator whose every value is `*`. A key we do not know is taken
    to restrict, so rules stay quiet rather than cry wolf.
    """
    key = text(condition.key)
    if key is None:
        return True
    k = key.lower()
    if k in _NON_RESTRICTING_KEYS or k.startswith(_NON_RESTRICTING_PREFIXES):
        return False
    op = (text(condition.operator) or "").lower()
    matches_anything = condition.values and all(text(v) == "*" for v in condition.values)
    return not (matches_anything and any(like in op for like in _LIKE_OPERATORS))


def is_unconditioned(statement: Statement) -> bool:
    """No condition restricts who or where (RULES.md's "unconditioned")."""
    return not any(restricts(c) for c in statement.conditions)
