"""Terraform plans in JSON (`terraform show -json plan.out`).

A plan's `planned_values` hold every resource with its arguments resolved,
so policies come out fully known, except what Terraform itself only knows
after apply (absent from `planned_values`: the policy is then a Policy
with no statements and an Unknown version, as in the HCL loader). The plan
format carries no source file or line for a resource, so elements are
located in the plan file: a policy's elements at the position of the
JSON string that holds it.

Identities get what the HCL loader gives them: inline policies (also a
role's `inline_policy` blocks), attachments, group memberships, login
profiles. Where a planned value is known only after apply (the ARN of a
policy created in the same plan, the name of a role), the plan's
`configuration` section says which resource the expression references,
and that links them. An identity the plan does not create is external
(Identity.external), as in the HCL loader.
"""

from __future__ import annotations

from collections.abc import Sequence

from iamlint.loaders import LoadError, Source, error_document
from iamlint.model import Document

FORMAT = "terraform-plan"
EXTENSIONS = (".json",)
PRIORITY = 20
GROUPED = False


def sniff(name: str, data: bytes) -> bool:
    return b'"planned_values"' in data and b'"format_version"' in data


def load(sources: Sequence[Source]) -> list[Document]:
    return [load_one(s) for s in sources]


def load_one(source: Source) -> Document:
    from iamlint.loaders.jsonpos import JSONPosError, parse
    from iamlint.loaders.nodes import TextLocator
    from iamlint.loaders.text import decode

    path = source.display
    try:
        text = decode(source.data)
    except LoadError as exc:
        raw = source.data.decode("utf-8", errors="replace")
        offset = exc.offset or 0
        return error_document(
            path, FORMAT, exc.message, TextLocator(path, raw).span(offset, offset)
        )
    loc = TextLocator(path, text)
    try:
        root = parse(text)
    except JSONPosError as exc:
        return error_document(
            path, FORMAT, f"invalid JSON: {exc.message}", loc.span(exc.offset, exc.offset)
        )
    from iamlint.loaders.tf_plan import extract

    return extract(path, root, loc)
