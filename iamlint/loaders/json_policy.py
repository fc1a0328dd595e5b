"""Raw JSON IAM policy documents (`{"Version": ..., "Statement": ...}`).

A `.json` file is taken when it mentions a Statement; once parsed, it is a
policy only if the top level is an object with a Statement. Anything else
(package.json, tsconfig.json, a template for another loader) is left alone
without a word. A file that mentions a Statement but does not parse is
reported (IAM000), since it most likely is a broken policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from iamlint.loaders import LoadError, Source, error_document
from iamlint.loaders.credentials import find_credentials
from iamlint.loaders.jsonpos import JSONPosError, parse
from iamlint.loaders.nodes import TextLocator
from iamlint.loaders.policydoc import build_policy, compact_size, looks_like_policy
from iamlint.loaders.text import decode
from iamlint.model import Document

FORMAT = "json"
EXTENSIONS = (".json",)
PRIORITY = 90  # after templates and plans, which are JSON too
GROUPED = False


def sniff(name: str, data: bytes) -> bool:
    return b'"Statement"' in data


def load(sources: Sequence[Source]) -> list[Document]:
    return [doc for source in sources if (doc := load_one(source)) is not None]


def load_one(source: Source) -> Document | None:
    """The policy in one file, an error document, or None if not a policy."""
    path = source.display
    try:
        text = decode(source.data)
    except LoadError as exc:
        text = source.data.decode("utf-8", errors="replace")
        loc = TextLocator(path, text)
        offset = exc.offset or 0
        return error_document(path, FORMAT, exc.message, loc.span(offset, offset))
    loc = TextLocator(path, text)
    try:
        root = parse(text)
    except JSONPosError as exc:
        return error_document(
            path, FORMAT, f"invalid JSON: {exc.message}", loc.span(exc.offset, exc.offset)
        )
    if not looks_like_policy(root):
        return None
    policy = build_policy(
        root,
        loc,
        address=path,
        source_format=FORMAT,
        size=compact_size(text[root.start : root.end]),
    )
    return Document(path, FORMAT, policies=(policy,), credentials=find_credentials(text, loc))
