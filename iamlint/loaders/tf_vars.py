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
import stat
from collections.abc import Sequence
from pathlib import Path

from iamlint import inputs
from iamlint.inputs import VarFile
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


def read_values(run: Run, module: Module, var_files: Sequence[VarFile] = ()) -> list[ParseError]:
    """Fill `module.tfvars` from the files beside it, then `var_files`;
    the syntax errors of those files (what does parse is still used)."""
    names = run.listing(module.dir)
    errors: list[ParseError] = []
    for name in tfvars_names(names):
        pf, why = run.read(module.dir / name)
        if pf is not None:
            errors.extend(_values(pf, module))
        elif why not in _NOT_ERRORS:
            errors.append(_unread(run, module.dir / name, why))
    for var_file in var_files:
        # Named by the user, so wherever it is; read_var_file refused,
        # before the scan, one that cannot be used.
        try:
            text = decode(var_file.data)
        except LoadError:
            continue
        pf = run.world.register(var_file.path, run.display(var_file.path), var_file.data, text)
        errors.extend(_values(pf, module))
    return errors


# Why a .tfvars beside a module was not read, when that is no error of it.
_NOT_ERRORS = ("no such file", "outside the scanned tree", "a directory")


def _unread(run: Run, path: Path, why: str) -> ParseError:
    """A .tfvars file that is there but cannot be used (not UTF-8 text,
    too large): located where decoding failed, when that is why."""
    offset = 0
    data = b""
    try:
        with open(path, "rb") as fh:
            data = fh.read(inputs.LARGE_BYTES + 1)
        decode(data)
    except LoadError as exc:
        offset = exc.offset or 0
    except OSError:
        pass
    raw = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    pf = World().register(path, run.display(path), data, raw)
    return ParseError(f"not read: {why}", pf.span(offset, offset))


def read_var_file(path: Path) -> tuple[VarFile | None, str]:
    """A `--var-file`, read once; or None and why it cannot be used
    (`file:line:column: message`)."""
    try:
        with open(path, "rb") as fh:
            if stat.S_ISDIR(os.fstat(fh.fileno()).st_mode):
                return None, f"{path}: is a directory"
            data = fh.read(inputs.LARGE_BYTES + 1)
    except FileNotFoundError:
        return None, f"{path}: no such file"
    except IsADirectoryError:
        return None, f"{path}: is a directory"
    except OSError as exc:
        return None, f"{path}: cannot read: {exc.strerror}"
    if len(data) > inputs.LARGE_BYTES:
        return None, f"{path}: larger than {inputs.LARGE_BYTES // 1024} KiB"
    try:
        text = decode(data)
    except LoadError as exc:
        # Offsets count from after a BOM, which register drops too.
        raw = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        line, column = World().register(path, str(path), data, raw).position(exc.offset or 0)
        return None, f"{path}:{line}:{column}: {exc.message}"
    pf = World().register(path, str(path), data, text)
    if _is_json(path):
        try:
            root = parse_json(text)
        except JSONPosError as exc:
            line, column = pf.position(exc.offset)
            return None, f"{path}:{line}:{column}: invalid JSON: {exc.message}"
        if not isinstance(root, JObject):
            return None, f"{path}:1:1: a .tfvars.json file holds one JSON object"
        return VarFile(path.absolute(), data), ""
    tree = parse(pf)
    errors = syntax_errors(pf, tree)
    if errors:
        span = errors[0].span
        return None, f"{path}:{span.line}:{span.column}: {errors[0].message}"
    for child in tree.root_node.named_children:
        for node in child.named_children if child.type == "body" else []:
            if node.type == "block":
                line, column = pf.position(pf.char(node.start_byte))
                return None, f"{path}:{line}:{column}: a variables file holds only attributes"
    return VarFile(path.absolute(), data), ""


def _is_json(path: Path) -> bool:
    return path.name.lower().endswith(".json")


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
