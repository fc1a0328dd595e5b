"""What a unit's results depend on beyond its own files, as tokens.

A Terraform module directory reads more than its files: the modules it
calls, `file()`d documents, templates, `.tfvars`. Loaders record each such
input with a token of what it held; the results cache keeps a unit's
findings only while every token still matches (cache.py).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

ABSENT = "absent"
UNREADABLE = "unreadable"
LARGE = "large"
LARGE_BYTES = 1024 * 1024  # loaders read no input above this size
# The names in a directory that can change what a Terraform load finds.
LISTED = (".tf", ".tf.json", ".tfvars", ".tfvars.json")


def content_token(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def listing_token(names: Iterable[str]) -> str:
    """A directory, by the names in it that a load could read."""
    wanted = sorted(n for n in names if n.lower().endswith(LISTED))
    return "dir:" + content_token("\0".join(wanted).encode("utf-8", "surrogateescape"))


def current_token(path: str) -> str:
    """The token `path` has now, as a loader would have recorded it."""
    try:
        if os.path.isdir(path):
            return listing_token(os.listdir(path))
        if os.stat(path).st_size > LARGE_BYTES:
            return LARGE
        with open(path, "rb") as fh:
            return content_token(fh.read())
    except FileNotFoundError:
        return ABSENT
    except OSError:
        return UNREADABLE
