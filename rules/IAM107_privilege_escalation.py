from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from iamlint.analysis import (
    ESCALATION_ACTIONS,
    attached_policy,
    condition_keys,
    covers_every_resource,
    denies_action,
    granted_among,
    is_any_action,
    is_unconditioned,
    matches,
    on_any_resource,
    pattern_text,
    text,
)
from iamlint.model import Identity, Policy, Statement, Value, Workspace
from iamlint.rule import Context, Hit, Rule

_PASS_ROLE = "iam:PassRole"


@dataclass(frozen=True)
class _Path:
    """A privilege-escalation path: every step is needed, any action of a step will do."""

    why: str
    steps: tuple[tuple[str, ...], ...]
    passed_to: tuple[str, ...] = ()  # services the role goes to, for iam:PassRole paths


def _single(action: str, why: str) -> _Path:
    return _Path(why, ((action,),))


def _passrole(services: tuple[str, ...], why: str, *steps: tuple[str, ...]) -> _Path:
    return _Path(why, ((_PASS_ROLE,), *steps), services)


_SINGLE_WHY = {
    "iam:CreatePolicyVersion": "rewrite any customer managed policy",
    "iam:SetDefaultPolicyVersion": "switch a managed policy to a broader version",
    "iam:AttachUserPolicy": "attach AdministratorAccess to a user",
    "iam:AttachGroupPolicy": "attach AdministratorAccess to a group",
    "iam:AttachRolePolicy": "attach AdministratorAccess to a role",
    "iam:PutUserPolicy": "write an inline policy into a user",
    "iam:PutGroupPolicy": "write an inline policy into a group",
    "iam:PutRolePolicy": "write an inline policy into a role",
    "iam:AddUserToGroup": "join a more privileged group",
    "iam:UpdateAssumeRolePolicy": "let oneself assume any role",
    "iam:CreateLoginProfile": "set a console password for another user",
    "iam:UpdateLoginProfile": "reset another user's console password",
    "iam:DeleteRolePermissionsBoundary": "lift a role's permissions boundary",
    "iam:DeleteUserPermissionsBoundary": "lift a user's permissions boundary",
    "iam:PutRolePermissionsBoundary": "replace a role's permissions boundary",
    "iam:PutUserPermissionsBoundary": "replace a user's permissions boundary",
    "lambda:UpdateFunctionCode": "run code as any function's role",
    "glue:UpdateDevEndpoint": "log in to any Glue dev endpoint and use its role",
    "sagemaker:CreatePresignedNotebookInstanceUrl": "open any notebook and use its role",
    "ssm:SendCommand": "run commands on any instance and take its role",
    "ssm:StartSession": "open a shell on any instance and take its role",
    "ec2-instance-connect:SendSSHPublicKey": "SSH into any instance and take its role",
    "ecs:ExecuteCommand": "open a shell in any task and take its role",
    "codebuild:StartBuild": "override the buildspec of any project and use its role",
    "codebuild:StartBuildBatch": "override the buildspec of any project and use its role",
    "cloudformation:UpdateStack": "replace any stack's template, run by its service role",
    "apprunner:UpdateService": "deploy code into any App Runner service and use its role",
    "batch:SubmitJob": "run any command with any job definition's role",
}

PATHS: tuple[_Path, ...] = (
    *(_single(action, _SINGLE_WHY[action]) for action in ESCALATION_ACTIONS),
    _passrole(
        ("ec2.amazonaws.com",),
        "launch an instance with any role",
        ("ec2:RunInstances", "ec2:RequestSpotInstances"),
    ),
    _passrole(
        ("ec2.amazonaws.com", "autoscaling.amazonaws.com"),
        "launch an Auto Scaling group with any role",
        ("autoscaling:CreateLaunchConfiguration", "ec2:CreateLaunchTemplate"),
        ("autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup"),
    ),
    _Path(
        "change an instance's user data and restart it",
        (("ec2:ModifyInstanceAttribute",), ("ec2:StopInstances",), ("ec2:StartInstances",)),
    ),
    _Path(
        "point a launch template at new user data",
        (("ec2:CreateLaunchTemplateVersion",), ("ec2:ModifyLaunchTemplate",)),
    ),
    _passrole(
        ("lambda.amazonaws.com",),
        "create and run a function with any role",
        ("lambda:CreateFunction",),
        ("lambda:InvokeFunction", "lambda:CreateEventSourceMapping", "lambda:AddPermission"),
    ),
    _passrole(
        ("cloudformation.amazonaws.com",),
        "create a stack run by any role",
        ("cloudformation:CreateStack",),
    ),
    _passrole(
        ("cloudformation.amazonaws.com",),
        "create a stack set run by any role",
        ("cloudformation:CreateStackSet",),
        ("cloudformation:CreateStackInstances",),
    ),
    _passrole(
        ("cloudformation.amazonaws.com",),
        "update a stack set to run as any role",
        ("cloudformation:UpdateStackSet",),
    ),
    _Path(
        "change any stack through a change set, run by its service role",
        (("cloudformation:CreateChangeSet",), ("cloudformation:ExecuteChangeSet",)),
    ),
    _passrole(
        ("glue.amazonaws.com",),
        "create a Glue dev endpoint with any role",
        ("glue:CreateDevEndpoint",),
    ),
    _passrole(
        ("glue.amazonaws.com",),
        "run a Glue job with any role",
        ("glue:CreateJob", "glue:UpdateJob"),
        ("glue:StartJobRun", "glue:CreateTrigger"),
    ),
    _passrole(
        ("datapipeline.amazonaws.com",),
        "run a data pipeline with any role",
        ("datapipeline:CreatePipeline",),
        ("datapipeline:PutPipelineDefinition",),
        ("datapipeline:ActivatePipeline",),
    ),
    _passrole(
        ("sagemaker.amazonaws.com",),
        "create a notebook with any role",
        ("sagemaker:CreateNotebookInstance",),
        ("sagemaker:CreatePresignedNotebookInstanceUrl",),
    ),
    _passrole(
        ("sagemaker.amazonaws.com",),
        "run a SageMaker job with any role",
        ("sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob"),
    ),
    _passrole(
        ("codebuild.amazonaws.com",),
        "create and start a CodeBuild project with any role",
        ("codebuild:CreateProject",),
        ("codebuild:StartBuild", "codebuild:StartBuildBatch"),
    ),
    _passrole(
        ("ecs-tasks.amazonaws.com", "ecs.amazonaws.com"),
        "run an ECS task with any role",
        ("ecs:RunTask",),
    ),
    _passrole(
        ("ecs-tasks.amazonaws.com", "ecs.amazonaws.com"),
        "start an ECS task with any role",
        ("ecs:StartTask",),
        ("ecs:RegisterContainerInstance",),
    ),
    _passrole(
        ("ecs-tasks.amazonaws.com", "ecs.amazonaws.com"),
        "run an ECS service with any role",
        ("ecs:RegisterTaskDefinition",),
        ("ecs:CreateService", "ecs:UpdateService"),
    ),
    _passrole(
        ("tasks.apprunner.amazonaws.com", "build.apprunner.amazonaws.com"),
        "create an App Runner service with any role",
        ("apprunner:CreateService",),
    ),
    _passrole(
        ("batch.amazonaws.com", "ecs-tasks.amazonaws.com"),
        "register a Batch job definition with any role and run it",
        ("batch:RegisterJobDefinition",),
        ("batch:SubmitJob",),
    ),
    _passrole(
        ("codestar.amazonaws.com",),
        "create a CodeStar project with any role",
        ("codestar:CreateProject",),
    ),
    _passrole(
        ("amplify.amazonaws.com",),
        "build an Amplify app with any role",
        ("amplify:CreateApp",),
        ("amplify:CreateBranch",),
        ("amplify:StartJob",),
    ),
    _passrole(
        ("braket.amazonaws.com",),
        "run a Braket job with any role",
        ("braket:CreateJob",),
    ),
    _passrole(
        ("cognito-identity.amazonaws.com",),
        "give an identity pool any role, then sign in to it",
        ("cognito-identity:SetIdentityPoolRoles",),
    ),
    _passrole(
        ("bedrock-agentcore.amazonaws.com",),
        "run code in a Bedrock AgentCore code interpreter with any role",
        ("bedrock-agentcore:CreateCodeInterpreter",),
        ("bedrock-agentcore:StartCodeInterpreterSession",),
        ("bedrock-agentcore:InvokeCodeInterpreter",),
    ),
    _Path(
        "run code in an existing Bedrock AgentCore code interpreter and use its role",
        (
            ("bedrock-agentcore:StartCodeInterpreterSession",),
            ("bedrock-agentcore:InvokeCodeInterpreter",),
        ),
    ),
)

_PATH_ACTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(a for path in PATHS for step in path.steps for a in step)
)
# The ARN service of the resources each prefix's actions act on ("" = any).
_ARN_SERVICE = {"ec2-instance-connect": "ec2", "ssm": "", "ecs": "", "batch": ""}


@dataclass(frozen=True, slots=True)
class _Grant:
    policy: Policy
    statement: Statement
    element: Value
    services: tuple[str, ...] | None = None  # iam:PassedToService values, None: any


@dataclass
class _Grants:
    """What a set of policies grants of the path actions, and what they deny."""

    allowed: dict[str, list[_Grant]] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    admin: bool = False

    def merge(self, other: _Grants) -> None:
        for action, grants in other.allowed.items():
            self.allowed.setdefault(action, []).extend(grants)
        self.denied |= other.denied
        self.admin = self.admin or other.admin


class PrivilegeEscalation(Rule):
    """## What it does
    Finds an identity (user, group or role) or a standalone policy that
    grants a known privilege-escalation path: one action, or a combination
    of actions, that lets the holder gain permissions it was not given.

    ## Why is this bad?
    A principal that can rewrite its own policies, hand a powerful role to
    code it controls, or take over another identity's credentials is one
    step from administrator, whatever else its policy says. Least privilege
    (AWS IAM best practice "Apply least-privilege permissions") fails as
    soon as one of these paths is open.

    Single actions (on every resource of their type): `iam:CreatePolicyVersion`,
    `iam:SetDefaultPolicyVersion`, `iam:AttachUserPolicy`,
    `iam:AttachGroupPolicy`, `iam:AttachRolePolicy`, `iam:PutUserPolicy`,
    `iam:PutGroupPolicy`, `iam:PutRolePolicy`, `iam:AddUserToGroup`,
    `iam:UpdateAssumeRolePolicy`, `iam:CreateLoginProfile`,
    `iam:UpdateLoginProfile`, `iam:DeleteRolePermissionsBoundary`,
    `iam:DeleteUserPermissionsBoundary`, `iam:PutRolePermissionsBoundary`,
    `iam:PutUserPermissionsBoundary`, `lambda:UpdateFunctionCode`,
    `glue:UpdateDevEndpoint`, `sagemaker:CreatePresignedNotebookInstanceUrl`,
    `ssm:SendCommand`, `ssm:StartSession`,
    `ec2-instance-connect:SendSSHPublicKey`, `ecs:ExecuteCommand`,
    `codebuild:StartBuild`, `codebuild:StartBuildBatch`,
    `cloudformation:UpdateStack`, `apprunner:UpdateService`,
    `batch:SubmitJob`.

    Combinations: `iam:PassRole` with `ec2:RunInstances` or
    `ec2:RequestSpotInstances`; with `autoscaling:CreateLaunchConfiguration`
    or `ec2:CreateLaunchTemplate` and `autoscaling:CreateAutoScalingGroup`
    (or `UpdateAutoScalingGroup`); with `lambda:CreateFunction` and
    `lambda:InvokeFunction`, `lambda:CreateEventSourceMapping` or
    `lambda:AddPermission`; with `cloudformation:CreateStack`; with
    `cloudformation:CreateStackSet` and `CreateStackInstances`; with
    `cloudformation:UpdateStackSet`; with `glue:CreateDevEndpoint`; with
    `glue:CreateJob` or `UpdateJob` and `glue:StartJobRun` or
    `CreateTrigger`; with `datapipeline:CreatePipeline`,
    `PutPipelineDefinition` and `ActivatePipeline`; with
    `sagemaker:CreateNotebookInstance` and
    `CreatePresignedNotebookInstanceUrl`; with `sagemaker:CreateTrainingJob`
    or `CreateProcessingJob`; with `codebuild:CreateProject` and
    `StartBuild` / `StartBuildBatch`; with `ecs:RunTask`; with
    `ecs:StartTask` and `RegisterContainerInstance`; with
    `ecs:RegisterTaskDefinition` and `CreateService` / `UpdateService`; with
    `apprunner:CreateService`; with `batch:RegisterJobDefinition` and
    `SubmitJob`; with `codestar:CreateProject`; with `amplify:CreateApp`,
    `CreateBranch` and `StartJob`; with `braket:CreateJob`; with
    `cognito-identity:SetIdentityPoolRoles`; with
    `bedrock-agentcore:CreateCodeInterpreter`,
    `StartCodeInterpreterSession` and `InvokeCodeInterpreter`. Without
    PassRole: `ec2:ModifyInstanceAttribute` with `StopInstances` and
    `StartInstances`; `ec2:CreateLaunchTemplateVersion` with
    `ModifyLaunchTemplate`; `cloudformation:CreateChangeSet` with
    `ExecuteChangeSet`; `bedrock-agentcore:StartCodeInterpreterSession`
    with `InvokeCodeInterpreter`.

    Sources: Rhino Security Labs' 21 AWS privilege-escalation methods,
    Bishop Fox's iam-vulnerable, and Datadog's pathfinding.cloud catalogue.

    ## Example
    ```json
    {"Effect": "Allow",
     "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
     "Resource": "*"}
    ```

    ## Use instead
    Scope each action to the resources it is for, and say which service
    may receive which role:
    ```json
    {"Effect": "Allow", "Action": "iam:PassRole",
     "Resource": "arn:aws:iam::123456789012:role/orders-lambda",
     "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
    {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"],
     "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:orders-*"}
    ```

    ## Known limitations
    An identity is judged on all its policies together: its inline
    policies, the managed policies linked to it in the scanned files, and,
    for a user, its groups' policies when the group is in the scanned files;
    a standalone (managed) policy is also judged on its own. A path found in
    a standalone policy (or a group) on its own is reported there once, not
    again for every identity it is attached to. AWS managed policies
    attached by ARN are not read. One finding per offending action element
    names the paths it opens.

    To keep false alarms down, an action only counts when granted by an
    unconditioned Allow on every resource of its type (`*`, `role/*`,
    `function:*`, ...): a named resource, a path or a prefix
    (`role/app-*`) scopes it, and so does any condition that narrows who or
    where. `iam:PassRole` still counts with an `iam:PassedToService`
    condition when it names the path's service. Any Deny in the same
    identity that names a needed action (whatever its resource or
    condition) breaks the path. `*` and NotAction statements are IAM101's
    and IAM104's. `iam:CreateAccessKey` is reported by IAM108, and
    `sts:AssumeRole` is left to trust policies. Paths through another
    identity (`iam:AttachRolePolicy` on one named role that the holder can
    assume) are not followed.

    ## References
    - [Rhino Security Labs: AWS IAM privilege escalation methods](https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/)
    - [Bishop Fox: iam-vulnerable](https://github.com/BishopFox/iam-vulnerable)
    - [Datadog: pathfinding.cloud](https://pathfinding.cloud/)
    - [Apply least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    """

    id = "IAM107"
    name = "privilege-escalation"
    severity = "high"
    tags = ("least-privilege", "privilege-escalation")

    def __init__(self) -> None:
        self._workspace: Workspace | None = None
        self._inline: set[int] = set()
        self._policies: dict[str, Policy] = {}
        self._groups: dict[str, Identity] = {}
        self._grants: dict[int, tuple[Policy, _Grants]] = {}

    # ---- checks

    def check_policy(self, policy: Policy, ctx: Context) -> Iterable[Hit]:
        if policy.kind != "identity":
            return
        self._index(ctx.workspace)
        if id(policy) in self._inline:
            return  # judged with the rest of its identity
        grants = self._of(policy)
        if grants.admin:
            return
        yield from _hits(_open_paths(grants), policy.address)

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        self._index(ctx.workspace)
        units: list[_Grants] = []  # reported on their own elsewhere
        total = _Grants()
        for policy in identity.inline_policies:
            if policy.kind == "identity":
                total.merge(self._of(policy))
        for policy in self._managed(identity):
            grants = self._of(policy)
            total.merge(grants)
            units.append(grants)
        if identity.kind == "user":
            for group in self._groups_of(identity):
                group_total = _Grants()
                for policy in (*group.inline_policies, *self._managed(group)):
                    if policy.kind == "identity":
                        group_total.merge(self._of(policy))
                total.merge(group_total)
                units.append(group_total)
        if total.admin:
            return
        found = [
            item
            for item in _open_paths(total)
            if not any(_satisfied(item[0], unit) is not None for unit in units)
        ]
        yield from _hits(found, None)

    # ---- the workspace

    def _index(self, workspace: Workspace) -> None:
        if self._workspace is workspace:
            return
        self._workspace = workspace
        self._inline = set()
        self._policies = {}
        self._groups = {}
        self._grants = {}
        for doc in workspace.documents:
            for policy in doc.all_policies():
                self._policies.setdefault(policy.address, policy)
            for identity in doc.identities:
                self._inline.update(id(p) for p in identity.inline_policies)
                if identity.kind == "group":
                    self._groups.setdefault(identity.address, identity)
                    name = text(identity.name) if identity.name is not None else None
                    if name:
                        self._groups.setdefault(name, identity)

    def _managed(self, identity: Identity) -> Iterator[Policy]:
        for ref in identity.managed_policies:
            policy = attached_policy(ref.target, self._policies) if ref.target else None
            if policy is not None and policy.kind == "identity":
                yield policy

    def _groups_of(self, identity: Identity) -> Iterator[Identity]:
        for value in identity.groups:
            t = text(value)
            group = self._groups.get(t) if t else None
            if group is not None:
                yield group

    def _of(self, policy: Policy) -> _Grants:
        cached = self._grants.get(id(policy))
        if cached is None:
            cached = (policy, _grants_of(policy))
            self._grants[id(policy)] = cached
        return cached[1]


# ---- what a policy grants


def _grants_of(policy: Policy) -> _Grants:
    out = _Grants()
    for statement in policy.statements:
        if statement.is_deny:
            if statement.not_actions:
                out.denied.update(a for a in _PATH_ACTIONS if denies_action(statement, a))
            for element in statement.actions or ():
                t = text(element)
                if t is not None:
                    out.denied.update(_granted(t))
            continue
        if not statement.is_allow or not statement.actions or statement.not_resources:
            continue
        if on_any_resource(statement) is not None and any(
            is_any_action(a) for a in statement.actions
        ):
            out.admin = True  # IAM101
            continue
        plain = is_unconditioned(statement)
        services = None if plain else _passed_to(statement)
        if not plain and services is None:
            continue
        for element in statement.actions:
            t = text(element)
            if t is None or is_any_action(element):
                continue
            for action in _granted(t):
                if action == _PASS_ROLE:
                    if _any_role(statement):
                        out.allowed.setdefault(action, []).append(
                            _Grant(policy, statement, element, services)
                        )
                elif plain and _every_resource(statement, action):
                    out.allowed.setdefault(action, []).append(_Grant(policy, statement, element))
    return out


def _passed_to(statement: Statement) -> tuple[str, ...] | None:
    """The iam:PassedToService values when that is the only narrowing condition."""
    keys = condition_keys(statement)
    if keys != {"iam:passedtoservice"} or any(text(c.key) is None for c in statement.conditions):
        return None
    values: list[str] = []
    for c in statement.conditions:
        if (text(c.key) or "").lower() == "iam:passedtoservice":
            for v in c.values:
                t = text(v)
                if t is None:
                    return None
                values.append(t)
    return tuple(values)


def _every_resource(statement: Statement, action: str) -> bool:
    prefix = action.partition(":")[0].lower()
    service = _ARN_SERVICE.get(prefix, prefix)
    for r in statement.resources or ():
        t = pattern_text(r)
        if t is not None and covers_every_resource(t, service):
            return True
    return False


def _any_role(statement: Statement) -> bool:
    for r in statement.resources or ():
        t = pattern_text(r)
        if t is None or not covers_every_resource(t, "iam"):
            continue
        if t == "*" or matches(t.split(":", 5)[5], "role/passed-role"):
            return True
    return False


# ---- paths


def _satisfied(path: _Path, grants: _Grants) -> tuple[_Grant, str] | None:
    """The grant to report and the actions used, when every step of the path
    is granted and not denied."""
    first: _Grant | None = None
    used: list[str] = []
    for step in path.steps:
        chosen: _Grant | None = None
        for action in step:
            if action in grants.denied:
                continue
            for grant in grants.allowed.get(action, ()):
                if action == _PASS_ROLE and not _passes_to(grant, path.passed_to):
                    continue
                chosen = grant
                break
            if chosen is not None:
                used.append(action)
                break
        if chosen is None:
            return None
        first = first or chosen
    return (first, " + ".join(used)) if first is not None else None


def _passes_to(grant: _Grant, services: tuple[str, ...]) -> bool:
    if grant.services is None:
        return True
    return any(matches(v, s) for v in grant.services for s in services)


def _open_paths(grants: _Grants) -> list[tuple[_Path, _Grant, str]]:
    if not grants.allowed:
        return []
    found = []
    for path in PATHS:
        result = _satisfied(path, grants)
        if result is not None:
            found.append((path, *result))
    return found


def _hits(found: Sequence[tuple[_Path, _Grant, str]], address: str | None) -> Iterator[Hit]:
    by_element: dict[tuple[int, int, int], list[str]] = {}
    first: dict[tuple[int, int, int], _Grant] = {}
    for path, grant, used in found:
        key = (id(grant.policy), grant.statement.index, id(grant.element))
        by_element.setdefault(key, []).append(f"{used} ({path.why})")
        first.setdefault(key, grant)
    for key, paths in by_element.items():
        grant = first[key]
        shown = "; ".join(paths[:2])
        more = f"; and {len(paths) - 2} more" if len(paths) > 2 else ""
        t = (text(grant.element) or "").strip()
        yield Hit(
            grant.element.span,
            f"privilege escalation: {shown}{more}",
            element=f"{grant.policy.address}:{grant.statement.index}:Action:{t}",
            address=address or grant.policy.address,
        )


@lru_cache(maxsize=65536)
def _granted(pattern: str) -> tuple[str, ...]:
    return granted_among(pattern, _PATH_ACTIONS)
