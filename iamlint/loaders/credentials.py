"""AWS credential literals written into a source file (IAM402).

Every loader calls `find_credentials(text, locator)` on a file's text: it
finds access key ids (`AKIA...` long-lived, `ASIA...` temporary: the prefix
and 16 upper-case letters or digits, standing alone) and 40-character
secret access keys, the latter only when assigned to a name that says so
(`aws_secret_access_key`, `SecretAccessKey`, `secret_key`, ...), since any
base64 text can look like one. AWS's documented example keys
(`AKIAIOSFODNN7EXAMPLE`, `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`) and
obvious placeholders (`AKIAXXXXXXXXXXXXXXXX`) are not credentials.

This is a helper, not a loader (no `load`/`sniff`).
"""

from __future__ import annotations

import re

from iamlint.loaders.nodes import Locator
from iamlint.model import CredentialLiteral

_KEY_ID = re.compile(r"(?<![A-Za-z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])")
_NAME = r"(?<![a-z0-9])(?:aws_?)?secret_?(?:access_?)?key[\"']?"
_VALUE = r"[\"']?(?-i:([A-Za-z0-9/+]{40}))(?![A-Za-z0-9/+=])"
# `secret_key = "..."`, `SecretAccessKey: ...`, `"aws_secret_access_key": "..."`, and
# the name/value pairs of container and build environments
# (`- Name: AWS_SECRET_ACCESS_KEY` then `Value: ...` within two lines).
_SECRET = re.compile(
    rf"(?i){_NAME}\s*(?:=>|[=:])\s*{_VALUE}"
    rf"|(?i:{_NAME}[ \t]*,?(?:[ \t]*|(?:\n[^\n]{{0,80}}?){{1,2}}?)[\"']?\bvalue[\"']?\s*[=:]\s*)"
    rf"{_VALUE}"
)


_KEY_NAME = re.compile(r"(?i)secret_?(?:access_?)?key")


def find_credentials(text: str, locator: Locator) -> tuple[CredentialLiteral, ...]:
    """The credential literals in a file's text, in order, redacted."""
    found: list[CredentialLiteral] = []
    if "AKIA" in text or "ASIA" in text:
        for m in _KEY_ID.finditer(text):
            key = m.group(1)
            if _placeholder(key[4:]):
                continue
            found.append(
                CredentialLiteral(
                    "access-key-id", locator.span(m.start(1), m.end(1)), redact_key_id(key)
                )
            )
    # "secretsmanager" is everywhere in policies: look for a key-like name
    # with a cheap pattern before running the full one over the text.
    if ("ecret" in text or "ECRET" in text) and _KEY_NAME.search(text):
        for m in _SECRET.finditer(text):
            group = 1 if m.group(1) is not None else 2
            secret = m.group(group)
            if _placeholder(secret) or not _looks_random(secret):
                continue
            found.append(
                CredentialLiteral(
                    "secret-access-key",
                    locator.span(m.start(group), m.end(group)),
                    redact_secret(secret),
                )
            )
    found.sort(key=lambda c: (c.span.line, c.span.column))
    return tuple(found)


def redact_key_id(key: str) -> str:
    """`AKIA************WXYZ`: the kind and the last four, as the console shows."""
    return key[:4] + "*" * (len(key) - 8) + key[-4:]


def redact_secret(secret: str) -> str:
    """`wJal************************************`: never more than four characters."""
    return secret[:4] + "*" * (len(secret) - 4)


def _placeholder(body: str) -> bool:
    upper = body.upper()
    return "EXAMPLE" in upper or len(set(upper)) <= 2


def _looks_random(secret: str) -> bool:
    """A real secret mixes upper and lower case letters and digits."""
    return (
        any(c.isupper() for c in secret)
        and any(c.islower() for c in secret)
        and any(c.isdigit() for c in secret)
    )


__all__ = ["find_credentials", "redact_key_id", "redact_secret"]
