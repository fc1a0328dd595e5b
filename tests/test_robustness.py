"""Bad input and scale: whatever the input, the run goes on.

Any exception inside a loader or a rule is caught at the file (or rule)
boundary and becomes an IAM000 finding with the path and, where known, the
line; the run reports everything else and exits 2. Hostile input (YAML
tags that construct objects, alias bombs, deep nesting, huge files, binary
and badly encoded text, symlink loops, file() outside the tree, remote
module sources) is refused with a clear finding, never honoured, and never
costs more than a bounded amount of time and memory.

The property-based tests feed every loader mutated fixtures of its format
and random input; together they are sized to run in a few seconds (see
`_EXAMPLES`). Longer, coverage-guided runs are in fuzz/. The regression
tests at the end reproduce bugs these tests and the fuzzer found, now fixed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iamlint.scan
from iamlint import loaders
from iamlint.cli import main
from iamlint.loaders import Loader, Source
from iamlint.model import Document, Span, Value

FIXTURES = Path(__file__).parent / "fixtures"
LOADERS = loaders.loaders()
BY_FORMAT = {ldr.FORMAT: ldr for ldr in LOADERS}
# Longest any one input may take a loader. Far above the slowest example
# measured (about 0.5 s, a 300 KB string in Terraform); a loader that loops
# or blows up fails here instead of hanging CI.
PER_INPUT_SECONDS = 10.0

# Examples per loader and strategy, sized so that the property-based tests
# of this file take about 10 s together (Terraform is the slowest format:
# tree-sitter, evaluation, a temporary module directory per example).
_EXAMPLES = {
    "mutated": {"json": 150, "cloudformation": 120, "terraform-plan": 150, "terraform": 150},
    "random": {"json": 100, "cloudformation": 100, "terraform-plan": 60, "terraform": 60},
}
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


# For a longer local run: IAMLINT_EXAMPLES_SCALE=20 python -m pytest tests/test_robustness.py
_SCALE = float(os.environ.get("IAMLINT_EXAMPLES_SCALE", "1"))


def _settings(kind: str, fmt: str) -> settings:
    return settings(
        max_examples=max(1, int(_EXAMPLES[kind][fmt] * _SCALE)),
        deadline=None,
        database=None,  # write nothing into the tree
        derandomize="CI" in os.environ,  # reproducible in CI, exploring elsewhere
        suppress_health_check=_HEALTH,
    )


ADMIN_JSON = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}
"""
SCOPED_JSON = """{
  "Version": "2012-10-17",
  "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}
}
"""
ADMIN_CFN_YAML = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Admin:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: "*"
            Resource: "*"
"""
ADMIN_CFN_JSON = (
    json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Admin": {
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                        }
                    },
                }
            },
        },
        indent=2,
    )
    + "\n"
)
ADMIN_TF = """resource "aws_iam_policy" "admin" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
    }]
  })
}
"""
_ADMIN_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
ADMIN_PLAN = (
    json.dumps(
        {
            "format_version": "1.2",
            "terraform_version": "1.9.0",
            "planned_values": {
                "root_module": {
                    "resources": [
                        {
                            "address": "aws_iam_policy.admin",
                            "mode": "managed",
                            "type": "aws_iam_policy",
                            "name": "admin",
                            "values": {"name": "admin", "policy": json.dumps(_ADMIN_DOC)},
                        }
                    ]
                }
            },
        },
        indent=2,
    )
    + "\n"
)
# Where each of the texts above reports IAM101 (line, column).
ADMIN_AT = {
    "policy.json": (4, 35),
    "template.yaml": (10, 21),
    "template.json": (12, 25),
    "mod/main.tf": (6, 18),
    "plan.json": (14, 23),
}
ADMIN_TEXTS = {
    "policy.json": ADMIN_JSON,
    "template.yaml": ADMIN_CFN_YAML,
    "template.json": ADMIN_CFN_JSON,
    "mod/main.tf": ADMIN_TF,
    "plan.json": ADMIN_PLAN,
}


# ---------------------------------------------------------------- helpers


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def run(cwd: Path, *args: str) -> tuple[int, str, str]:
    """`iamlint ARGS` in `cwd`, in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def check(cwd: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """`iamlint check --format json --no-cache ARGS`: exit code and findings."""
    code, out, _ = run(cwd, "check", "--format", "json", "--no-cache", *args)
    return code, json.loads(out)["findings"]


def where(findings: list[dict[str, Any]], rule: str) -> set[tuple[str, int]]:
    return {(f["path"], f["line"]) for f in findings if f["rule"] == rule}


def symlinks_or_skip(tmp_path: Path) -> None:
    probe = tmp_path / "symlink-probe"
    try:
        probe.symlink_to(tmp_path)
    except (OSError, NotImplementedError):
        pytest.skip("this platform cannot create symlinks")
    probe.unlink()


class _TooSlow(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` in a
    loader can swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (where SIGALRM exists)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def alarm(signum: int, frame: object) -> None:
        raise _TooSlow(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def spans(obj: object) -> Iterator[Span]:
    """Every Span anywhere inside a model object."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Span):
            yield item
        elif isinstance(item, (tuple, list)):  # Value is a NamedTuple too
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))


def values(obj: object) -> Iterator[Value]:
    """Every Value anywhere inside a model object."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Value):
            yield item
        elif isinstance(item, Span):
            continue
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))


def check_contract(docs: object, display: str, loader: Loader) -> int:
    """What every loader promises for any input; the number of spans seen."""
    assert isinstance(docs, list), type(docs)
    seen = 0
    for doc in docs:
        assert isinstance(doc, Document), type(doc)
        assert doc.path == display
        assert doc.source_format == loader.FORMAT
        for span in spans(doc):
            seen += 1
            assert span.line >= 1 and span.column >= 1, span
            assert (span.end_line, span.end_column) >= (span.line, span.column), span
            if loader.GROUPED:
                # file() may place elements in a sibling file: never one outside.
                assert not span.path.startswith("/") and ".." not in span.path.split("/"), span
            else:
                assert span.path == display, span
    return seen


@dataclasses.dataclass(frozen=True)
class Seed:
    path: Path
    data: bytes

    @property
    def name(self) -> str:
        return self.path.name


def load_checked(
    loader: Loader, name: str, data: bytes, seed: Seed | None = None, tolerate: bool = False
) -> tuple[list[Document], int]:
    """Load one input from a fresh temporary directory (with the seed's
    sibling data files and child modules for Terraform); check the contract.
    With `tolerate`, a known crash (see _KNOWN_CRASHES) gives no documents."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if seed is not None and loader.GROUPED:
            here = seed.path.parent

            def others(directory: str, names: list[str]) -> list[str]:
                if Path(directory) != here:
                    return []
                return [n for n in names if n.lower().endswith(loader.EXTENSIONS)]

            shutil.copytree(here, root, dirs_exist_ok=True, ignore=others)
        path = root / name
        path.write_bytes(data)
        try:
            with time_limit(PER_INPUT_SECONDS):
                docs = loader.load([Source(path, name, data, root)])
        except _TooSlow as exc:
            raise AssertionError(f"{loader.FORMAT} loader on {len(data)} bytes: {exc}") from None
        except Exception as exc:
            if tolerate and known_crash(exc):
                return [], 0
            raise AssertionError(f"{loader.FORMAT} loader raised {exc!r}") from exc
        seen = check_contract(docs, name, loader)
    return docs, seen


# Loader crashes known and not fixed yet (reproduced by a strict xfail test),
# recognised by the file and source line that raise, so that the
# property-based tests keep exploring past them. Empty today.
_KNOWN_CRASHES: frozenset[tuple[str, str]] = frozenset()


def known_crash(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    last = frames[-1]
    return (Path(last.filename).name, (last.line or "").strip()) in _KNOWN_CRASHES


def _seeds(loader: Loader) -> list[Seed]:
    found = []
    for path in sorted(FIXTURES.rglob("*")):
        name = path.name.lower()
        if not path.is_file() or not name.endswith(loader.EXTENSIONS):
            continue
        data = path.read_bytes()
        if loader.GROUPED or loader.sniff(name, data):
            found.append(Seed(path, data))
    return found


SEEDS = {ldr.FORMAT: _seeds(ldr) for ldr in LOADERS}
# The fixtures hold one plan; the synthetic admin plan is a second seed.
SEEDS["terraform-plan"].append(Seed(Path("plan.json"), ADMIN_PLAN.encode()))


def test_every_loader_has_seeds_that_load_cleanly() -> None:
    """The property-based tests below start from these: they must be real
    inputs of each format, whose spans the contract check actually sees."""
    assert set(SEEDS) == {"json", "cloudformation", "terraform", "terraform-plan"}
    for fmt, seeds in SEEDS.items():
        assert len(seeds) >= 2, fmt
        loader = BY_FORMAT[fmt]
        total = 0
        policies = 0
        for seed in seeds[:: max(1, len(seeds) // 12)]:
            docs, seen = load_checked(loader, seed.name, seed.data, seed)
            total += seen
            policies += sum(1 for d in docs for _ in d.all_policies())
        assert total > 0 and policies > 0, fmt


# ------------------------------------------------- mutations of real inputs

_JSON_NESTS = ((b"[", b"]"), (b'{"a": ', b"}"), (b'{"Statement": ', b"}"))
_NESTS: dict[str, tuple[tuple[bytes, bytes], ...]] = {
    "json": _JSON_NESTS,
    "terraform-plan": _JSON_NESTS,
    "cloudformation": (
        *_JSON_NESTS,
        (b"{a: ", b"}"),
        (b"!Sub [", b"]"),
        (b"!If [c, ", b", x]"),
        (b"- ", b""),
    ),
    "terraform": (
        *_JSON_NESTS,
        (b"{a = ", b"}"),
        (b"(", b")"),
        (b"jsonencode(", b")"),
        (b'"${', b'}"'),
        (b"merge(", b")"),
        (b"x {\n", b"\n}\n"),
    ),
}
_TOKENS: dict[str, tuple[bytes, ...]] = {
    "common": (
        b"{",
        b"}",
        b"[",
        b"]",
        b'"',
        b"\\",
        b",",
        b":",
        b"\n",
        b"\r\n",
        b"\t",
        b"\x00",
        b"\xff",
        b"\xef\xbb\xbf",
        b"\xed\xa0\x80",  # an encoded surrogate: invalid UTF-8
        "\u00e9\u2028\U0001f600".encode(),
        b"//",
        b"/*",
        b"#",
        b"null",
        b"1e999999",
        b"-0.0e-7",
        b"99999999999999999999999999999",
    ),
    "json": (b'"Statement"', b'"Action": "*"', b'"Resource": ["*"]', b'"Effect": "Allow"'),
    "terraform-plan": (b'"planned_values"', b'"resources": [', b'"values": {', b'"child_modules"'),
    "cloudformation": (
        b"&a ",
        b"*a",
        b"!Ref ",
        b"!Sub ",
        b"!GetAtt ",
        b"!If ",
        b"!!str ",
        b"!!python/object/apply:os.system ",
        b"? ",
        b"- ",
        b"---\n",
        b"|\n",
        b">-\n",
        b"<<: *a\n",
        b"Fn::Join",
        b"${AWS::AccountId}",
    ),
    "terraform": (
        b"${",
        b"%{",
        b"%{ for x in local.l }",
        b"%{ endfor }",
        b"<<EOF\n",
        b"<<-EOT\n",
        b"\nEOF\n",
        b"var.x",
        b"local.l",
        b"each.value",
        b"count.index",
        b"dynamic ",
        b"for_each = ",
        b"jsonencode(",
        b'file("main.tf")',
        b'file("/etc/passwd")',
        b'templatefile("../x", {})',
        b'module "m" { source = "./" }\n',
        b"[for x in local.l : x]",
        b"...",
        b" ? ",
        b"[*]",
    ),
}
_SCALAR = re.compile(rb'"([^"\\\n]{0,200})"')
_WEIRD = st.one_of(
    st.integers(1_000, 300_000).map(lambda n: b"A" * n),
    st.integers(1, 30_000).map(lambda n: "\u00e9\u4e2d\U0001f600".encode() * n),
    st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"\x00",
            b"\\u0000",
            b"\\ud800",
            b"${",
            b"%{",
            b"\\",
            b"${var.x}",
            b"\r\n",
            b"\xef\xbb\xbf",
        ]
    ),
)

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _at(draw: Draw, data: bytes) -> int:
    return int(draw(st.integers(0, len(data))))


def _truncate(draw: Draw, data: bytes, fmt: str) -> bytes:
    return data[: _at(draw, data)]


def _flip(draw: Draw, data: bytes, fmt: str) -> bytes:
    if not data:
        return data
    i = draw(st.integers(0, len(data) - 1))
    return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]


def _insert(draw: Draw, data: bytes, fmt: str) -> bytes:
    i = _at(draw, data)
    tokens = _TOKENS["common"] + _TOKENS[fmt]
    piece = draw(st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(tokens)))
    return data[:i] + piece + data[i:]


def _delete(draw: Draw, data: bytes, fmt: str) -> bytes:
    i = _at(draw, data)
    return data[:i] + data[i + draw(st.integers(1, 64)) :]


def _duplicate(draw: Draw, data: bytes, fmt: str) -> bytes:
    a = _at(draw, data)
    b = draw(st.integers(a, min(len(data), a + 4000)))
    c = _at(draw, data)
    return data[:c] + data[a:b] * draw(st.integers(1, 3)) + data[c:]


def _splice(draw: Draw, data: bytes, fmt: str) -> bytes:
    other = draw(st.sampled_from(SEEDS[fmt])).data
    a = _at(draw, other)
    b = draw(st.integers(a, len(other)))
    i = _at(draw, data)
    j = draw(st.integers(i, len(data)))
    return data[:i] + other[a:b] + data[j:]


def _nest(draw: Draw, data: bytes, fmt: str) -> bytes:
    opener, closer = draw(st.sampled_from(_NESTS[fmt]))
    depth = draw(st.integers(1, 400))
    i = _at(draw, data)
    j = draw(st.integers(i, len(data)))
    return data[:i] + opener * depth + data[i:j] + closer * depth + data[j:]


def _replace_scalar(draw: Draw, data: bytes, fmt: str) -> bytes:
    spots = [m.span(1) for m in _SCALAR.finditer(data)]
    if not spots:
        return data
    a, b = draw(st.sampled_from(spots))
    return data[:a] + draw(_WEIRD) + data[b:]


_MUTATIONS = (
    _truncate,
    _flip,
    _insert,
    _delete,
    _duplicate,
    _splice,
    _nest,
    _replace_scalar,
)


@st.composite
def mutants(draw: Draw, fmt: str) -> tuple[Seed, bytes]:
    seed = draw(st.sampled_from(SEEDS[fmt]))
    data = seed.data
    for _ in range(draw(st.integers(1, 4))):
        data = draw(st.sampled_from(_MUTATIONS))(draw, data, fmt)
    return seed, data


def _property_test(kind: str, fmt: str, strategy: st.SearchStrategy[Any]) -> Callable[[], None]:
    loader = BY_FORMAT[fmt]

    @_settings(kind, fmt)
    @given(strategy)
    def test(case: tuple[Seed | None, str, bytes]) -> None:
        seed, name, data = case
        load_checked(loader, name, data, seed, tolerate=True)

    return test


@pytest.mark.parametrize("fmt", [ldr.FORMAT for ldr in LOADERS])
def test_loader_survives_mutated_fixtures(fmt: str) -> None:
    """Truncations, byte flips, insertions, deletions, duplicated and spliced
    regions, random nesting and huge/unicode/NUL scalars in real inputs of
    the loader's format: a list of Documents, never an exception."""
    strategy = mutants(fmt).map(lambda sd: (sd[0], sd[0].name, sd[1]))
    _property_test("mutated", fmt, strategy)()


# ------------------------------------------------------- random structures

_WORDS = (
    "2012-10-17",
    "2008-10-17",
    "Allow",
    "Deny",
    "*",
    "s3:*",
    "s3:GetObject",
    "iam:PassRole",
    "iam:*",
    "sts:AssumeRole",
    "arn:aws:s3:::bucket/*",
    "arn:aws:iam::123456789012:root",
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x",
    "lambda.amazonaws.com",
    "aws:SourceArn",
    "StringEquals",
    "${var.x}",
    "${local.l}",
    "${aws_iam_role.r.arn}",
    "%{ if true }x%{ endif }",
    "AKIAIOSFODNN7EXAMPLE",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::User",
    "AWS::S3::BucketPolicy",
    "AWS::Serverless::Function",
    "AWS::Serverless-2016-10-31",
    "AWS::NoValue",
    "AWS::AccountId",
    "P",
    "Env",
    "R",
    "",
    "\x00",
    "\ud800",
    "\u2028",
)
_KEYS = (
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "AWS",
    "Service",
    "Federated",
    "Condition",
    "StringEquals",
    "Type",
    "Properties",
    "PolicyDocument",
    "AssumeRolePolicyDocument",
    "Policies",
    "PolicyName",
    "ManagedPolicyArns",
    "PermissionsBoundary",
    "Roles",
    "Users",
    "Groups",
    "Parameters",
    "Default",
    "Mappings",
    "Conditions",
    "Resources",
    "Transform",
    "Metadata",
    "Ref",
    "Fn::Sub",
    "Fn::Join",
    "Fn::If",
    "Fn::GetAtt",
    "Fn::FindInMap",
    "Fn::Select",
    "Fn::Transform",
    "planned_values",
    "root_module",
    "child_modules",
    "resources",
    "values",
    "policy",
    "address",
    "type",
    "name",
)
_INTRINSICS = ("Ref", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::GetAtt", "Fn::FindInMap")
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(_WORDS),
    st.sampled_from(_WORDS),
    st.text(max_size=12),
)
_KEY = st.one_of(st.sampled_from(_KEYS), st.sampled_from(_KEYS), st.text(max_size=6))


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_KEY, children, max_size=4),
        st.tuples(st.sampled_from(_INTRINSICS), children).map(lambda kv: {kv[0]: kv[1]}),
    )


TREES = st.recursive(_LEAVES, _extend, max_leaves=10)
STATEMENTS = st.fixed_dictionaries(
    {},
    optional={
        k: TREES
        for k in ("Sid", "Effect", "Action", "NotAction", "Resource", "Principal", "Condition")
    },
)
POLICY_DOCUMENTS = st.fixed_dictionaries(
    {"Statement": st.one_of(STATEMENTS, st.lists(STATEMENTS, max_size=3), TREES)},
    optional={"Version": st.sampled_from(_WORDS), "Id": TREES},
)
POLICIES = st.one_of(POLICY_DOCUMENTS, POLICY_DOCUMENTS, POLICY_DOCUMENTS, TREES)


def _json_text(draw: Draw, value: object) -> str:
    ensure_ascii = draw(st.booleans())
    indent = draw(st.sampled_from([None, 1, 2]))
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


@st.composite
def random_json(draw: Draw) -> tuple[None, str, bytes]:
    return None, "policy.json", _json_text(draw, draw(POLICIES)).encode("utf-8", "surrogatepass")


def _resource(type_: str, required: dict[str, Any], optional: dict[str, Any]) -> Any:
    properties = st.fixed_dictionaries(required, optional=optional)
    return st.fixed_dictionaries(
        {"Type": st.just(type_), "Properties": properties},
        optional={"Condition": TREES, "Metadata": TREES},
    )


_INLINE = st.lists(st.fixed_dictionaries({"PolicyName": TREES, "PolicyDocument": POLICIES}))
_RESOURCES = st.one_of(
    _resource(
        "AWS::IAM::ManagedPolicy", {"PolicyDocument": POLICIES}, {"Roles": TREES, "Users": TREES}
    ),
    _resource(
        "AWS::IAM::Role",
        {"AssumeRolePolicyDocument": POLICIES},
        {
            "Policies": st.one_of(_INLINE, TREES),
            "ManagedPolicyArns": TREES,
            "PermissionsBoundary": TREES,
        },
    ),
    _resource("AWS::S3::BucketPolicy", {"PolicyDocument": POLICIES}, {"Bucket": TREES}),
    _resource(
        "AWS::Lambda::Permission",
        {},
        {"Action": TREES, "Principal": TREES, "FunctionName": TREES, "SourceArn": TREES},
    ),
    _resource("AWS::Serverless::Function", {}, {"Policies": POLICIES, "Role": TREES}),
    st.fixed_dictionaries(
        {"Type": st.sampled_from(["AWS::IAM::User", "AWS::KMS::Key", "AWS::SQS::QueuePolicy"])},
        optional={"Properties": TREES},
    ),
)
_PARAMETERS = st.fixed_dictionaries(
    {
        "Type": st.sampled_from(
            ["String", "CommaDelimitedList", "AWS::SSM::Parameter::Value<String>"]
        )
    },
    optional={"Default": TREES},
)
_TEMPLATES = st.fixed_dictionaries(
    {
        "AWSTemplateFormatVersion": st.just("2010-09-09"),
        "Resources": st.dictionaries(
            st.sampled_from(["R", "Role", "P"]), _RESOURCES, min_size=1, max_size=2
        ),
    },
    optional={
        "Parameters": st.dictionaries(st.sampled_from(["P", "Env"]), _PARAMETERS, max_size=2),
        "Mappings": TREES,
        "Conditions": TREES,
        "Transform": st.sampled_from(["AWS::Serverless-2016-10-31", "Other"]),
    },
)
_SHORT = {"Ref": "!Ref", "Fn::Sub": "!Sub", "Fn::Join": "!Join", "Fn::If": "!If"}
_SHORT.update({"Fn::GetAtt": "!GetAtt", "Fn::FindInMap": "!FindInMap"})


def _yaml_flow(value: object, tags: bool) -> str:
    """Flow-style YAML (a superset of JSON), with CloudFormation short forms."""
    if isinstance(value, dict):
        if tags and len(value) == 1:
            ((key, arg),) = value.items()
            if key in _SHORT:
                return f"{_SHORT[key]} {_yaml_flow(arg, tags)}"
        inner = ", ".join(f"{json.dumps(str(k))}: {_yaml_flow(v, tags)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_flow(v, tags) for v in value) + "]"
    return json.dumps(value)


@st.composite
def random_template(draw: Draw) -> tuple[None, str, bytes]:
    import yaml

    template = draw(st.one_of(_TEMPLATES, _TEMPLATES, _TEMPLATES, TREES))
    style = draw(st.sampled_from(["json", "block", "flow", "anchored"]))
    if style == "json":
        return None, "template.json", _json_text(draw, template).encode("utf-8", "surrogatepass")
    if style == "block":
        try:
            text = yaml.safe_dump(template, allow_unicode=draw(st.booleans()), sort_keys=False)
        except yaml.YAMLError:
            text = _yaml_flow(template, True)
    elif style == "flow":
        text = _yaml_flow(template, True)
    else:
        # An anchored subtree used again through aliases, some of them nested.
        shared = _yaml_flow(draw(st.one_of(TREES, POLICY_DOCUMENTS)), True)
        uses = ", ".join(["*a"] * draw(st.integers(1, 6)))
        rows = template.items() if isinstance(template, dict) else [("Z", template)]
        body = "".join(f"{json.dumps(str(k))}: {_yaml_flow(v, True)}\n" for k, v in rows)
        text = f"X: &a {shared}\nY: [{uses}, [{uses}]]\n{body}"
    return None, "template.yaml", text.encode("utf-8", "surrogatepass")


class _Hcl:
    """An HCL expression written as is (a reference, a call, a for)."""

    def __init__(self, text: str) -> None:
        self.text = text


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_TF_FUNCTIONS = ("jsonencode", "merge", "concat", "flatten", "join", "lookup", "format", "tolist")
_TF_REFS = (
    "var.x",
    "local.l",
    "local.m",
    "each.value",
    "count.index",
    "path.module",
    "data.aws_iam_policy_document.d.json",
    "aws_iam_role.r.arn",
    "module.m.out",
    "[for x in local.l : x]",
    "{for k, v in local.m : k => v}",
    "local.l[*]",
    "local.l[0]",
    "true ? local.l : local.m",
    'var.x.y["z"]',
)


def _hcl(value: object) -> str:
    if isinstance(value, _Hcl):
        return value.text
    if isinstance(value, dict):
        rows = []
        for k, v in value.items():
            key = k if _IDENT.match(k) else json.dumps(k)
            rows.append(f"  {key} = {_hcl(v)}")
        return "{\n" + "\n".join(rows) + "\n}"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # ${...} stays a template
    return repr(value)


def _hcl_extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    calls = st.tuples(st.sampled_from(_TF_FUNCTIONS), st.lists(children, max_size=3)).map(
        lambda fa: _Hcl(f"{fa[0]}({', '.join(_hcl(a) for a in fa[1])})")
    )
    return st.one_of(_extend(children), calls)


HCL_TREES = st.recursive(
    st.one_of(_LEAVES, st.sampled_from(_TF_REFS).map(_Hcl)), _hcl_extend, max_leaves=25
)
_HCL_STATEMENTS = st.fixed_dictionaries(
    {},
    optional={k: HCL_TREES for k in ("sid", "effect", "actions", "not_actions", "resources")},
)


@st.composite
def random_terraform(draw: Draw) -> tuple[None, str, bytes]:
    if draw(st.booleans()):
        doc = {
            "locals": {"l": draw(TREES), "m": draw(TREES)},
            "resource": {"aws_iam_policy": {"p": {"policy": draw(POLICIES)}}},
        }
        return None, "main.tf.json", _json_text(draw, doc).encode("utf-8", "surrogatepass")
    blocks = []
    if draw(st.booleans()):
        blocks.append(
            f"locals {{\n  l = {_hcl(draw(HCL_TREES))}\n  m = {_hcl(draw(HCL_TREES))}\n}}"
        )
    if draw(st.booleans()):
        blocks.append(f'variable "x" {{\n  default = {_hcl(draw(HCL_TREES))}\n}}')
    if draw(st.booleans()):
        blocks.append(
            f'resource "aws_iam_policy" "p" {{\n  policy = jsonencode({_hcl(draw(HCL_TREES))})\n}}'
        )
    if draw(st.booleans()):
        statements = []
        for stmt in draw(st.lists(_HCL_STATEMENTS, max_size=3)):
            body = "\n".join(f"    {k} = {_hcl(v)}" for k, v in stmt.items())
            principals = (
                f"    principals {{\n      type = {_hcl(draw(HCL_TREES))}\n"
                f"      identifiers = {_hcl(draw(HCL_TREES))}\n    }}"
            )
            statements.append(f"  statement {{\n{body}\n{principals}\n  }}")
        blocks.append('data "aws_iam_policy_document" "d" {\n' + "\n".join(statements) + "\n}")
        blocks.append(
            'resource "aws_iam_role" "r" {\n'
            "  assume_role_policy = data.aws_iam_policy_document.d.json\n"
            f"  inline_policy {{\n    policy = {_hcl(draw(HCL_TREES))}\n  }}\n}}"
        )
    if draw(st.booleans()):
        blocks.append(f'module "m" {{\n  source = "./"\n  x = {_hcl(draw(HCL_TREES))}\n}}')
    text = "\n\n".join(blocks) + "\n"
    return None, "main.tf", text.encode("utf-8", "surrogatepass")


_PLAN_TYPES = {
    "aws_iam_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_iam_role_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_iam_access_key": "user",
}


@st.composite
def random_plan(draw: Draw) -> tuple[None, str, bytes]:
    def resource() -> dict[str, Any]:
        type_ = draw(st.sampled_from(sorted(_PLAN_TYPES)))
        policy = draw(POLICIES)
        held = json.dumps(policy) if draw(st.integers(0, 3)) else policy
        values = {_PLAN_TYPES[type_]: held, "name": draw(st.sampled_from(["r", "u"]))}
        values.update(draw(st.dictionaries(st.sampled_from(["role", "user", "policy"]), TREES)))
        return {
            "address": draw(st.sampled_from([f"{type_}.p", "", "x"])),
            "mode": draw(st.sampled_from(["managed", "managed", "data"])),
            "type": type_,
            "name": "p",
            "values": values,
        }

    resources = [resource() for _ in range(draw(st.integers(0, 3)))]
    module: dict[str, Any] = {"resources": resources}
    if draw(st.booleans()):
        module["child_modules"] = [{"resources": [resource()], "child_modules": draw(TREES)}]
    plan: dict[str, Any] = {"format_version": "1.2", "planned_values": {"root_module": module}}
    if draw(st.booleans()):
        changes = [
            {"address": r["address"], "change": {"after_unknown": draw(TREES)}} for r in resources
        ]
        plan["resource_changes"] = draw(st.one_of(st.just(changes), TREES))
    return None, "plan.json", _json_text(draw, plan).encode("utf-8", "surrogatepass")


_STRUCTURED = {
    "json": random_json(),
    "cloudformation": random_template(),
    "terraform": random_terraform(),
    "terraform-plan": random_plan(),
}
_NAMES = {
    "json": "policy.json",
    "cloudformation": "template.yaml",
    "terraform": "main.tf",
    "terraform-plan": "plan.json",
}


@pytest.mark.parametrize("fmt", [ldr.FORMAT for ldr in LOADERS])
def test_loader_survives_random_input(fmt: str) -> None:
    """Random bytes and random JSON/YAML/HCL structures shaped like the
    loader's format (policies, templates, modules, plans)."""
    raw = st.binary(max_size=4096).map(lambda b: (None, _NAMES[fmt], b))
    _property_test("random", fmt, st.one_of(raw, _STRUCTURED[fmt]))()


# ------------------------------------------------------------ end to end

BROKEN: dict[str, str | bytes] = {
    "broken/truncated.json": (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",'
    ),
    "broken/template.json": ADMIN_CFN_JSON.replace('"Resource": "*"', '"Resource": "*",'),
    "broken/template.yaml": ADMIN_CFN_YAML.replace("            Resource:", "           Resource:"),
    "broken/latin1.yaml": ADMIN_CFN_YAML.encode().replace(b"Admin:", b"Adm\xe9n:"),
    "broken/plan.json": ADMIN_PLAN[: ADMIN_PLAN.index('"values"')],
    "broken/binary-plan.json": ADMIN_PLAN.encode().replace(b'"mode"', b'"mo\x00de"'),
    "broken/tf/main.tf": ADMIN_TF.replace("    }]\n", "    ]\n"),
    "broken/tf_json/main.tf.json": '{"resource": {"aws_iam_policy": {"p": {"policy": }}}}',
    "broken/tf_utf8/main.tf": ADMIN_TF.encode().replace(b"Allow", b"All\xc3\x28w"),
}
# (path, line) of each file's IAM000; the HCL parser's recovery decides
# where a missing brace is reported, anywhere in the resource.
BROKEN_AT = {
    "broken/truncated.json": 4,
    "broken/template.json": 14,
    "broken/template.yaml": 11,
    "broken/latin1.yaml": 3,
    "broken/plan.json": 12,
    "broken/binary-plan.json": 9,
    "broken/tf_json/main.tf.json": 1,
    "broken/tf_utf8/main.tf": 5,
}


def test_broken_files_of_every_format_beside_an_admin_policy(tmp_path: Path) -> None:
    for name, text in BROKEN.items():
        write(tmp_path, name, text)
    write(tmp_path, "broken/tf/ok.tf", "locals {\n  x = 1\n}\n")
    write(tmp_path, "admin.json", ADMIN_JSON)
    code, findings = check(tmp_path)
    assert code == 2
    assert where(findings, "IAM101") == {("admin.json", 4)}
    errors = [f for f in findings if f["rule"] == "IAM000"]
    assert sorted(f["path"] for f in errors) == sorted(BROKEN)  # one per broken file
    for f in errors:
        if f["path"] in BROKEN_AT:
            assert f["line"] == BROKEN_AT[f["path"]], f
        else:
            assert 1 <= f["line"] <= 8, f
        assert f["column"] >= 1
    assert {f["rule"] for f in findings} == {"IAM000", "IAM101"}


# ---------------------------------------------------------------- guards


def _admin_tree(root: Path) -> None:
    for name, text in ADMIN_TEXTS.items():
        write(root, name, text)
    write(root, "mod/other.tf", 'variable "x" {\n  default = 1\n}\n')


_FILES_OF = {
    "json": {"policy.json"},
    "cloudformation": {"template.yaml", "template.json"},
    "terraform": {"mod/main.tf", "mod/other.tf"},
    "terraform-plan": {"plan.json"},
}


@pytest.mark.parametrize("exc", [ValueError("boom"), RecursionError()], ids=["error", "recursion"])
@pytest.mark.parametrize("fmt", [ldr.FORMAT for ldr in LOADERS])
def test_a_loader_that_raises_is_an_iam000_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, exc: BaseException
) -> None:
    _admin_tree(tmp_path)
    assert set(_FILES_OF) == set(BY_FORMAT)

    def boom(sources: Sequence[Source]) -> list[Document]:
        raise exc

    monkeypatch.setattr(BY_FORMAT[fmt], "load", boom)
    code, findings = check(tmp_path)
    assert code == 2
    expected = (
        "nesting too deep to read"
        if isinstance(exc, RecursionError)
        else f"internal error in the {fmt} loader: ValueError: boom"
    )
    errors = {(f["path"], f["line"], f["message"]) for f in findings if f["rule"] == "IAM000"}
    assert errors == {(path, 1, expected) for path in _FILES_OF[fmt]}
    # Every other format is still read and checked.
    others = {(p, line) for p, (line, _) in ADMIN_AT.items() if p not in _FILES_OF[fmt]}
    assert where(findings, "IAM101") == others


@pytest.mark.parametrize("exc", [RuntimeError("rule bug"), RecursionError("deep")])
def test_a_rule_that_raises_is_an_iam000_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    from iamlint.engine import rule_by_id

    _admin_tree(tmp_path)
    write(tmp_path, "scoped.json", SCOPED_JSON)
    rule = rule_by_id("IAM101")
    assert rule is not None

    def boom(self: object, statement: object, policy: object, ctx: object) -> Iterator[object]:
        raise exc
        yield  # a generator, as rules are

    monkeypatch.setattr(rule, "check_statement", boom)
    code, findings = check(tmp_path)
    assert code == 2
    assert where(findings, "IAM101") == set()
    message = f"internal error in rule IAM101 (full-admin-access): {type(exc).__name__}: {exc}"
    errors = {(f["path"], f["line"], f["message"]) for f in findings if f["rule"] == "IAM000"}
    policy_files = {*ADMIN_AT, "scoped.json"}
    assert errors == {(path, 1, message) for path in policy_files}
    # The other rules still ran on every file.
    assert where(findings, "IAM102") == {("scoped.json", 3)}


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="workers inherit monkeypatches only when forked"
)
def test_parallel_run_reports_errors_exactly_as_a_serial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamlint.engine import rule_by_id

    texts = [ADMIN_JSON, SCOPED_JSON, BROKEN["broken/truncated.json"]]
    count = iamlint.scan.PARALLEL_THRESHOLD + 6
    for i in range(count):
        write(tmp_path, f"p/{i:03d}.json", texts[i % 3])
    write(tmp_path, "p/crash.json", SCOPED_JSON)
    write(tmp_path, "p/deep.json", SCOPED_JSON)
    write(tmp_path, "p/rule.json", SCOPED_JSON.replace('"Effect"', '"Sid": "Boom", "Effect"'))
    write(tmp_path, "tf/main.tf", ADMIN_TF)
    json_loader = BY_FORMAT["json"]
    real_load = json_loader.load

    def load(sources: Sequence[Source]) -> list[Document]:
        if any(s.display.endswith("crash.json") for s in sources):
            raise KeyError("crash")
        if any(s.display.endswith("deep.json") for s in sources):
            raise RecursionError
        return real_load(sources)

    rule = rule_by_id("IAM102")
    assert rule is not None
    real_check = rule.check_statement

    def check_statement(self: Any, statement: Any, policy: Any, ctx: Any) -> Any:
        if statement.sid is not None and statement.sid.value == "Boom":
            raise ZeroDivisionError("boom")
        return real_check(self, statement, policy, ctx)

    parallel_runs = []
    real_parallel = iamlint.scan._Workers.run

    def spy(*args: Any) -> Any:
        parallel_runs.append(args)
        return real_parallel(*args)

    monkeypatch.setattr(json_loader, "load", load)
    monkeypatch.setattr(rule, "check_statement", check_statement)
    monkeypatch.setattr(iamlint.scan._Workers, "run", spy)
    serial = run(tmp_path, "check", "--format", "json", "--no-cache", "--jobs", "1")
    assert not parallel_runs
    parallel = run(tmp_path, "check", "--format", "json", "--no-cache", "--jobs", "2")
    assert len(parallel_runs) == 1
    assert serial == parallel
    assert serial[0] == 2
    findings = json.loads(serial[1])["findings"]
    errors = {f["path"]: f["message"] for f in findings if f["rule"] == "IAM000"}
    assert errors["p/crash.json"] == "internal error in the json loader: KeyError: 'crash'"
    assert errors["p/deep.json"] == "nesting too deep to read"
    assert errors["p/rule.json"].startswith("internal error in rule IAM102")
    assert len(errors) == 3 + len(range(2, count, 3))
    assert len(where(findings, "IAM101")) == len(range(0, count, 3)) + 1


# ---------------------------------------------------------- hostile input


def test_encodings_bom_crlf_nul_and_invalid_utf8_in_every_format(tmp_path: Path) -> None:
    def variants(data: bytes) -> dict[str, bytes]:
        third = data.index(b"\n", data.index(b"\n") + 1) + 3  # line 3, column 3
        return {
            "plain": data,
            "bom": b"\xef\xbb\xbf" + data,
            "crlf": data.replace(b"\n", b"\r\n"),
            "bom-crlf": b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
            "nul": data[:third] + b"\x00" + data[third:],
            "utf8": data[:third] + b"\xff\xfe" + data[third:],
        }

    for name, text in ADMIN_TEXTS.items():
        for variant, data in variants(text.encode()).items():
            write(tmp_path, f"{variant}/{name}", data)
    code, findings = check(tmp_path, "--select", "IAM000,IAM101")
    assert code == 2
    got = {(f["rule"], f["path"], f["line"], f["column"], f["message"]) for f in findings}
    expected = set()
    for name, (line, column) in ADMIN_AT.items():
        for variant in ("plain", "bom", "crlf", "bom-crlf"):
            message = "Allow of every action ('*') on every resource: full administrator access"
            expected.add(("IAM101", f"{variant}/{name}", line, column, message))
        binary = "binary content (NUL byte): not a text file"
        expected.add(("IAM000", f"nul/{name}", 3, 3, binary))
        invalid = "invalid UTF-8 (byte 0xff): the file must be UTF-8 text"
        expected.add(("IAM000", f"utf8/{name}", 3, 3, invalid))
    assert got == expected


_PYTHON_TAGS = {
    "apply.yaml": '!!python/object/apply:os.system ["touch {marker}"]',
    "apply-open.yaml": '!!python/object/apply:builtins.open ["{marker}", "w"]',
    "new.yaml": '!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
    "name.yaml": "!!python/name:os.system",
    "module.yaml": "!!python/module:os",
    "object.yaml": '!!python/object:subprocess.Popen {{args: ["touch", "{marker}"]}}',
    "verbatim.yaml": '!<tag:yaml.org,2002:python/object/apply:os.system> ["touch {marker}"]',
    "in-list.template": '["a", !!python/object/apply:os.system ["touch {marker}"]]',
    "handle.yaml": '!py!os.system ["touch {marker}"]',
}


def test_yaml_tags_that_construct_objects_are_never_honoured(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    lines = {}
    for name, tag in _PYTHON_TAGS.items():
        head = "%TAG !py! tag:yaml.org,2002:python/object/apply:\n---\n" if "!py!" in tag else ""
        text = (
            f'{head}AWSTemplateFormatVersion: "2010-09-09"\n'
            "Resources:\n"
            "  Role:\n"
            "    Type: AWS::IAM::Role\n"
            "    Properties:\n"
            f"      RoleName: {tag.format(marker=marker.as_posix())}\n"
        )
        write(tmp_path, f"t/{name}", text)
        lines[f"t/{name}"] = text.count("\n")
    # A tag on a mapping key, too.
    key = f'      ? !!python/object/apply:os.system ["touch {marker.as_posix()}"]\n      : x\n'
    policy = "      PolicyDocument:\n"
    write(tmp_path, "t/key.yaml", ADMIN_CFN_YAML.replace(policy, key + policy, 1))
    lines["t/key.yaml"] = 6
    write(tmp_path, "admin.json", ADMIN_JSON)
    code, findings = check(tmp_path)
    assert not marker.exists()
    assert code == 2
    assert where(findings, "IAM000") == set(lines.items())
    for f in findings:
        if f["rule"] == "IAM000":
            expected = "a mapping key" if f["path"] == "t/key.yaml" else "unsupported YAML tag !!py"
            assert f["message"].startswith(expected), f
    assert where(findings, "IAM101") == {("admin.json", 4)}


def test_billion_laughs_alias_bomb_is_an_iam000_within_seconds(tmp_path: Path) -> None:
    rows = ['  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"  {name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    write(
        tmp_path,
        "lists.yaml",
        "\n".join(['AWSTemplateFormatVersion: "2010-09-09"', "Mappings:", *rows]) + "\n",
    )
    # The same with mappings, and with the bomb used inside a policy.
    rows = ["  a: &a {" + ", ".join(f"k{i}: lol" for i in range(10)) + "}"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"  {name}: &{name} {{" + ", ".join(f"k{i}: *{prev}" for i in range(10)) + "}")
    policy = ADMIN_CFN_YAML.replace('Action: "*"', "Action: *i")
    write(
        tmp_path,
        "maps.yaml",
        policy.replace("Resources:\n", "Mappings:\n" + "\n".join(rows) + "\nResources:\n"),
    )
    write(tmp_path, "admin.json", ADMIN_JSON)
    started = time.perf_counter()
    with time_limit(30):
        code, findings = check(tmp_path)
    assert time.perf_counter() - started < 5
    assert code == 2
    errors = {f["path"]: f for f in findings if f["rule"] == "IAM000"}
    assert set(errors) == {"lists.yaml", "maps.yaml"}
    for f in errors.values():
        assert "alias bomb" in f["message"] and f["line"] > 1, f
    assert where(findings, "IAM101") == {("admin.json", 4)}


DEEP = 100_000
_DEEP_INPUTS = {
    "json": ("policy.json", '{"Statement": ' + "[" * DEEP + "]" * DEEP + "}"),
    "cfn-json": (
        "template.json",
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": '
        + '{"a": ' * DEEP
        + "1"
        + "}" * DEEP
        + "}",
    ),
    "cfn-flow": (
        "template.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\nResources: ' + "[" * DEEP + "]" * DEEP + "\n",
    ),
    "cfn-map": (
        "template.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\nResources: '
        + "{a: " * DEEP
        + "1"
        + "}" * DEEP
        + "\n",
    ),
    "cfn-block": (
        "template.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  ' + "- " * DEEP + "x\n",
    ),
    "plan": (
        "plan.json",
        '{"format_version": "1.2", "planned_values": ' + "[" * DEEP + "]" * DEEP + "}",
    ),
    "tf-json": ("main.tf.json", '{"resource": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}"),
}
_DEEP_LOADER = {"json": "json", "plan": "terraform-plan", "tf-json": "terraform"}


@pytest.mark.parametrize("case", sorted(_DEEP_INPUTS))
def test_100000_deep_nesting_is_an_iam000_not_a_recursion_error(case: str) -> None:
    name, text = _DEEP_INPUTS[case]
    loader = BY_FORMAT[_DEEP_LOADER.get(case, "cloudformation")]
    docs, _ = load_checked(loader, name, text.encode())  # raises on any exception
    (doc,) = docs
    (error,) = doc.errors
    assert "nesting" in error.message and error.span.line >= 1


def test_100000_deep_hcl_nesting_is_an_iam000() -> None:
    text = (
        'resource "aws_iam_policy" "p" {\n  policy = jsonencode({Statement = '
        + "[" * DEEP
        + "]" * DEEP
        + "})\n}\n"
    )
    docs, _ = load_checked(BY_FORMAT["terraform"], "main.tf", text.encode())
    errors = [e.message for d in docs for e in d.errors]
    assert any("nest" in e for e in errors), f"no IAM000 for {DEEP:,}-deep nesting: {errors}"


def test_symlink_loops_and_links_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    symlinks_or_skip(tmp_path)
    outside = tmp_path / "outside"
    write(outside, "admin.json", ADMIN_JSON)
    write(outside, "mod/main.tf", ADMIN_TF)
    scan = tmp_path / "scan"
    write(scan, "real/scoped.json", SCOPED_JSON)
    (scan / "real" / "loop").symlink_to("..", target_is_directory=True)
    (scan / "self").symlink_to(".", target_is_directory=True)
    (scan / "escape").symlink_to(outside, target_is_directory=True)
    (scan / "linked-admin.json").symlink_to(outside / "admin.json")
    (scan / "inside-link.json").symlink_to(scan / "real" / "scoped.json")
    (scan / "loop-a.json").symlink_to(scan / "loop-b.json")
    (scan / "loop-b.json").symlink_to(scan / "loop-a.json")
    # A module that calls the outside one through the link, and reads it.
    write(
        scan,
        "mod/main.tf",
        'module "out" {\n  source = "../escape/mod"\n}\n'
        'resource "aws_iam_policy" "p" {\n'
        '  policy = file("${path.module}/../escape/admin.json")\n}\n',
    )
    with time_limit(30):
        code, findings = check(scan)
    assert code == 1
    assert {(f["rule"], f["path"]) for f in findings} == {
        ("IAM102", "real/scoped.json"),
        ("IAM102", "inside-link.json"),
    }
    code, out, _ = run(scan, "policies", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {r["path"] for r in rows} == {"real/scoped.json", "inside-link.json", "mod/main.tf"}
    (tf,) = [r for r in rows if r["path"] == "mod/main.tf"]
    assert "not read: outside the scanned tree" in tf["version"] and not tf["statements"]


def test_terraform_file_and_templatefile_never_read_outside_the_tree(tmp_path: Path) -> None:
    secret = "TOP-SECRET-OUTSIDE-MARKER"
    write(tmp_path, "outside.json", json.dumps({**_ADMIN_DOC, "Id": secret}))
    calls = {
        "absolute": 'file("/etc/passwd")',
        "parent": 'file("../../outside.json")',
        "module_parent": 'file("${path.module}/../../outside.json")',
        "root_parent": 'file("${path.root}/../../outside.json")',
        "template": 'templatefile("../../outside.json", {})',
        "absolute_outside": f"file({json.dumps((tmp_path / 'outside.json').as_posix())})",
        "home": 'file(pathexpand("~/.aws/credentials"))',
    }
    try:
        (tmp_path / "scan" / "mod").mkdir(parents=True)
        (tmp_path / "scan" / "mod" / "link.json").symlink_to(tmp_path / "outside.json")
        calls["link"] = 'file("${path.module}/link.json")'
        (tmp_path / "scan" / "mod" / "linkdir").symlink_to(tmp_path, target_is_directory=True)
        calls["dir_link"] = 'file("${path.module}/linkdir/outside.json")'
        # deep/.. is tmp_path for the system (outside.json is the secret),
        # scan/mod for a check that reads the path as text
        (tmp_path / "scan" / "mod" / "deep").symlink_to(tmp_path / "sub", target_is_directory=True)
        (tmp_path / "sub").mkdir()
        calls["dot_dot_link"] = 'file("${path.module}/deep/../outside.json")'
    except (OSError, NotImplementedError):
        pass  # no symlinks on this platform
    text = "".join(
        f'resource "aws_iam_policy" "{name}" {{\n  policy = {call}\n}}\n'
        for name, call in calls.items()
    )
    write(tmp_path, "scan/mod/main.tf", text)
    scan = tmp_path / "scan"
    code, out, err = run(scan, "policies", "--format", "json")
    assert code == 0, err
    rows = {r["address"]: r for r in json.loads(out)}
    assert set(rows) == {f"aws_iam_policy.{name}" for name in calls}
    for row in rows.values():
        assert not row["statements"], row
        if row["address"] != "aws_iam_policy.home":  # pathexpand is not evaluated
            assert "(not read: outside the scanned tree)" in row["version"], row
    code, report, _ = run(scan, "check", "--format", "json", "--no-cache")
    for output in (out, err, report):
        assert secret not in output
        passwd = Path("/etc/passwd")
        if passwd.is_file():
            first = passwd.read_text(errors="replace").splitlines()[0]
            assert first not in output


def test_files_above_max_file_size_are_one_iam000_and_others_are_checked(tmp_path: Path) -> None:
    statement = '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'
    write(tmp_path, "big.json", '{"Statement": [' + ",".join([statement] * 200) + "]}")
    write(tmp_path, "mod/big.tf", ADMIN_TF + "# padding\n" * 2000)
    write(tmp_path, "mod/admin.tf", ADMIN_TF.replace('"admin"', '"other"'))
    write(tmp_path, "admin.json", ADMIN_JSON)
    write(tmp_path, "big-lockfile.json", '{"lockfileVersion": 3, "x": "' + "a" * 20_000 + '"}')
    code, findings = check(tmp_path, "--max-file-size", "10000")
    assert code == 2
    errors = {f["path"]: f for f in findings if f["rule"] == "IAM000"}
    assert set(errors) == {"big.json", "mod/big.tf"}
    for f in errors.values():
        assert f["line"] == 1
        assert re.fullmatch(
            r"file is \d+ KiB, above the 10 KiB limit: not scanned \(see --max-file-size\)",
            f["message"],
        ), f
    assert where(findings, "IAM101") == {("admin.json", 4), ("mod/admin.tf", 6)}


def test_nothing_in_the_input_is_executed_or_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(f"{what}{args[:2]}")
            raise OSError(f"{what} called during a scan")

        return call

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))
    monkeypatch.setattr(subprocess, "Popen", refuse("Popen"))
    monkeypatch.setattr(os, "system", refuse("system"))
    write(
        tmp_path,
        "mod/main.tf",
        'module "git" {\n  source = "git::https://example.com/modules.git//iam?ref=v1"\n}\n'
        'module "registry" {\n  source = "hashicorp/iam/aws"\n  version = "1.0.0"\n}\n'
        'module "s3" {\n  source = "s3::https://s3.amazonaws.com/bucket/mod.zip"\n}\n'
        'module "http" {\n  source = "https://example.com/mod.zip"\n}\n'
        'data "http" "policy" {\n  url = "https://example.com/policy.json"\n}\n'
        'data "external" "x" {\n  program = ["sh", "-c", "touch pwned"]\n}\n'
        'resource "aws_iam_policy" "a" {\n  policy = data.http.policy.response_body\n}\n'
        'resource "aws_iam_policy" "b" {\n  policy = file("https://example.com/p.json")\n}\n'
        'resource "aws_iam_policy" "c" {\n  policy = module.git.policy_json\n}\n'
        'resource "null_resource" "x" {\n  provisioner "local-exec" {\n'
        '    command = "touch pwned"\n  }\n}\n',
    )
    write(
        tmp_path,
        "template.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Transform:\n"
        "  - AWS::Serverless-2016-10-31\n"
        "  - Name: AWS::Include\n"
        "    Parameters:\n"
        "      Location: s3://bucket/policy.yaml\n"
        "Resources:\n"
        "  Stack:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n"
        "      TemplateURL: https://example.com/nested.yaml\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: s3://bucket/code.zip\n"
        "      Policies:\n"
        "        - Fn::Transform:\n"
        "            Name: AWS::Include\n"
        "            Parameters:\n"
        "              Location: https://example.com/policy.json\n"
        "  Policy:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      PolicyDocument: !Rain::Embed https://example.com/policy.json\n",
    )
    code, findings = check(tmp_path)
    assert calls == []
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "mod" / "pwned").exists()
    assert code in (0, 1)
    assert all(f["rule"] != "IAM000" for f in findings)


# ------------------------------------------------ known bugs, not fixed yet


def _tf_load(text: str, name: str = "main.tf") -> list[Document]:
    docs, _ = load_checked(BY_FORMAT["terraform"], name, text.encode())
    return docs


def _known_strings(docs: list[Document]) -> list[str]:
    return [v.value for v in values(tuple(docs)) if isinstance(v.value, str)]


def test_terraform_list_valued_policy_does_not_crash_the_module() -> None:
    docs, _ = load_checked(
        BY_FORMAT["terraform"],
        "main.tf",
        (ADMIN_TF + 'resource "aws_iam_policy" "odd" {\n  policy = []\n}\n').encode(),
    )
    assert "aws_iam_policy.admin" in {p.address for d in docs for p in d.all_policies()}


def test_terraform_string_doubling_is_capped() -> None:
    from iamlint.loaders.tf_eval import MAX_STRING

    rows = ['  s0 = "xxxxxxxxxxxxxxxx"']
    rows += [f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"' for i in range(1, 16)]
    text = "locals {\n" + "\n".join(rows) + "\n}\n" + ADMIN_TF.replace('"*"', "local.s15", 1)
    longest = max(map(len, _known_strings(_tf_load(text))))
    assert longest <= MAX_STRING, f"{longest:,} characters"  # 16 * 2**15


def _peak_bytes(load: Callable[[], object]) -> int:
    load()  # imports and caches first
    tracemalloc.start()
    try:
        load()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("size", "call"),
    [
        pytest.param(5000, 'replace(local.a, "", local.a)', id="replace-empty"),
        pytest.param(5000, 'replace(local.a, "x", local.a)', id="replace"),
        pytest.param(20000, "join(local.a, local.l)", id="join"),
    ],
)
def test_terraform_string_functions_do_not_build_oversized_results(size: int, call: str) -> None:
    long_string = "x" * size
    items = ", ".join(['"y"'] * 1000)
    text = (
        f'locals {{\n  a = "{long_string}"\n  l = [{items}]\n}}\n'
        f'resource "aws_iam_policy" "p" {{\n  policy = {call}\n}}\n'
    )
    peak = _peak_bytes(lambda: _tf_load(text))
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.0f} MiB"  # about 5 MiB without the bug


class _OverBudget(BaseException):
    pass


def test_terraform_function_work_counts_against_the_step_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from iamlint.loaders import tf_eval

    budget = 20_000
    monkeypatch.setattr(tf_eval, "MAX_STEPS", budget)
    visits = 0
    for name in ("plain", "fully_known"):
        real = getattr(tf_eval, name)

        def counted(*args: Any, _real: Any = real) -> Any:
            nonlocal visits
            visits += 1
            if visits > 10 * budget:
                raise _OverBudget
            return _real(*args)

        monkeypatch.setattr(tf_eval, name, counted)
    items = ", ".join(f'"i{i}"' for i in range(200))
    text = (
        f"locals {{\n  l = [{items}]\n  k = slice(local.l, 0, 60)\n"
        "  n = [for a in local.k : [for b in local.k : b]]\n"
        "  m = [for a in local.l : length(jsonencode(local.n))]\n}\n"
        + ADMIN_TF.replace('"*"', "local.m", 1)
    )
    try:
        _tf_load(text)
    except _OverBudget:
        raise AssertionError(f"over {10 * budget} node visits on a budget of {budget}") from None


def test_cloudformation_join_over_aliases_is_bounded() -> None:
    anchor = 'Mappings:\n  M:\n    s: &s "' + "x" * 2000 + '"\nResources:\n'
    joined = "Resource: !Join ['', [" + ", ".join(["*s"] * 1000) + "]]"
    template = ADMIN_CFN_YAML.replace("Resources:\n", anchor).replace('Resource: "*"', joined)
    docs, _ = load_checked(BY_FORMAT["cloudformation"], "template.yaml", template.encode())
    longest = max(map(len, _known_strings(docs)))
    assert longest <= 2**20, f"{longest:,} characters from {len(template):,}"
