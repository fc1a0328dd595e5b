"""Raw JSON policy documents become Policies with a position on every element."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.loaders import Source, claim
from iamlint.loaders.json_policy import load_one
from iamlint.loaders.jsonpos import MAX_DEPTH, JSONPosError, parse
from iamlint.model import Document, Policy, Unknown


def load(text: str | bytes, name: str = "p.json") -> Document | None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return load_one(Source(Path(name), name, data))


def policy(text: str) -> Policy:
    doc = load(text)
    assert doc is not None and not doc.errors
    (p,) = doc.policies
    return p


def test_every_element_has_its_line_and_column() -> None:
    p = policy(
        """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": "arn:aws:s3:::data/*",
      "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-1", "o-2"]}}
    }
  ]
}"""
    )
    (s,) = p.statements
    assert p.version is not None and (p.version.span.line, p.version.span.column) == (2, 14)
    assert s.sid is not None and s.sid.value == "Read" and s.sid.span.line == 5
    assert [(a.value, a.span.line, a.span.column) for a in s.actions or ()] == [
        ("s3:GetObject", 7, 18),
        ("s3:ListBucket", 7, 34),
    ]
    (c,) = s.conditions
    assert (c.operator.value, c.key.value) == ("StringEquals", "aws:PrincipalOrgID")
    assert [(v.value, v.span.column) for v in c.values] == [("o-1", 61), ("o-2", 68)]
    assert (s.span.line, s.span.end_line) == (4, 10)
    assert p.kind == "identity" and p.address == "p.json"


def test_single_statement_object_and_principal_forms() -> None:
    p = policy(
        """{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"],
 "Service": "sns.amazonaws.com"}, "NotAction": "s3:Delete*", "NotResource": "arn:aws:s3:::x"}}"""
    )
    (s,) = p.statements
    assert [(pr.kind, pr.value.value) for pr in s.principals or ()] == [
        ("AWS", "arn:aws:iam::1:root"),
        ("AWS", "*"),
        ("Service", "sns.amazonaws.com"),
    ]
    assert s.actions is None and [a.value for a in s.not_actions or ()] == ["s3:Delete*"]
    assert [r.value for r in s.not_resources or ()] == ["arn:aws:s3:::x"]
    assert p.kind == "resource"


def test_trust_policy_is_inferred() -> None:
    p = policy(
        '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},'
        ' "Action": ["sts:AssumeRole", "sts:TagSession"]}]}'
    )
    assert p.kind == "trust"
    assert policy(
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*"}]}'
    ).kind == ("resource")


def test_problems_are_kept_for_the_validity_rules() -> None:
    p = policy(
        '{"Version": "2012-10-17", "Policy": 1, "Statement": [{"Effect": "Allow",'
        ' "Actions": "s3:*", "Resource": 5, "Principal": {"Account": "1"}}, "oops"]}'
    )
    first, second = p.statements
    assert [k.value for k in first.unknown_keys] == ["Actions"]
    assert [v.value for v in first.problems] == [
        "Resource must be a string or a list",
        "Principal has an unknown principal type 'Account'",
    ]
    assert [v.value for v in second.problems] == ["a statement must be an object"]
    assert [k.value for k in p.unknown_keys] == ["Policy"]


def test_not_a_policy_is_skipped_quietly() -> None:
    assert load('{"compilerOptions": {"strict": true}}') is None
    assert load('[{"Statement": 1}]') is None
    assert claim("tsconfig.json", b'{"compilerOptions": {}}') is None
    assert claim("policy.json", b'{"Statement": []}') is not None
    assert claim("notes.txt", b'{"Statement": []}') is None


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b'{"Statement": [\n  {"Effect": "Allow",}\n]}', 2, "a quoted key was expected"),
        (b'{"Statement": [1, 2', 1, "unexpected end of file"),
        (b'{"Statement": "\xff"}', 1, "invalid UTF-8"),
        (b'{"Statement": \x00}', 1, "binary content"),
        (b'{"Statement": []} trailing', 1, "extra data"),
    ],
)
def test_broken_policies_are_parse_errors_with_a_line(data: bytes, line: int, message: str) -> None:
    doc = load(data)
    assert doc is not None and not doc.policies
    (err,) = doc.errors
    assert err.span.line == line and message in err.message


def test_bom_and_crlf_are_accepted() -> None:
    doc = load(
        b'\xef\xbb\xbf{\r\n"Statement": {"Effect": "Allow", "Action": "*",\r\n "Resource": "*"}}'
    )
    assert doc is not None and not doc.errors
    (s,) = doc.policies[0].statements
    assert s.resources is not None and s.resources[0].span.line == 3


def test_nesting_is_bounded() -> None:
    with pytest.raises(JSONPosError, match="nesting deeper"):
        parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    parse("[" * MAX_DEPTH + "]" * MAX_DEPTH)


def test_size_counts_characters_without_whitespace() -> None:
    text = '{\n  "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}\n}'
    assert policy(text).size == len("".join(text.split()))


def test_container_where_a_string_belongs_is_unknown_not_dropped() -> None:
    p = policy('{"Statement": {"Effect": "Allow", "Action": [{"Ref": "X"}], "Resource": "*"}}')
    (s,) = p.statements
    assert s.actions == ()
    assert s.problems and "must hold strings" in str(s.problems[0].value)
    p = policy('{"Statement": {"Effect": {"a": 1}, "Action": "s3:*", "Resource": "*"}}')
    assert isinstance(p.statements[0].effect and p.statements[0].effect.value, Unknown)
