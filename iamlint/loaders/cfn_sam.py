"""SAM: the `Policies` of AWS::Serverless::Function and ::StateMachine.

A Policies entry is an AWS managed policy name or an ARN (attached to the
implicit role), an inline policy document, or a SAM policy template
(`S3ReadPolicy: {BucketName: !Ref Bucket}`) that stands for statements.
The statements come from the templates aws-sam-translator ships, read as a
JSON data file the first time a template uses one; samtranslator is never
imported.

This is a helper, not a loader (no `load`/`sniff`).
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar
from iamlint.model import PARTITION, Unknown

_DATA = ("policy_templates_data", "policy_templates.json")


@lru_cache(maxsize=1)
def policy_templates() -> dict[str, Any]:
    """SAM's policy templates by name; empty when aws-sam-translator is absent."""
    spec = importlib.util.find_spec("samtranslator")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*_DATA)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    templates = data.get("Templates")
    return templates if isinstance(templates, dict) else {}


def is_template_use(node: JNode) -> str | None:
    """The template name when a Policies entry is `{TemplateName: {...}}`."""
    if not isinstance(node, JObject) or len(node.pairs) != 1:
        return None
    name = node.pairs[0][0].text
    if name == "Statement" or name == "Ref" or name.startswith("Fn::"):
        return None
    return name if name in policy_templates() else None


def expand(name: str, use: JObject) -> tuple[JNode, dict[str, JNode]] | None:
    """The template's policy document as nodes placed on `use`, and the
    parameters the use gives it (to bind its Refs)."""
    template = policy_templates().get(name)
    if not isinstance(template, dict) or "Definition" not in template:
        return None
    key, args = use.pairs[0]
    document = _nodes(template["Definition"], key.start, use.end, 0)
    bindings: dict[str, JNode] = {}
    if isinstance(args, JObject):
        for k, v in args.pairs:
            bindings[k.text] = v
    return document, bindings


def _nodes(data: Any, start: int, end: int, depth: int) -> JNode:
    if depth > 32:
        return JScalar(Unknown("..."), start, end)
    if isinstance(data, dict):
        return JObject(
            [(JKey(str(k), start, end), _nodes(v, start, end, depth + 1)) for k, v in data.items()],
            start,
            end,
        )
    if isinstance(data, list):
        return JArray([_nodes(v, start, end, depth + 1) for v in data], start, end)
    if isinstance(data, (str, int, float, bool)) or data is None:
        return JScalar(data, start, end)
    return JScalar(Unknown(repr(data)), start, end)


def managed_policy_arn(name: str) -> str | Unknown:
    """An AWS managed policy name as SAM turns it into an ARN."""
    if name.startswith("arn:"):
        return name
    expression = f"arn:${{AWS::Partition}}:iam::aws:policy/{name}"
    return Unknown(
        expression,
        ("arn:", Unknown("${AWS::Partition}", kind=PARTITION), f":iam::aws:policy/{name}"),
    )
