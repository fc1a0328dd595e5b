"""Values of a root module's variables, in Terraform's order of precedence.

`terraform.tfvars`, then `terraform.tfvars.json`, then `*.auto.tfvars` and
`*.auto.tfvars.json` in lexical order of their names, then the variable
files given on the command line (`--var-file`) in the order given: a later
value overrides an earlier one, and a variable none of them sets takes its
default (Instance._var). Only a root module reads them: a called module's
variables come from its caller's arguments.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from iamlint import inputs
from iamlint.loaders import LoadError
from iamlint.loaders.jsonpos import JSONPosError
from iamlint.loaders.jsonpos import parse as parse_json
from iamlint.loaders.nodes import JObject
from iamlint.loaders.text import decode
from iamlint.loaders.tf_eval import Attr, Module, Run, shift
from iamlint.loaders.tf_world import PFile, World, parse, syntax_errors
from iamlint.model import ParseError


def tfvars_names(names: Sequence[str]) -> list[str]:
    """The variable files Terraform reads automatically, in its order."""
    auto = sorted(n for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json")))
    fixed = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if n in names]
    return fixed + auto


def read_values(run: Run, module: Module, var_files: Sequence[Path] = ()) -> list[ParseError]:
    """Fill `module.tfvars` from the files beside it, then `var_files`;
    the syntax errors of those files (what does parse is still used)."""
    try:
        names = os.listdir(module.dir)
    except OSError:
        names = []
    run.inputs[os.path.abspath(module.dir)] = inputs.listing_token(names)
    errors: list[ParseError] = []
    for name in tfvars_names(names):
        pf, _ = run.read(module.dir / name)
        if pf is not None:
            errors.extend(_values(pf, module))
    for path in var_files:
        # Named by the user, so read wherever it is; a file that cannot be
        # read was refused before the scan began (var_file_problem).
        pf = _register(run.world, path, run.display(path))
        if pf is not None:
            errors.extend(_values(pf, module))
    return errors


def var_file_problem(path: Path) -> str | None:
    """Why a `--var-file` cannot be used (`file:line:column: message`), or None."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return f"{path}: no such file"
    except IsADirectoryError:
        return f"{path}: is a directory"
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror}"
    if len(data) > inputs.LARGE_BYTES:
        return f"{path}: larger than {inputs.LARGE_BYTES // 1024} KiB"
    try:
        text = decode(data)
    except LoadError as exc:
        return f"{path}: {exc.message}"
    pf = World().register(path, str(path), data, text)
    if _is_json(path):
        try:
            root = parse_json(text)
        except JSONPosError as exc:
            line, column = pf.position(exc.offset)
            return f"{path}:{line}:{column}: invalid JSON: {exc.message}"
        if not isinstance(root, JObject):
            return f"{path}:1:1: a .tfvars.json file holds one JSON object"
        return None
    errors = syntax_errors(pf, parse(pf))
    if errors:
        span = errors[0].span
        return f"{path}:{span.line}:{span.column}: {errors[0].message}"
    return None


def _is_json(path: Path) -> bool:
    return path.name.lower().endswith(".json")


def _register(world: World, path: Path, display: str) -> PFile | None:
    try:
        data = path.read_bytes()
        text = decode(data)
    except (OSError, LoadError):
        return None
    return world.register(path, display, data, text)


def _values(pf: PFile, module: Module) -> list[ParseError]:
    if _is_json(pf.path):
        try:
            root = parse_json(pf.text)
        except JSONPosError as exc:
            return [ParseError(f"invalid JSON: {exc.message}", pf.span(exc.offset, exc.offset))]
        if not isinstance(root, JObject):
            return [ParseError("a .tfvars.json file holds one JSON object", pf.span(0, 0))]
        shift(root, pf.base)
        for key, val in root.pairs:
            name = key.text
            module.tfvars[name] = Attr(name, val, pf, key.start, val.end, key.start, key.end)
        return []
    tree = parse(pf)
    for child in tree.root_node.named_children:
        if child.type != "body":
            continue
        for node in child.named_children:
            if node.type == "attribute" and not node.has_error:
                name_node = node.named_children[0]
                expr = node.named_children[-1]
                s, e = pf.g(node)
                ks, ke = pf.g(name_node)
                name = pf.source(name_node)
                module.tfvars[name] = Attr(name, expr, pf, s, e, ks, ke)
    return syntax_errors(pf, tree)
