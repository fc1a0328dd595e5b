"""`data "aws_iam_policy_document"` blocks as policy document trees.

The tree has the IAM JSON shape ("Version", "Statement", "Action", ...)
with the positions of the HCL that wrote each element, so a finding on an
action lands on the line of that action. `source_policy_documents` and
`override_policy_documents` merge by Sid as the AWS provider does: source
statements first, then this document's (a Sid replaces the same Sid), then
the overrides (a Sid replaces the same Sid, the rest is appended).
`dynamic` blocks expand over a known collection, or are read once with
their iterator unknown.
"""

from __future__ import annotations

from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar
from iamlint.loaders.tf_eval import (
    MAX_ITEMS,
    Attr,
    Bindings,
    Block,
    DocError,
    Instance,
    as_document,
    is_unknown,
    unknown,
)
from iamlint.model import Unknown

_LISTS = (
    ("actions", "Action"),
    ("not_actions", "NotAction"),
    ("resources", "Resource"),
    ("not_resources", "NotResource"),
)


def expand(
    inst: Instance, block: Block, type_: str, bindings: Bindings
) -> list[tuple[Block, Bindings]]:
    """Nested blocks of a type, with `dynamic` blocks of that type expanded."""
    out: list[tuple[Block, Bindings]] = [(b, bindings) for b in block.blocks(type_)]
    for dyn in block.blocks("dynamic"):
        if not dyn.labels or dyn.labels[0] != type_:
            continue
        contents = dyn.blocks("content")
        if not contents:
            continue
        content = contents[0]
        it_attr = dyn.attr("iterator")
        name = type_
        if it_attr is not None:
            got = inst.eval(it_attr, bindings)
            if got is not None and isinstance(got, JScalar) and isinstance(got.value, str):
                name = got.value
            elif it_attr.pf is not None and not isinstance(it_attr.expr, JNode):
                name = it_attr.pf.source(it_attr.expr).strip()
        coll = inst.eval(dyn.attr("for_each"), bindings)
        items = _items(coll)
        if items is None:
            text = f"{name}.value"
            b = dict(bindings)
            b[name] = JObject(
                [
                    (JKey("key", dyn.start, dyn.start), unknown(f"{name}.key", dyn.start, dyn.end)),
                    (JKey("value", dyn.start, dyn.start), unknown(text, dyn.start, dyn.end)),
                ],
                dyn.start,
                dyn.end,
            )
            out.append((content, b))
            continue
        for key, val in items[:MAX_ITEMS]:
            b = dict(bindings)
            b[name] = JObject(
                [(JKey("key", key.start, key.end), key), (JKey("value", val.start, val.end), val)],
                val.start,
                val.end,
            )
            out.append((content, b))
    out.sort(key=lambda pair: pair[0].start)
    return out


def _items(coll: JNode | None) -> list[tuple[JNode, JNode]] | None:
    if coll is None:
        return []
    if isinstance(coll, JArray):
        return [(item, item) for item in coll.items]
    if isinstance(coll, JObject):
        if any(isinstance(k.value, Unknown) for k, _ in coll.pairs):
            return None
        return [(JScalar(k.value, k.start, k.end), v) for k, v in coll.pairs]
    if isinstance(coll, JScalar) and coll.value is None:
        return []
    return None


def _key(attr: Attr, name: str) -> JKey:
    return JKey(name, attr.key_start, attr.key_end)


def _present(node: JNode | None) -> bool:
    return node is not None and not (isinstance(node, JScalar) and node.value is None)


def policy_document(inst: Instance, block: Block, bindings: Bindings) -> JObject:
    """The document a data "aws_iam_policy_document" block describes."""
    pairs: list[tuple[JKey, JNode]] = []
    version_attr = block.attr("version")
    version = inst.eval(version_attr, bindings)
    if version_attr is not None and _present(version):
        assert version is not None
        pairs.append((_key(version_attr, "Version"), version))
    else:
        pairs.append(
            (
                JKey("Version", block.start, block.start),
                JScalar("2012-10-17", block.start, block.start),
            )
        )
    id_attr = block.attr("policy_id")
    policy_id = inst.eval(id_attr, bindings)
    if id_attr is not None and _present(policy_id):
        assert policy_id is not None
        pairs.append((_key(id_attr, "Id"), policy_id))

    merged: list[JNode] = []
    unknown_parts: list[JNode] = []
    for name in ("source_policy_documents", "source_json"):
        _merge_from(inst, block.attr(name), bindings, merged, unknown_parts, override=False)
    for sblock, sb in expand(inst, block, "statement", bindings):
        stmt = statement(inst, sblock, sb)
        _put(merged, stmt, override=True)
    for name in ("override_policy_documents", "override_json"):
        _merge_from(inst, block.attr(name), bindings, merged, unknown_parts, override=True)
    merged.extend(unknown_parts)
    stmt_block = block.blocks("statement") or block.blocks("dynamic")
    s0 = stmt_block[0].start if stmt_block else block.start
    pairs.append(
        (JKey("Statement", s0, s0), JArray(merged, s0, max((n.end for n in merged), default=s0)))
    )
    return JObject(pairs, block.start, block.end)


def _sid(stmt: JNode) -> str | None:
    if isinstance(stmt, JObject):
        sid = stmt.get("Sid")
        if isinstance(sid, JScalar) and isinstance(sid.value, str) and sid.value:
            return sid.value
    return None


def _put(merged: list[JNode], stmt: JNode, override: bool) -> None:
    sid = _sid(stmt)
    if sid is not None and override:
        for i, old in enumerate(merged):
            if _sid(old) == sid:
                merged[i] = stmt
                return
    merged.append(stmt)


def _merge_from(
    inst: Instance,
    attr: Attr | None,
    bindings: Bindings,
    merged: list[JNode],
    unknown_parts: list[JNode],
    override: bool,
) -> None:
    value = inst.eval(attr, bindings)
    if value is None or (isinstance(value, JScalar) and value.value is None):
        return
    docs = value.items if isinstance(value, JArray) else [value]
    for doc in docs:
        try:
            tree = as_document(doc)
        except DocError:
            tree = None
        if tree is None or not isinstance(tree, JObject):
            # A document we cannot see: keep it visible as an unknown statement.
            if is_unknown(doc) or tree is None:
                unknown_parts.append(unknown(_text(doc), doc.start, doc.end))
            continue
        stmts = tree.get("Statement")
        if stmts is None:
            continue
        for stmt in stmts.items if isinstance(stmts, JArray) else [stmts]:
            _put(merged, stmt, override)


def _text(node: JNode) -> str:
    if isinstance(node, JScalar) and isinstance(node.value, Unknown):
        return node.value.expression
    return "policy document"


def statement(inst: Instance, block: Block, bindings: Bindings) -> JObject:
    pairs: list[tuple[JKey, JNode]] = []
    sid_attr = block.attr("sid")
    sid = inst.eval(sid_attr, bindings)
    if (
        sid_attr is not None
        and sid is not None
        and _present(sid)
        and not (isinstance(sid, JScalar) and sid.value == "")
    ):
        pairs.append((_key(sid_attr, "Sid"), sid))
    effect_attr = block.attr("effect")
    effect = inst.eval(effect_attr, bindings)
    if effect_attr is not None and effect is not None and _present(effect):
        pairs.append((_key(effect_attr, "Effect"), effect))
    else:
        pairs.append(
            (JKey("Effect", block.start, block.start), JScalar("Allow", block.start, block.start))
        )
    for kind, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        principal = _principals(inst, block, kind, bindings)
        if principal is not None:
            pairs.append((JKey(name, principal[0], principal[0]), principal[1]))
    for hcl, iam in _LISTS:
        attr = block.attr(hcl)
        value = inst.eval(attr, bindings)
        if attr is not None and value is not None and _present(value):
            pairs.append((_key(attr, iam), value))
    conditions = _conditions(inst, block, bindings)
    if conditions is not None:
        pairs.append(conditions)
    return JObject(pairs, block.start, block.end)


def _principals(
    inst: Instance, block: Block, kind: str, bindings: Bindings
) -> tuple[int, JNode] | None:
    blocks = expand(inst, block, kind, bindings)
    if not blocks:
        return None
    by_type: dict[str, tuple[JKey, list[JNode]]] = {}
    star: JNode | None = None
    others: list[JNode] = []
    first = blocks[0][0].start
    for pblock, pb in blocks:
        type_attr = pblock.attr("type")
        t = inst.eval(type_attr, pb)
        ids = inst.eval(pblock.attr("identifiers"), pb)
        if ids is None:
            ids = unknown("identifiers", pblock.start, pblock.end)
        items = ids.items if isinstance(ids, JArray) else [ids]
        tv = t.value if isinstance(t, JScalar) else None
        if tv == "*":
            star = items[0] if items else t
            continue
        if not isinstance(tv, str) or type_attr is None or t is None:
            others.extend(items)
            continue
        key = JKey(tv, t.start, t.end)
        by_type.setdefault(tv, (key, []))[1].extend(items)
    end = max(b.end for b, _ in blocks)
    if star is not None and not by_type and not others:
        return first, star
    pairs: list[tuple[JKey, JNode]] = [
        (key, JArray(items, key.start, end)) for key, items in by_type.values()
    ]
    if star is not None:
        pairs.append((JKey("AWS", star.start, star.end), JScalar("*", star.start, star.end)))
    if others:
        if not pairs and len(others) == 1:
            return first, others[0]
        pairs.append((JKey("AWS", first, first), JArray(others, first, end)))
    return first, JObject(pairs, first, end)


def _conditions(inst: Instance, block: Block, bindings: Bindings) -> tuple[JKey, JNode] | None:
    blocks = expand(inst, block, "condition", bindings)
    if not blocks:
        return None
    pairs: list[tuple[JKey, JNode]] = []
    for cblock, cb in blocks:
        test = inst.eval(cblock.attr("test"), cb)
        var = inst.eval(cblock.attr("variable"), cb)
        values = inst.eval(cblock.attr("values"), cb)
        if test is None or var is None:
            continue
        if values is None:
            values = JArray([], cblock.start, cblock.end)
        tkey = JKey(test.value if isinstance(test, JScalar) else None, test.start, test.end)
        vkey = JKey(var.value if isinstance(var, JScalar) else None, var.start, var.end)
        pairs.append((tkey, JObject([(vkey, values)], var.start, cblock.end)))
    if not pairs:
        return None
    first = blocks[0][0]
    end = max(b.end for b, _ in blocks)
    return JKey("Condition", first.start, first.start), JObject(pairs, first.start, end)
