"""Evaluating Terraform expressions into the neutral node tree, with positions.

An expression evaluates to a JNode (nodes.py) whose offsets are global
(tf_world.World): the position where the value was written, which may be
another file (a local, a variable default, a caller's argument, a file()d
document). What does not resolve is a JScalar holding a model.Unknown with
the expression's text; a string partly known is an Unknown with `parts`.

Evaluation is bounded: a depth limit, a per-run step budget, and cycle
detection on locals, variables and module outputs, so recursive locals or
reference cycles end as Unknown, never a RecursionError or a hang.
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from iamlint import inputs
from iamlint.loaders import LoadError
from iamlint.loaders.jsonpos import JSONPosError
from iamlint.loaders.jsonpos import parse as parse_json
from iamlint.loaders.nodes import JArray, JKey, JNode, JObject, JScalar
from iamlint.loaders.text import decode
from iamlint.loaders.tf_world import PFile, World, parse
from iamlint.model import PARTITION, REGION, THIS_ACCOUNT, Scalar, Unknown

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_DEPTH = 60
MAX_STEPS = 2_000_000
MAX_ITEMS = 1000  # elements a for expression, a dynamic block or for_each expands
MAX_FILE = inputs.LARGE_BYTES  # bytes file() / templatefile() read
MAX_STRING = 256 * 1024
MAX_MODULE_DEPTH = 8

PH_OPEN, PH_CLOSE = "\ue000", "\ue001"
_PH = re.compile(PH_OPEN + r"(\d+)" + PH_CLOSE)
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


# ---------------------------------------------------------------- values


class TfStr(JScalar):
    """A string (or partly known string) with a map back to its source.

    `segs` maps offsets in `text` to global offsets: (text_start,
    global_start, linear). `text` is the value, or for a partly known
    string the value with placeholders for the unknown pieces in `subs`.
    """

    __slots__ = ("in_string", "segs", "sub_text", "subs", "text")

    def __init__(
        self,
        value: Scalar | Unknown,
        start: int,
        end: int,
        text: str,
        segs: list[tuple[int, int, bool]],
        subs: list[JNode] | None = None,
        sub_text: list[str] | None = None,
        in_string: list[bool] | None = None,
    ) -> None:
        super().__init__(value, start, end)
        self.text = text
        self.segs = segs
        self.subs = subs or []
        self.sub_text = sub_text or []
        self.in_string = in_string or []

    def where(self, offset: int) -> int:
        """Global offset of a character of `text`."""
        segs = self.segs
        lo, hi = 0, len(segs)
        while lo < hi:
            mid = (lo + hi) // 2
            if segs[mid][0] <= offset:
                lo = mid + 1
            else:
                hi = mid
        if lo == 0:
            return self.start
        out_start, g, linear = segs[lo - 1]
        return g + (offset - out_start) if linear else g


class TfJson(JScalar):
    """The result of jsonencode() or a policy document's `.json`: the tree."""

    __slots__ = ("origin", "tree")

    def __init__(
        self, value: Scalar | Unknown, tree: JNode, start: int, end: int, origin: str = ""
    ) -> None:
        super().__init__(value, start, end)
        self.tree = tree
        self.origin = origin


class TfRef(JScalar):
    """An unresolved reference to a resource attribute (`aws_iam_policy.x.arn`)."""

    __slots__ = ("target",)

    def __init__(self, value: Unknown, start: int, end: int, target: str) -> None:
        super().__init__(value, start, end)
        self.target = target


# The kind of Unknown for an expression Terraform would reject (an attribute
# a known object lacks): try() moves on to its next argument.
MISSING = "missing"


def unknown(text: str, start: int, end: int, kind: str = "") -> JScalar:
    return JScalar(Unknown(_clip(text), kind=kind), start, end)


def _clip(text: str) -> str:
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= 200 else text[:197] + "..."


def is_unknown(node: JNode) -> bool:
    return isinstance(node, JScalar) and isinstance(node.value, Unknown)


def fully_known(node: JNode, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(node, TfJson):
        return not isinstance(node.value, Unknown)
    if isinstance(node, JScalar):
        return not isinstance(node.value, Unknown)
    if isinstance(node, JArray):
        return all(fully_known(i, depth + 1) for i in node.items)
    if isinstance(node, JObject):
        return all(fully_known(v, depth + 1) for _, v in node.pairs)
    return False


def plain(node: JNode, depth: int = 0) -> Any:
    """A node as plain Python data (Unknowns as their expression text)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(node, TfJson):
        return node.value if isinstance(node.value, str) else plain(node.tree, depth + 1)
    if isinstance(node, JScalar):
        return node.value.expression if isinstance(node.value, Unknown) else node.value
    if isinstance(node, JArray):
        return [plain(i, depth + 1) for i in node.items]
    if isinstance(node, JObject):
        return {k.text: plain(v, depth + 1) for k, v in node.pairs}
    return None


def to_json_text(node: JNode) -> str | Unknown:
    if not fully_known(node):
        return Unknown("jsonencode(...)")
    try:
        return json.dumps(plain(node), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return Unknown("jsonencode(...)")


def mark_default(node: JNode, depth: int = 0) -> JNode:
    """A copy of a value that came from a variable default, so marked."""
    if depth > MAX_DEPTH:
        return node
    if isinstance(node, JObject):
        return JObject(
            [(k, mark_default(v, depth + 1)) for k, v in node.pairs], node.start, node.end
        )
    if isinstance(node, JArray):
        return JArray([mark_default(i, depth + 1) for i in node.items], node.start, node.end)
    if isinstance(node, JScalar) and not isinstance(node, JKey):
        marked = copy.copy(node)
        marked.from_default = True
        return marked
    return node


# ---------------------------------------------------------------- syntax


class Attr:
    """An attribute: its expression (a tree-sitter node or a .tf.json node)."""

    __slots__ = ("_roots", "end", "expr", "key_end", "key_start", "name", "pf", "start")

    def __init__(
        self, name: str, expr: Any, pf: PFile, start: int, end: int, key_start: int, key_end: int
    ) -> None:
        self.name = name
        self.expr = expr
        self.pf = pf
        self.start = start
        self.end = end
        self.key_start = key_start
        self.key_end = key_end
        self._roots: frozenset[str] | None = None

    def roots(self) -> frozenset[str] | None:
        """The names the expression's references start with (`count` of
        `count.index`, `var`, `local`), or None when not known (.tf.json)."""
        if self._roots is None and not isinstance(self.expr, JNode):
            names = set()
            stack = [self.expr]
            while stack:
                node = stack.pop()
                if node.type == "variable_expr":
                    names.add(self.pf.source(node))
                else:
                    stack.extend(node.children)
            self._roots = frozenset(names)
        return self._roots


class Block:
    """A block (`resource "t" "n" {...}`), from HCL or from .tf.json."""

    __slots__ = ("_attrs", "_blocks", "body", "end", "labels", "pf", "start", "type")

    def __init__(
        self, type_: str, labels: list[str], body: Any, pf: PFile, start: int, end: int
    ) -> None:
        self.type = type_
        self.labels = labels
        self.body = body  # tree-sitter body node, JObject, or None
        self.pf = pf
        self.start = start
        self.end = end
        self._attrs: dict[str, Attr] | None = None
        self._blocks: list[Block] | None = None

    def _read(self) -> None:
        attrs: dict[str, Attr] = {}
        blocks: list[Block] = []
        pf = self.pf
        body = self.body
        if isinstance(body, JObject):
            for key, val in body.pairs:
                attrs[key.text] = Attr(key.text, val, pf, key.start, val.end, key.start, key.end)
                items = val.items if isinstance(val, JArray) else [val]
                for item in items:
                    if isinstance(item, JObject):
                        if key.text == "dynamic":
                            for k2, v2 in item.pairs:
                                for it2 in v2.items if isinstance(v2, JArray) else [v2]:
                                    if isinstance(it2, JObject):
                                        blocks.append(
                                            Block("dynamic", [k2.text], it2, pf, k2.start, it2.end)
                                        )
                        else:
                            blocks.append(Block(key.text, [], item, pf, key.start, item.end))
        elif body is not None:
            for child in body.named_children:
                t = child.type
                if t == "attribute":
                    name_node = child.named_children[0]
                    expr = child.named_children[-1]
                    s, e = pf.g(child)
                    ks, ke = pf.g(name_node)
                    name = pf.source(name_node)
                    attrs[name] = Attr(name, expr, pf, s, e, ks, ke)
                elif t == "block":
                    b = block_from_ts(child, pf)
                    if b is not None:
                        blocks.append(b)
        self._attrs = attrs
        self._blocks = blocks

    def attrs(self) -> dict[str, Attr]:
        if self._attrs is None:
            self._read()
        assert self._attrs is not None
        return self._attrs

    def attr(self, name: str) -> Attr | None:
        return self.attrs().get(name)

    def blocks(self, type_: str | None = None) -> list[Block]:
        if self._blocks is None:
            self._read()
        assert self._blocks is not None
        if type_ is None:
            return self._blocks
        return [b for b in self._blocks if b.type == type_]


def block_from_ts(node: Node, pf: PFile) -> Block | None:
    type_ = ""
    labels: list[str] = []
    body = None
    for child in node.named_children:
        t = child.type
        if t == "identifier":
            if not type_:
                type_ = pf.source(child)
            else:
                labels.append(pf.source(child))
        elif t == "string_lit":
            labels.append(_unescape(pf.source(child)[1:-1]))
        elif t == "body":
            body = child
    if not type_:
        return None
    s, e = pf.g(node)
    return Block(type_, labels, body, pf, s, e)


def _unescape(raw: str) -> str:
    if "\\" not in raw and "$${" not in raw and "%%{" not in raw:
        return raw

    def sub(m: re.Match[str]) -> str:
        esc = m.group()
        if esc == "$${":
            return "${"
        if esc == "%%{":
            return "%{"
        c = esc[1]
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        if c in "uU":
            try:
                return chr(int(esc[2:], 16))
            except (ValueError, OverflowError):
                return esc
        return esc

    return _ESCAPE.sub(sub, raw)


# ---------------------------------------------------------------- modules


class Module:
    """The blocks of one module directory, indexed."""

    def __init__(self, directory: Path, files: list[PFile]) -> None:
        self.dir = directory
        self.files = files
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attr] = {}
        self.resources: dict[str, Block] = {}
        self.data: dict[str, Block] = {}
        self.modules: dict[str, Block] = {}
        self.outputs: dict[str, Block] = {}
        self.tfvars: dict[str, Attr] = {}
        self.order: list[Block] = []  # resources and data blocks, in file order
        # Values that read nothing of the instance they were computed in
        # (see Instance._memo), for every instance of the module to reuse.
        self.shared: dict[MemoKey, Shared] = {}

    def add(self, block: Block) -> None:
        t, labels = block.type, block.labels
        if t == "resource" and len(labels) == 2:
            key = f"{labels[0]}.{labels[1]}"
            self.resources.setdefault(key, block)
            self.order.append(block)
        elif t == "data" and len(labels) == 2:
            key = f"{labels[0]}.{labels[1]}"
            self.data.setdefault(key, block)
            self.order.append(block)
        elif t == "locals":
            for name, attr in block.attrs().items():
                self.locals.setdefault(name, attr)
        elif t == "variable" and labels:
            self.variables.setdefault(labels[0], block)
        elif t == "module" and labels:
            self.modules.setdefault(labels[0], block)
        elif t == "output" and labels:
            self.outputs.setdefault(labels[0], block)


def top_blocks(pf: PFile) -> Iterator[Block]:
    """The top-level blocks of a parsed .tf file (those free of syntax errors)."""
    tree = parse(pf)
    for child in tree.root_node.named_children:
        if child.type != "body":
            continue
        for node in child.named_children:
            if node.type != "block" or node.has_error:
                continue
            b = block_from_ts(node, pf)
            if b is not None:
                yield b


def json_blocks(pf: PFile, root: JNode) -> Iterator[Block]:
    """The blocks of a .tf.json document."""
    if not isinstance(root, JObject):
        return
    for key, val in root.pairs:
        kind = key.text
        if kind in ("resource", "data"):
            for t_key, by_name in _json_objects(val):
                for n_key, body in _json_objects(by_name):
                    for item in _json_items(body):
                        yield Block(kind, [t_key.text, n_key.text], item, pf, n_key.start, item.end)
        elif kind in ("variable", "module", "output"):
            for n_key, body in _json_objects(val):
                for item in _json_items(body):
                    yield Block(kind, [n_key.text], item, pf, n_key.start, item.end)
        elif kind == "locals":
            for item in _json_items(val):
                yield Block("locals", [], item, pf, key.start, item.end)


def _json_objects(node: JNode) -> Iterator[tuple[JKey, JNode]]:
    for item in _json_items(node):
        yield from item.pairs


def _json_items(node: JNode) -> Iterator[JObject]:
    if isinstance(node, JObject):
        yield node
    elif isinstance(node, JArray):
        for item in node.items:
            if isinstance(item, JObject):
                yield item


# ---------------------------------------------------------------- run state


class Run:
    """State shared by every instance of one load(): the scan root, budgets,
    the module cache, notes."""

    def __init__(self, world: World, root: Path, display: Callable[[Path], str]) -> None:
        self.world = world
        self.root = root
        self.display = display
        self.steps = 0
        self.modules: dict[Path, Module | None] = {}
        self.loading: set[Path] = set()
        # Where an expression nested deeper than MAX_DEPTH: (file, offset).
        self.too_deep: dict[str, tuple[PFile, int]] = {}
        self._real_dirs: dict[str, str] = {}
        self._real_root: str | None = None
        # Files and directories read beyond the unit's own files, with a
        # token of what they held (inputs.py): the results cache's
        # dependencies.
        self.inputs: dict[str, tuple[str, int, int]] = {}
        # Set by any read of what differs between instances of a module
        # (variables, path.root, module outputs, resource addresses, files,
        # cycles, budgets); Instance._memo shares only values computed
        # while it stayed clear.
        self.dep = False
        # Policy documents marked used, in order: what a shared value
        # must mark again in the instance that reuses it.
        self.marks: list[tuple[Instance, str]] = []
        # Variables read at their declared default, in order: a value that
        # read some is shared with the instances that leave them unset too.
        self.defaults: list[str] = []

    def inside(self, path: Path) -> bool:
        """Does `path`, symlinks resolved, lie inside the scanned tree?"""
        # Asked for every file and module directory a unit reads, and
        # resolving costs a system call per path component: directories
        # are resolved once per run, a file only when it is a symlink.
        try:
            if self._real_root is None:
                self._real_root = os.path.realpath(self.root)
            if ".." in path.parts:
                # The system resolves `link/..` through the link, while
                # abspath would just drop both: only realpath is faithful.
                real = os.path.realpath(path)
            else:
                parent, name = os.path.split(os.path.abspath(path))
                real_parent = self._real_dirs.get(parent)
                if real_parent is None:
                    real_parent = self._real_dirs[parent] = os.path.realpath(parent)
                real = os.path.join(real_parent, name)
                if os.path.islink(real):
                    real = os.path.realpath(real)
        except (OSError, ValueError):
            return False
        return real == self._real_root or real.startswith(self._real_root.rstrip(os.sep) + os.sep)

    def note(self, key: str, token: str, st: os.stat_result | None = None) -> None:
        """Record an input (inputs.py), with the size and time it had."""
        if st is None:
            self.inputs[key] = (token, -1, -1)
        else:
            self.inputs[key] = (token, st.st_size, st.st_mtime_ns)

    def listing(self, directory: Path) -> list[str]:
        """The names in a directory, sorted, recorded as an input (its
        modification time changes when an entry comes or goes)."""
        key = os.path.abspath(directory)
        try:
            st = os.stat(directory)
            names = sorted(os.listdir(directory))
        except OSError:
            self.note(key, inputs.UNREADABLE)
            return []
        self.note(key, inputs.listing_token(names), st)
        return names

    def read(self, path: Path) -> tuple[PFile | None, str]:
        """A file inside the scanned tree, registered; or None and why not."""
        key = _input_key(path)
        if not self.inside(path):
            self.note(key, inputs.resolved_token(key))
            return None, "outside the scanned tree"
        st = None
        try:
            st = path.stat()
            if stat.S_ISDIR(st.st_mode):
                self.note(key, inputs.current_token(key))
                return None, "a directory"
            if st.st_size > MAX_FILE:
                self.note(key, inputs.LARGE, st)
                return None, "file too large"
            data = path.read_bytes()
        except FileNotFoundError:
            self.note(key, inputs.ABSENT)
            return None, "no such file"
        except IsADirectoryError:
            self.note(key, inputs.current_token(key))
            return None, "a directory"
        except OSError as exc:
            self.note(key, inputs.UNREADABLE)
            return None, exc.strerror or "unreadable"
        # The size and time before the read: a change during it shows later.
        self.note(key, inputs.content_token(data), st)
        try:
            text = decode(data)
        except LoadError as exc:
            return None, exc.message
        return self.world.register(path, self.display(path), data, text), ""

    def module(self, directory: Path, load_tfvars: bool = False) -> Module | None:
        """The module in a directory, parsed once per run."""
        directory = Path(os.path.normpath(directory))
        if directory in self.modules:
            return self.modules[directory]
        key = _input_key(directory)
        if not self.inside(directory):
            self.note(key, inputs.resolved_token(key))
            self.modules[directory] = None
            return None
        if not directory.is_dir():
            self.note(key, inputs.current_token(key))
            self.modules[directory] = None
            return None
        files = []
        names = self.listing(directory)
        for name in names:
            lower = name.lower()
            if lower.endswith((".tf", ".tf.json")):
                pf, _ = self.read(directory / name)
                if pf is not None:
                    files.append(pf)
        module = build_module(self.world, directory, files)
        self.modules[directory] = module
        return module


def _input_key(path: Path) -> str:
    """The path an input is recorded under: absolute, and with `..`
    resolved as the system does (through symlinks) when there is one."""
    return os.path.realpath(path) if ".." in path.parts else os.path.abspath(path)


def build_module(world: World, directory: Path, files: list[PFile]) -> Module:
    """The index of a module's files (syntax only), kept by the World that
    holds those files so neighbouring units share it; offsets are the
    World's, so it never outlives it."""
    key = (directory, tuple(pf.base for pf in files))
    cached = world.modules.get(key)
    if cached is not None:
        assert isinstance(cached, Module)
        cached.tfvars.clear()
        return cached
    module = Module(directory, files)
    world.modules[key] = module
    for pf in files:
        for block in file_blocks(pf):
            module.add(block)
    return module


def file_blocks(pf: PFile) -> list[Block]:
    if pf.path.name.lower().endswith(".json"):
        try:
            root = parse_json(pf.text)
        except JSONPosError:
            return []
        return list(json_blocks(pf, shift(root, pf.base)))
    return list(top_blocks(pf))


def shift(node: JNode, base: int) -> JNode:
    """Move a parsed JSON tree's offsets into the global space (in place)."""
    stack = [node]
    while stack:
        n = stack.pop()
        n.start += base
        n.end += base
        if isinstance(n, JObject):
            for k, v in n.pairs:
                k.start += base
                k.end += base
                stack.append(v)
        elif isinstance(n, JArray):
            stack.extend(n.items)
    return node


# ---------------------------------------------------------------- instances


Bindings = dict[str, JNode]
# ("attr", Attr) for an attribute evaluated without bindings, ("doc", name)
# for a policy document.
MemoKey = tuple[str, Any]
# A value; whether it depends on its instance; the documents it marked used;
# the variables it read at their defaults.
Memo = tuple[JNode | None, bool, tuple[tuple["Instance", str], ...], tuple[str, ...]]
Shared = tuple[JNode | None, tuple[str, ...], frozenset[str]]


class Instance:
    """A module evaluated in one context: the root of a scan, or a child
    called with its caller's arguments."""

    def __init__(
        self,
        run: Run,
        module: Module,
        prefix: str = "",
        caller: Instance | None = None,
        call: Block | None = None,
        depth: int = 0,
    ) -> None:
        self.run = run
        self.module = module
        self.prefix = prefix
        self.caller = caller
        self.call = call
        self.depth = depth
        # name -> value, documents it marked used, whether it depends on
        # more than its name (a default that reads another variable).
        self.vars: dict[str, tuple[JNode, tuple[tuple[Instance, str], ...], bool]] = {}
        self._set: frozenset[str] | None = None
        self.busy: set[str] = set()
        self.children: dict[str, Instance | None] = {}
        self.consumed: set[str] = set()  # policy documents used by another construct
        self.memo: dict[MemoKey, Memo] = {}

    def _memo(self, key: MemoKey, compute: Callable[[], JNode | None]) -> JNode | None:
        """`compute()`, once per instance; and once per module when it read
        nothing that differs between the module's instances but variables
        left at their defaults.

        A module called 62 times (the lambda module of the corpus's
        examples) evaluates most of its locals, counts and documents from
        the same defaults every time: those are reused.
        """
        run = self.run
        got = self.memo.get(key)
        if got is not None:
            value, dep, marks, defaults = got
            if dep:
                run.dep = True
            run.marks.extend(marks)
            run.defaults.extend(defaults)
            return value
        shared = self.module.shared.get(key)
        if shared is not None and shared[2].isdisjoint(self.variables_set()):
            value, names, defaults_read = shared
            for name in names:
                self.mark(name)
            run.defaults.extend(defaults_read)
            self.memo[key] = (value, False, tuple((self, n) for n in names), tuple(defaults_read))
            return value
        outer, n, m = run.dep, len(run.marks), len(run.defaults)
        run.dep = False
        try:
            value = compute()
        finally:
            dep = run.dep
            run.dep = outer or dep
        # Once each: a value naming a document a thousand times (a for
        # expression over it) must not carry, and replay, a thousand marks.
        marks = tuple(dict.fromkeys(run.marks[n:]))
        defaults = tuple(dict.fromkeys(run.defaults[m:]))
        self.memo[key] = (value, dep, marks, defaults)
        if not dep and shared is None and all(i is self for i, _ in marks):
            names = tuple(name for _, name in marks)
            self.module.shared[key] = (value, names, frozenset(defaults))
        return value

    def variables_set(self) -> frozenset[str]:
        """The variables this instance gives a value: its caller's
        arguments, or a root module's tfvars."""
        if self._set is None:
            if self.call is not None:
                self._set = frozenset(self.call.attrs())
            else:
                self._set = frozenset(self.module.tfvars)
        return self._set

    def mark(self, key: str) -> None:
        """Record that a policy document is used by another construct."""
        self.consumed.add(key)
        self.run.marks.append((self, key))

    def eval_once(self, block: Block, name: str) -> JNode | None:
        """An attribute of a block evaluated without bindings (count,
        for_each), memoised like every such evaluation."""
        return self.eval(block.attr(name))

    # -- evaluation entry points

    def eval(self, attr: Attr | None, bindings: Bindings | None = None) -> JNode | None:
        if attr is None:
            return None
        if bindings:
            roots = attr.roots()
            if roots is None or not roots.isdisjoint(bindings):
                return Evaluator(self, bindings).ev(attr.expr, attr.pf, 0)
            # `count.index` and `each.value` unused: as if there were no
            # bindings, so the value is memoised and shared like any other.
        return self._memo(("attr", attr), lambda: Evaluator(self, {}).ev(attr.expr, attr.pf, 0))

    def eval_expr(self, expr: Any, pf: PFile, bindings: Bindings | None = None) -> JNode:
        return Evaluator(self, bindings or {}).ev(expr, pf, 0)

    # -- names

    def var(self, name: str, start: int, end: int) -> JNode:
        run = self.run
        got = self.vars.get(name)
        if got is None:
            if name in self.busy_var:
                run.dep = True
                return unknown(f"var.{name}", start, end)
            self.busy_var.add(name)
            outer, n = run.dep, len(run.marks)
            run.dep = False
            try:
                value = self._var(name, start, end)
            finally:
                self.busy_var.discard(name)
                dep = run.dep
                run.dep = outer or dep
            got = self.vars[name] = (value, tuple(dict.fromkeys(run.marks[n:])), dep)
        else:
            run.marks.extend(got[1])
            if got[2]:
                run.dep = True
        if name in self.variables_set():
            run.dep = True
        else:
            run.defaults.append(name)
        return got[0]

    @property
    def busy_var(self) -> set[str]:
        return self.busy

    def _var(self, name: str, start: int, end: int) -> JNode:
        if self.call is not None and self.caller is not None:
            arg = self.call.attr(name)
            if arg is not None:
                return self.caller.eval(arg) or unknown(f"var.{name}", start, end)
        elif name in self.module.tfvars:
            # Not memoised: each load reads its .tfvars afresh.
            attr = self.module.tfvars[name]
            return Evaluator(self, {}).ev(attr.expr, attr.pf, 0)
        decl = self.module.variables.get(name)
        if decl is not None:
            default = decl.attr("default")
            if default is not None:
                got = self.eval(default)
                if got is not None:
                    return mark_default(got)
        return unknown(f"var.{name}", start, end)

    def local(self, name: str, start: int, end: int) -> JNode:
        key = "local." + name
        attr = self.module.locals.get(name)
        if attr is None:
            return unknown(f"local.{name}", start, end)
        if key in self.busy:
            self.run.dep = True  # a cycle: what it yields depends on where it was entered
            return unknown(f"local.{name}", start, end)
        self.busy.add(key)
        try:
            value = self.eval(attr)
        finally:
            self.busy.discard(key)
        return value or unknown(f"local.{name}", start, end)

    def doc(self, name: str, start: int, end: int, mark: bool = True) -> JNode:
        """data.aws_iam_policy_document.NAME as its JSON tree; `mark` records
        that something else uses it."""
        key = "data.aws_iam_policy_document." + name
        if mark:
            self.mark(key)
        block = self.module.data.get("aws_iam_policy_document." + name)
        if block is None:
            return unknown(key + ".json", start, end)
        if key in self.busy:
            self.run.dep = True
            return unknown(key + ".json", start, end)

        def compute() -> JNode:
            from iamlint.loaders.tf_document import policy_document

            assert block is not None
            self.busy.add(key)
            try:
                tree = policy_document(self, block, {})
            finally:
                self.busy.discard(key)
            return TfJson(to_json_text(tree), tree, block.start, block.end, origin=key)

        value = self._memo(("doc", name), compute)
        assert value is not None
        return value

    def child(self, name: str) -> Instance | None:
        """The instance of a local module called `name` here."""
        self.run.dep = True
        if name in self.children:
            return self.children[name]
        self.children[name] = None
        call = self.module.modules.get(name)
        inst = None
        if call is not None and self.depth < MAX_MODULE_DEPTH:
            directory = module_dir(self, call)
            if directory is not None and directory not in self.run.loading:
                module = self.run.module(directory)
                if module is not None:
                    inst = Instance(
                        self.run,
                        module,
                        f"{self.prefix}module.{name}.",
                        caller=self,
                        call=call,
                        depth=self.depth + 1,
                    )
        self.children[name] = inst
        return inst

    def output(self, module_name: str, output: str, start: int, end: int, text: str) -> JNode:
        inst = self.child(module_name)
        if inst is None:
            return unknown(text, start, end)
        block = inst.module.outputs.get(output)
        key = "output." + output
        if block is None or key in inst.busy:
            return unknown(text, start, end)
        inst.busy.add(key)
        try:
            value = inst.eval(block.attr("value"))
        finally:
            inst.busy.discard(key)
        return value if value is not None else unknown(text, start, end)


def module_dir(inst: Instance, call: Block) -> Path | None:
    """The directory of a local module (`source = "./..."`), inside the tree."""
    source = inst.eval(call.attr("source"))
    if not isinstance(source, JScalar) or not isinstance(source.value, str):
        return None
    src = source.value
    if not src.startswith(("./", "../")) and src not in (".", ".."):
        return None
    path = Path(os.path.normpath(inst.module.dir / src))
    if inst.run.inside(path):
        return path
    # Where it leads is an input: a symlink pointed back inside is news.
    key = _input_key(path)
    inst.run.note(key, inputs.resolved_token(key))
    return None


# ---------------------------------------------------------------- evaluator

_RESOURCE_COMPUTED = frozenset({"id", "arn", "unique_id"})
_NAMED_ROOTS = frozenset({"var", "local", "path", "data", "module"})
_PH_RE = _PH


class Evaluator:
    __slots__ = ("b", "inst", "run")

    def __init__(self, inst: Instance, bindings: Bindings) -> None:
        self.inst = inst
        self.run = inst.run
        self.b = bindings

    def ev(self, expr: Any, pf: PFile, depth: int) -> JNode:
        run = self.run
        run.steps += 1
        if isinstance(expr, JNode):
            return self.ev_json(expr, pf, depth)
        if depth > MAX_DEPTH or run.steps > MAX_STEPS:
            s, e = pf.g(expr)
            run.dep = True  # budgets are the run's, not the expression's
            if depth > MAX_DEPTH:
                run.too_deep.setdefault(pf.display, (pf, s))
            why = "too deeply nested" if depth > MAX_DEPTH else "evaluation budget exhausted"
            return unknown(f"{pf.source(expr)} ({why})", s, e)
        t = expr.type
        if t == "expression":
            children = expr.children
            if len(children) != 1:
                return self.seq(children, pf, depth + 1, expr)
            # Half the nodes evaluated are such one-child wrappers: unwrap
            # here rather than through another call.
            expr, depth = children[0], depth + 1
            t = expr.type
            run.steps += 1  # as the call it saves would have counted
            if depth > MAX_DEPTH or run.steps > MAX_STEPS or t == "expression":
                return self.ev(expr, pf, depth)
        if t == "literal_value":
            return self.literal(expr.children[0], pf)
        if t in ("numeric_lit", "bool_lit", "null_lit", "string_lit"):
            return self.literal(expr, pf)
        if t == "template_expr":
            return self.template(expr.children[0], pf, depth + 1)
        if t in ("quoted_template", "heredoc_template"):
            return self.template(expr, pf, depth + 1)
        if t == "collection_value":
            return self.ev(expr.children[0], pf, depth)
        if t == "tuple":
            items = [
                self.ev(c, pf, depth + 1) for c in expr.named_children if c.type == "expression"
            ]
            s, e = pf.g(expr)
            return JArray(items, s, e)
        if t == "object":
            return self.object(expr, pf, depth + 1)
        if t in ("variable_expr", "function_call", "for_expr", "splat", "get_attr", "index"):
            return self.seq([expr], pf, depth + 1, expr)
        if t == "operation":
            return self.operation(expr.children[0], pf, depth + 1)
        if t == "conditional":
            return self.conditional(expr, pf, depth + 1)
        s, e = pf.g(expr)
        return unknown(pf.source(expr), s, e)

    # -- pieces

    def literal(self, node: Node, pf: PFile) -> JNode:
        s, e = pf.g(node)
        t = node.type
        raw = pf.source(node)
        if t == "numeric_lit":
            try:
                num: int | float = int(raw) if raw.isdigit() else float(raw)
            except ValueError:
                return unknown(raw, s, e)
            return JScalar(num, s, e)
        if t == "bool_lit":
            return JScalar(raw == "true", s, e)
        if t == "null_lit":
            return JScalar(None, s, e)
        value = _unescape(raw[1:-1])
        return TfStr(value, s, e, value, [(0, s + 1, True)])

    def object(self, node: Node, pf: PFile, depth: int) -> JNode:
        pairs: list[tuple[JKey, JNode]] = []
        for elem in node.named_children:
            if elem.type != "object_elem":
                continue
            exprs = [c for c in elem.named_children if c.type == "expression"]
            if len(exprs) != 2:
                continue
            key_node, val_node = exprs
            ks, ke = pf.g(key_node)
            kids = key_node.named_children
            if len(kids) == 1 and kids[0].type == "variable_expr":
                key: Scalar | Unknown = pf.source(kids[0])
            else:
                k = self.ev(key_node, pf, depth)
                key = k.value if isinstance(k, JScalar) else Unknown(pf.source(key_node))
                if not isinstance(key, (str, Unknown)):
                    key = str(key).lower() if isinstance(key, bool) else str(key)
            pairs.append((JKey(key, ks, ke), self.ev(val_node, pf, depth)))
        s, e = pf.g(node)
        return JObject(pairs, s, e)

    def seq(self, nodes: Sequence[Node], pf: PFile, depth: int, whole: Node) -> JNode:
        """A term followed by attribute, index and splat operators."""
        head = nodes[0]
        rest = list(nodes[1:])
        if head.type == "(":
            inner = nodes[1]
            value = self.ev(inner, pf, depth)
            rest = [n for n in nodes[3:]]
            return self.apply(value, rest, pf, depth, whole)
        t = head.type
        if t == "variable_expr":
            return self.reference(pf.source(head), rest, pf, depth, whole)
        if t == "function_call":
            value = self.call(head, pf, depth)
        elif t == "for_expr":
            value = self.for_expr(head.children[0], pf, depth)
        else:
            value = self.ev(head, pf, depth)
        return self.apply(value, rest, pf, depth, whole)

    def apply(self, value: JNode, ops: Sequence[Node], pf: PFile, depth: int, whole: Node) -> JNode:
        for i, op in enumerate(ops):
            t = op.type
            if t == "comment":
                continue
            if is_unknown(value):
                s, e = pf.g(whole)
                return unknown(pf.source(whole), s, e)
            if t == "get_attr":
                name = pf.source(op)[1:].strip()
                value = self._get(value, name, pf, whole)
            elif t == "index":
                value = self._index(value, op, pf, depth, whole)
            elif t == "splat":
                value = self._splat(value, op, pf, depth, whole)
            else:
                s, e = pf.g(whole)
                return unknown(pf.source(whole), s, e)
            del i
        return value

    def _get(self, value: JNode, name: str, pf: PFile, whole: Node) -> JNode:
        s, e = pf.g(whole)
        if isinstance(value, JObject):
            got = value.get(name)
            if got is not None:
                return got
            if all(isinstance(k.value, str) for k, _ in value.pairs):
                # A fully known object without that attribute: Terraform
                # fails here, which try() turns into its next argument.
                return unknown(pf.source(whole), s, e, kind=MISSING)
        return unknown(pf.source(whole), s, e)

    def _index(self, value: JNode, op: Node, pf: PFile, depth: int, whole: Node) -> JNode:
        inner = op.children[0]
        if inner.type == "legacy_index":
            raw = pf.source(inner)[1:].strip()
            key: Any = int(raw) if raw.isdigit() else raw
        else:
            exprs = [c for c in inner.named_children if c.type == "expression"]
            if not exprs:
                s, e = pf.g(whole)
                return unknown(pf.source(whole), s, e)
            k = self.ev(exprs[0], pf, depth)
            key = k.value if isinstance(k, JScalar) else None
        if (
            isinstance(value, JArray)
            and isinstance(key, (int, float))
            and not isinstance(key, bool)
        ):
            idx = int(key)
            if 0 <= idx < len(value.items):
                return value.items[idx]
        elif isinstance(value, JObject) and isinstance(key, (str, int)):
            got = value.get(str(key))
            if got is not None:
                return got
        s, e = pf.g(whole)
        return unknown(pf.source(whole), s, e)

    def _key(self, op: Node, pf: PFile, depth: int) -> str | None:
        """The key of an index operator when it is a known string or number."""
        inner = op.children[0]
        if inner.type == "legacy_index":
            return pf.source(inner)[1:].strip() or None
        exprs = [c for c in inner.named_children if c.type == "expression"]
        if not exprs:
            return None
        k = self.ev(exprs[0], pf, depth)
        value = k.value if isinstance(k, JScalar) else None
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
        return None

    def _splat(self, value: JNode, op: Node, pf: PFile, depth: int, whole: Node) -> JNode:
        inner = op.children[0]
        ops = [c for c in inner.named_children if c.type in ("get_attr", "index")]
        if isinstance(value, JScalar) and value.value is None:
            return JArray([], value.start, value.end)
        items = value.items if isinstance(value, JArray) else [value]
        out = [self.apply(item, ops, pf, depth, whole) for item in items[:MAX_ITEMS]]
        return JArray(out, value.start, value.end)

    # -- references

    def reference(self, root: str, ops: list[Node], pf: PFile, depth: int, whole: Node) -> JNode:
        inst = self.inst
        s, e = pf.g(whole)
        if root in self.b:
            return self.apply(self.b[root], ops, pf, depth, whole)
        if root not in _NAMED_ROOTS:
            # A resource (`aws_iam_policy.p.arn`), or nothing we know.
            if ops and "_" in root and ops[0].type == "get_attr":
                name = pf.source(ops[0])[1:].strip()
                if name:
                    return self._resource(root, name, ops[1:], pf, depth, whole)
            return unknown(pf.source(whole), s, e)
        names = [pf.source(op)[1:].strip() if op.type == "get_attr" else None for op in ops[:2]]
        first = names[0] if names else None
        if root == "var" and first:
            return self.apply(inst.var(first, s, e), ops[1:], pf, depth, whole)
        if root == "local" and first:
            return self.apply(inst.local(first, s, e), ops[1:], pf, depth, whole)
        if root == "path" and first in ("module", "root", "cwd"):
            directory = inst.module.dir if first == "module" else self._root_dir()
            value = str(directory)
            return TfStr(value, s, e, value, [(0, s, False)])
        if root == "data" and len(names) >= 2 and names[0] and names[1]:
            return self._data(names[0], names[1], ops[2:], pf, depth, whole)
        if root == "module" and len(names) >= 2 and names[0]:
            rest = ops[1:]
            while rest and rest[0].type == "index":
                rest = rest[1:]
            if rest and rest[0].type == "get_attr":
                out_name = pf.source(rest[0])[1:].strip()
                got = inst.output(names[0], out_name, s, e, pf.source(whole))
                return self.apply(got, rest[1:], pf, depth, whole)
            return unknown(pf.source(whole), s, e)
        return unknown(pf.source(whole), s, e)

    def _root_dir(self) -> Path:
        self.run.dep = True
        inst = self.inst
        while inst.caller is not None:
            inst = inst.caller
        return inst.module.dir

    def _data(
        self, type_: str, name: str, ops: list[Node], pf: PFile, depth: int, whole: Node
    ) -> JNode:
        s, e = pf.g(whole)
        text = pf.source(whole)
        while ops and ops[0].type in ("index", "splat"):
            ops = ops[1:]
        attr = pf.source(ops[0])[1:].strip() if ops and ops[0].type == "get_attr" else ""
        if type_ == "aws_iam_policy_document" and attr in ("json", "minified_json"):
            value = self.inst.doc(name, s, e)
            if isinstance(value, TfJson):
                value = TfJson(value.value, value.tree, s, e, value.origin)
            return self.apply(value, ops[1:], pf, depth, whole)
        kind = ""
        if type_ == "aws_caller_identity" and attr == "account_id":
            kind = THIS_ACCOUNT
        elif type_ == "aws_partition" and attr == "partition":
            kind = PARTITION
        elif type_ == "aws_region" and attr in ("name", "region"):
            kind = REGION
        return unknown(text, s, e, kind) if not ops[1:] else unknown(text, s, e)

    def _resource(
        self, type_: str, name: str, ops: list[Node], pf: PFile, depth: int, whole: Node
    ) -> JNode:
        inst = self.inst
        s, e = pf.g(whole)
        text = pf.source(whole)
        target = f"{inst.prefix}{type_}.{name}"
        self.run.dep = True  # the address carries the instance's module path
        block = inst.module.resources.get(f"{type_}.{name}")
        if ops and ops[0].type == "index":
            # `aws_iam_user.team["ana"]`: the address of that one instance,
            # as the extractor names the instances of a literal for_each.
            key = self._key(ops[0], pf, depth)
            if key is not None:
                target += f'["{key}"]'
        while ops and ops[0].type in ("index", "splat"):
            ops = ops[1:]
        if block is None or not ops or ops[0].type != "get_attr":
            return TfRef(Unknown(_clip(text)), s, e, target)
        attr_name = pf.source(ops[0])[1:].strip()
        attr = block.attr(attr_name) if attr_name not in _RESOURCE_COMPUTED else None
        key = f"{type_}.{name}.{attr_name}"
        if attr is None or key in inst.busy:
            return TfRef(Unknown(_clip(text)), s, e, target)
        inst.busy.add(key)
        try:
            value = Evaluator(inst, {}).ev(attr.expr, attr.pf, depth + 1)
        finally:
            inst.busy.discard(key)
        if is_unknown(value):
            return TfRef(Unknown(_clip(text)), s, e, target)
        return self.apply(value, ops[1:], pf, depth, whole)

    # -- templates

    def template(self, node: Node, pf: PFile, depth: int) -> JNode:
        s, e = pf.g(node)
        heredoc = node.type == "heredoc_template"
        children = node.children
        strip = heredoc and bool(children) and pf.source(children[0]).startswith("<<-")
        # tree-sitter leaves the whitespace around literal text out of its
        # nodes: the literal pieces are the source between the holes.
        if heredoc and pf.delta:
            # A template file, wrapped in a heredoc for the parser: all of it.
            lo, hi = pf.delta, pf.delta + len(pf.data)
        elif heredoc:
            idents = [c for c in children if c.type == "heredoc_identifier"]
            if not idents:
                return unknown(pf.source(node), s, e)
            nl = pf.data.find(b"\n", idents[0].end_byte - pf.delta)
            lo = (nl + 1 + pf.delta) if nl != -1 else node.end_byte
            if len(idents) > 1 and not idents[-1].is_missing:
                line = pf.data.rfind(b"\n", 0, idents[-1].start_byte - pf.delta)
                hi = line + 1 + pf.delta
            else:
                hi = node.end_byte
        else:
            lo = children[0].end_byte if children else node.start_byte
            last = children[-1] if children else None
            hi = (
                last.start_byte
                if last is not None and last.type == "quoted_template_end" and not last.is_missing
                else node.end_byte
            )
        hi = max(lo, hi)
        parts: list[tuple[str, int] | tuple[JNode, Node]] = []
        pos = lo
        for child in node.named_children:
            t = child.type
            if t not in ("template_interpolation", "template_directive"):
                continue
            if child.start_byte < lo or child.end_byte > hi:
                continue
            self._literal(parts, pf, pos, child.start_byte, heredoc)
            pos = child.end_byte
            if t == "template_interpolation":
                inner = [c for c in child.named_children if c.type == "expression"]
                if inner:
                    parts.append((self.ev(inner[0], pf, depth), child))
            else:
                cs, ce = pf.g(child)
                parts.append((unknown(pf.source(child), cs, ce), child))
        self._literal(parts, pf, pos, hi, heredoc)
        if heredoc:
            parts = _heredoc_parts(parts, strip, pf, node)
        # A template that is one interpolation is that value, unconverted.
        if not heredoc and len(parts) == 1 and isinstance(parts[0][0], JNode):
            return parts[0][0]
        return self.assemble(parts, pf, s, e, node)

    @staticmethod
    def _literal(
        parts: list[tuple[str, int] | tuple[JNode, Node]],
        pf: PFile,
        lo: int,
        hi: int,
        heredoc: bool,
    ) -> None:
        if hi <= lo:
            return
        raw = pf.data[lo - pf.delta : hi - pf.delta].decode("utf-8", errors="replace")
        if heredoc:
            if "$${" in raw or "%%{" in raw:
                raw = raw.replace("$${", "${").replace("%%{", "%{")
        else:
            raw = _unescape(raw)
        parts.append((raw, pf.base + pf.char(lo)))

    def assemble(
        self,
        parts: Sequence[tuple[str, int] | tuple[JNode, Node]],
        pf: PFile,
        s: int,
        e: int,
        node: Node | None,
    ) -> JNode:
        text: list[str] = []
        segs: list[tuple[int, int, bool]] = []
        subs: list[JNode] = []
        sub_text: list[str] = []
        in_string: list[bool] = []
        unknown_parts: list[str | Unknown] = []
        known = True
        pos = 0
        quote = _QuoteState()
        for piece, where in parts:
            if pos > MAX_STRING:
                # Doubling locals ("${local.a}${local.a}") must not build
                # gigabytes: past the limit the string is unknown.
                expr = pf.source(node) if node is not None else "string"
                return unknown(f"{_clip(expr)} (string too long)", s, e)
            if isinstance(piece, str):
                assert isinstance(where, int)
                segs.append((pos, where, True))
                text.append(piece)
                pos += len(piece)
                quote.feed(piece)
                unknown_parts.append(piece)
                continue
            assert not isinstance(where, int)
            ws = pf.gstart(where)
            scalar = _as_text(piece)
            if scalar is not None:
                segs.append((pos, ws, False))
                text.append(scalar)
                pos += len(scalar)
                quote.feed(scalar)
                unknown_parts.append(scalar)
                continue
            known = False
            idx = len(subs)
            subs.append(piece)
            sub_text.append(pf.source(where))
            inside = quote.inside
            in_string.append(inside)
            ph = f"{PH_OPEN}{idx}{PH_CLOSE}"
            if not inside:
                ph = f'"{ph}"'
            segs.append((pos, ws, False))
            text.append(ph)
            pos += len(ph)
            if isinstance(piece, JScalar) and isinstance(piece.value, Unknown):
                unknown_parts.append(piece.value)
            else:
                unknown_parts.append(Unknown(_clip(pf.source(where))))
        if pos > MAX_STRING:
            expr = pf.source(node) if node is not None else "string"
            return unknown(f"{_clip(expr)} (string too long)", s, e)
        joined = "".join(text)
        if known:
            return TfStr(joined, s, e, joined, segs)
        expr = pf.source(node) if node is not None else joined
        if node is not None and node.type == "quoted_template" and len(expr) >= 2:
            expr = expr[1:-1]
        merged = _merge_parts(unknown_parts)
        value = Unknown(_clip(expr), tuple(merged))
        return TfStr(value, s, e, joined, segs, subs, sub_text, in_string)

    # -- operators

    def operation(self, node: Node, pf: PFile, depth: int) -> JNode:
        s, e = pf.g(node)
        text = pf.source(node)
        children = node.children
        if node.type == "unary_operation":
            op = children[0].type
            val = self._operand(children[1:], pf, depth, node)
            v = val.value if isinstance(val, JScalar) else None
            if op == "!" and isinstance(v, bool):
                return JScalar(not v, s, e)
            if op == "-" and isinstance(v, (int, float)) and not isinstance(v, bool):
                return JScalar(-v, s, e)
            return unknown(text, s, e)
        idx = next(
            (i for i, c in enumerate(children) if not c.is_named and c.type in _BINARY), None
        )
        if idx is None:
            return unknown(text, s, e)
        left = self._operand(children[:idx], pf, depth, node)
        right = self._operand(children[idx + 1 :], pf, depth, node)
        op = children[idx].type
        if not isinstance(left, JScalar) or not isinstance(right, JScalar):
            if op in ("==", "!="):
                return unknown(text, s, e)
            return unknown(text, s, e)
        a, b = left.value, right.value
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            if op == "&&" and (a is False or b is False):
                return JScalar(False, s, e)
            if op == "||" and (a is True or b is True):
                return JScalar(True, s, e)
            return unknown(text, s, e)
        try:
            result = _BINARY[op](a, b)
        except (TypeError, ZeroDivisionError, ValueError):
            return unknown(text, s, e)
        return JScalar(result, s, e)

    def _operand(self, nodes: Sequence[Node], pf: PFile, depth: int, whole: Node) -> JNode:
        nodes = [n for n in nodes if n.type != "comment"]
        if len(nodes) == 1:
            return self.ev(nodes[0], pf, depth)
        if not nodes:
            s, e = pf.g(whole)
            return unknown(pf.source(whole), s, e)
        return self.seq(nodes, pf, depth, whole)

    def conditional(self, node: Node, pf: PFile, depth: int) -> JNode:
        exprs = [c for c in node.named_children if c.type == "expression"]
        s, e = pf.g(node)
        if len(exprs) != 3:
            return unknown(pf.source(node), s, e)
        cond = self.ev(exprs[0], pf, depth)
        v = cond.value if isinstance(cond, JScalar) else None
        if isinstance(v, bool):
            return self.ev(exprs[1] if v else exprs[2], pf, depth)
        if isinstance(v, str) and v in ("true", "false"):
            return self.ev(exprs[1] if v == "true" else exprs[2], pf, depth)
        return unknown(pf.source(node), s, e)

    # -- for expressions

    def for_expr(self, node: Node, pf: PFile, depth: int) -> JNode:
        s, e = pf.g(node)
        text = pf.source(node)
        intro = next((c for c in node.named_children if c.type == "for_intro"), None)
        if intro is None:
            return unknown(text, s, e)
        idents = [pf.source(c) for c in intro.named_children if c.type == "identifier"]
        coll_node = next((c for c in intro.named_children if c.type == "expression"), None)
        if coll_node is None or not idents:
            return unknown(text, s, e)
        coll = self.ev(coll_node, pf, depth)
        items = _iterate(coll)
        if items is None or len(items) > MAX_ITEMS:
            return unknown(text, s, e)
        body = [c for c in node.named_children if c.type == "expression"]
        cond = next((c for c in node.named_children if c.type == "for_cond"), None)
        cond_expr = (
            next((c for c in cond.named_children if c.type == "expression"), None) if cond else None
        )
        is_object = node.type == "for_object_expr"
        grouped = any(c.type == "ellipsis" for c in node.named_children)
        out_items: list[JNode] = []
        out_pairs: list[tuple[JKey, JNode]] = []
        for key, val in items:
            bindings = dict(self.b)
            if len(idents) == 1:
                bindings[idents[0]] = val
            else:
                bindings[idents[0]] = key
                bindings[idents[1]] = val
            sub = Evaluator(self.inst, bindings)
            if cond_expr is not None:
                c = sub.ev(cond_expr, pf, depth + 1)
                cv = c.value if isinstance(c, JScalar) else None
                if cv is False:
                    continue
                if cv is not True:
                    return unknown(text, s, e)
            if is_object and len(body) >= 2:
                k = sub.ev(body[0], pf, depth + 1)
                kv = k.value if isinstance(k, JScalar) else None
                if not isinstance(kv, (str, int, float)) or isinstance(kv, bool):
                    return unknown(text, s, e)
                v = sub.ev(body[1], pf, depth + 1)
                out_pairs.append((JKey(str(kv), k.start, k.end), v))
            elif body:
                out_items.append(sub.ev(body[0], pf, depth + 1))
        if is_object:
            if grouped:
                groups: dict[str, tuple[JKey, list[JNode]]] = {}
                for k2, v2 in out_pairs:
                    groups.setdefault(k2.text, (k2, []))[1].append(v2)
                out_pairs = [(k3, JArray(vs, k3.start, k3.end)) for k3, vs in groups.values()]
            else:
                last: dict[str, tuple[JKey, JNode]] = {}
                for k2, v2 in out_pairs:
                    last[k2.text] = (k2, v2)
                out_pairs = list(last.values())
            return JObject(out_pairs, s, e)
        return JArray(out_items, s, e)

    # -- functions

    def call(self, node: Node, pf: PFile, depth: int) -> JNode:
        from iamlint.loaders.tf_functions import call_function

        s, e = pf.g(node)
        name = pf.source(node.named_children[0]) if node.named_children else ""
        args_node = next((c for c in node.named_children if c.type == "function_arguments"), None)
        arg_nodes = (
            [c for c in args_node.named_children if c.type == "expression"] if args_node else []
        )
        expand = args_node is not None and any(
            c.type == "ellipsis" for c in args_node.named_children
        )
        return call_function(self, name, arg_nodes, expand, pf, depth, node, s, e)

    # -- .tf.json values

    def ev_json(self, node: JNode, pf: PFile, depth: int) -> JNode:
        if depth > MAX_DEPTH:
            return unknown("(too deeply nested)", node.start, node.end)
        if isinstance(node, JObject):
            pairs = []
            for k, v in node.pairs:
                key: Scalar | Unknown = k.value
                if isinstance(key, str) and "${" in key:
                    kv = self.json_string(key, k, pf, depth)
                    key = kv.value if isinstance(kv, JScalar) else Unknown(key)
                pairs.append((JKey(key, k.start, k.end), self.ev_json(v, pf, depth + 1)))
            return JObject(pairs, node.start, node.end)
        if isinstance(node, JArray):
            return JArray(
                [self.ev_json(i, pf, depth + 1) for i in node.items], node.start, node.end
            )
        if isinstance(node, JScalar) and isinstance(node.value, str):
            if "${" in node.value or "%{" in node.value:
                return self.json_string(node.value, node, pf, depth)
            return TfStr(node.value, node.start, node.end, node.value, [(0, node.start + 1, True)])
        return node

    def json_string(self, value: str, node: JNode, pf: PFile, depth: int) -> JNode:
        """A .tf.json string holding a template: parsed by the HCL parser,
        positions approximated to the string's place."""
        inner = value.strip()
        single = (
            inner.startswith("${")
            and inner.endswith("}")
            and inner.count("${") == 1
            and "%{" not in inner
        )
        if single:
            data = f"x = {inner[2:-1].strip()}\n".encode()
        else:
            tag = "IAMLINT_JSON_EOT"
            data = f"x = <<{tag}\n{value}\n{tag}\n".encode()
        key = Path(f"{pf.path}#{node.start}")
        sub = self.run.world.register(key, pf.display, data, data.decode("utf-8"))
        tree = parse(sub)
        body = tree.root_node.named_children[0] if tree.root_node.named_children else None
        attr = body.named_children[0] if body is not None and body.named_children else None
        if attr is None or attr.type != "attribute" or tree.root_node.has_error:
            return unknown(value, node.start, node.end)
        got = Evaluator(self.inst, self.b).ev(attr.named_children[-1], sub, depth + 1)
        if not single and isinstance(got, TfStr) and got.text.endswith("\n"):
            got.text = got.text[:-1]
            if isinstance(got.value, str):
                got.value = got.value[:-1]
        return _relocate(got, sub, node.start, node.end)


def _relocate(node: JNode, sub: PFile, start: int, end: int) -> JNode:
    """Move nodes that point into a synthetic snippet to a real place."""
    stack = [node]
    seen = 0
    while stack and seen < 100_000:
        seen += 1
        n = stack.pop()
        if sub.base <= n.start <= sub.end:
            n.start, n.end = start, end
            if isinstance(n, TfStr):
                n.segs = [(0, start, False)]
        if isinstance(n, JObject):
            for k, v in n.pairs:
                if sub.base <= k.start <= sub.end:
                    k.start, k.end = start, end
                stack.append(v)
        elif isinstance(n, JArray):
            stack.extend(n.items)
        elif isinstance(n, TfJson):
            stack.append(n.tree)
    return node


class _QuoteState:
    """Whether the text fed so far ends inside a JSON string."""

    __slots__ = ("escaped", "inside")

    def __init__(self) -> None:
        self.inside = False
        self.escaped = False

    def feed(self, text: str) -> None:
        if '"' not in text and not self.escaped and "\\" not in text:
            return
        for ch in text:
            if self.escaped:
                self.escaped = False
            elif ch == "\\" and self.inside:
                self.escaped = True
            elif ch == '"':
                self.inside = not self.inside


def _as_text(node: JNode) -> str | None:
    """A known scalar as the text a template gives it."""
    if isinstance(node, TfJson):
        return node.value if isinstance(node.value, str) else None
    if not isinstance(node, JScalar):
        return None
    v = node.value
    if isinstance(v, Unknown):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return None  # interpolating null is an error in Terraform
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _merge_parts(parts: list[str | Unknown]) -> list[str | Unknown]:
    out: list[str | Unknown] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + p
        elif p != "":
            out.append(p)
    return out


def _heredoc_parts(
    parts: list[tuple[str, int] | tuple[JNode, Node]], strip: bool, pf: PFile, node: Node
) -> list[tuple[str, int] | tuple[JNode, Node]]:
    """The body of a heredoc: from after the opening line, indentation
    removed for `<<-`. Literal pieces carry their own start offsets."""
    if not strip:
        return parts
    # The smallest indentation of the non-blank lines of the literal text.
    lines_text = "".join(p if isinstance(p, str) else "\x00" for p, _ in parts)
    indent = None
    for line in lines_text.split("\n"):
        if not line.strip(" \t"):
            continue
        n = len(line) - len(line.lstrip(" \t"))
        indent = n if indent is None else min(indent, n)
    if not indent:
        return parts
    out: list[tuple[str, int] | tuple[JNode, Node]] = []
    at_line_start = True
    for piece, where in parts:
        if not isinstance(piece, str):
            assert not isinstance(where, int)
            out.append((piece, where))
            at_line_start = False
            continue
        assert isinstance(where, int)
        offset = 0
        for line in piece.split("\n"):
            if offset > 0:
                out.append(("\n", where + offset - 1))
                at_line_start = True
            drop = 0
            if at_line_start:
                while drop < indent and drop < len(line) and line[drop] in " \t":
                    drop += 1
            if line[drop:]:
                out.append((line[drop:], where + offset + drop))
                at_line_start = False
            offset += len(line) + 1
    return out


def _iterate(coll: JNode) -> list[tuple[JNode, JNode]] | None:
    """(key, value) pairs of a known collection, or None."""
    if isinstance(coll, JArray):
        return [(JScalar(i, item.start, item.end), item) for i, item in enumerate(coll.items)]
    if isinstance(coll, JObject):
        return [(JScalar(k.value, k.start, k.end), v) for k, v in coll.pairs]
    if isinstance(coll, JScalar) and coll.value is None:
        return []
    return None


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b and type(a) is type(b)) or (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def _num(f: Callable[[float, float], Any]) -> Callable[[Any, Any], Any]:
    def op(a: Any, b: Any) -> Any:
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            raise TypeError
        return f(a, b)

    return op


def _bool(f: Callable[[bool, bool], bool]) -> Callable[[Any, Any], Any]:
    def op(a: Any, b: Any) -> Any:
        if not isinstance(a, bool) or not isinstance(b, bool):
            raise TypeError
        return f(a, b)

    return op


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": _eq,
    "!=": lambda a, b: not _eq(a, b),
    "&&": _bool(lambda a, b: a and b),
    "||": _bool(lambda a, b: a or b),
    "+": _num(lambda a, b: a + b),
    "-": _num(lambda a, b: a - b),
    "*": _num(lambda a, b: a * b),
    "/": _num(lambda a, b: a / b),
    "%": _num(lambda a, b: a % b),
    "<": _num(lambda a, b: a < b),
    ">": _num(lambda a, b: a > b),
    "<=": _num(lambda a, b: a <= b),
    ">=": _num(lambda a, b: a >= b),
}


# ---------------------------------------------------------------- documents

DocResult = Union[JNode, str, None]  # noqa: UP007 - a runtime alias on 3.10


class DocError(Exception):
    """A value that should be a JSON policy document and is not."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def as_document(node: JNode, depth: int = 0) -> JNode | None:
    """The policy document a value holds: its tree, or None when unknown.

    Raises DocError for text that is known and is not a JSON document.
    """
    if isinstance(node, TfJson):
        return node.tree
    if isinstance(node, JObject):
        return node
    if isinstance(node, JArray):
        # A list where a document belongs (`policy = []`, concat(...)).
        raise DocError("the policy is not a JSON document", node.start)
    if not isinstance(node, JScalar):
        return None
    if isinstance(node, TfStr):
        if isinstance(node.value, Unknown) and not node.subs:
            return None
        return _parse_str(node)
    if isinstance(node.value, str):
        tmp = TfStr(node.value, node.start, node.end, node.value, [(0, node.start, False)])
        return _parse_str(tmp)
    if node.value is None:
        return None
    if isinstance(node.value, Unknown):
        return None
    raise DocError("the policy is not a JSON document", node.start)


def _parse_str(node: TfStr) -> JNode | None:
    text = node.text
    partial = bool(node.subs)
    if not text.strip():
        return None  # an unset optional input (`default = ""`), not a document
    try:
        root = parse_json(text)
    except JSONPosError as exc:
        if partial:
            return None  # a template whose unknown parts we cannot place
        raise DocError(f"invalid JSON in policy: {exc.message}", node.where(exc.offset)) from None
    return _place(root, node)


def _place(root: JNode, node: TfStr) -> JNode:
    """Move a parsed document's offsets to the source, and put the template's
    unknown pieces back in."""

    def fix(n: JNode, depth: int) -> JNode:
        start, end = node.where(n.start), node.where(max(n.end - 1, n.start)) + 1
        if isinstance(n, JObject):
            pairs = []
            for k, v in n.pairs:
                key = _fill_scalar(k, node)
                pairs.append(
                    (
                        JKey(
                            key.value, node.where(k.start), node.where(max(k.end - 1, k.start)) + 1
                        ),
                        fix(v, depth + 1),
                    )
                )
            return JObject(pairs, start, end)
        if isinstance(n, JArray):
            return JArray([fix(i, depth + 1) for i in n.items], start, end)
        if isinstance(n, JScalar) and isinstance(n.value, str) and PH_OPEN in n.value:
            whole = _PH.fullmatch(n.value)
            if whole is not None:
                idx = int(whole.group(1))
                if idx < len(node.subs) and not node.in_string[idx]:
                    sub = node.subs[idx]
                    if isinstance(sub, TfJson):
                        return sub.tree
                    return sub
            filled = _fill_scalar(n, node)
            return JScalar(filled.value, start, end)
        return JScalar(n.value if isinstance(n, JScalar) else None, start, end)

    return fix(root, 0)


def _fill_scalar(n: JScalar, node: TfStr) -> JScalar:
    value = n.value
    if not isinstance(value, str) or PH_OPEN not in value:
        return n
    parts: list[str | Unknown] = []
    pos = 0
    expr: list[str] = []
    for m in _PH.finditer(value):
        if m.start() > pos:
            parts.append(value[pos : m.start()])
            expr.append(value[pos : m.start()])
        idx = int(m.group(1))
        sub = node.subs[idx] if idx < len(node.subs) else None
        src = node.sub_text[idx] if idx < len(node.sub_text) else "${?}"
        if isinstance(sub, JScalar) and isinstance(sub.value, Unknown):
            parts.append(sub.value)
        else:
            parts.append(Unknown(_clip(src)))
        expr.append(src)
        pos = m.end()
    if pos < len(value):
        parts.append(value[pos:])
        expr.append(value[pos:])
    return JScalar(Unknown(_clip("".join(expr)), tuple(_merge_parts(parts))), n.start, n.end)
