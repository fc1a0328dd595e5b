"""What a unit's results depend on beyond its own files, as tokens.

A Terraform module directory reads more than its files: the modules it
calls, `file()`d documents, templates, `.tfvars`. Loaders record each such
input with a token of what it held; the results cache keeps a unit's
findings only while every token still matches (cache.py).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ABSENT = "absent"
UNREADABLE = "unreadable"
LARGE = "large"
# A path not read because it resolves outside the scanned tree: what it
# resolves to is the token, so re-pointing a symlink inside is seen.
RESOLVED = "resolved:"
# What a loader records of one input: path, token, and the size and
# modification time it had when read (-1, -1 when that says nothing), so a
# later run can trust an unchanged file's token without reading it.
Input = tuple[str, str, int, int]
# For a unit whose load failed inside iamlint: no later run matches it, so
# the unit is checked again every time rather than its failure kept.
NEVER: Input = ("", "never", -1, -1)
LARGE_BYTES = 1024 * 1024  # loaders read no input above this size
# The names in a directory that can change what a Terraform load finds.
LISTED = (".tf", ".tf.json", ".tfvars", ".tfvars.json")


@dataclass(frozen=True, slots=True)
class VarFile:
    """A Terraform variable file given on the command line (`--var-file`),
    read once: it may be a pipe (`<(...)`, /dev/stdin) that gives its
    content to one reader only."""

    path: Path
    data: bytes


def content_token(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def listing_token(names: Iterable[str]) -> str:
    """A directory, by the names in it that a load could read."""
    wanted = sorted(n for n in names if n.lower().endswith(LISTED))
    return "dir:" + content_token("\0".join(wanted).encode("utf-8", "surrogateescape"))


def resolved_token(path: str) -> str:
    return RESOLVED + os.path.realpath(path)


def current_token(path: str) -> str:
    """The token `path` has now, as a loader would have recorded it when
    reading it (see `still` for resolved_token)."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            return listing_token(os.listdir(path))
        if st.st_size > LARGE_BYTES:
            return LARGE
        with open(path, "rb") as fh:
            return content_token(fh.read())
    except FileNotFoundError:
        return ABSENT
    except (OSError, ValueError):
        return UNREADABLE


def still(path: str, token: str, current: Callable[[str], str] = current_token) -> bool:
    """Does `path` still have the token recorded for it?"""
    if token.startswith(RESOLVED):
        return resolved_token(path) == token
    return current(path) == token
