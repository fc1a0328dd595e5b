"""The pre-commit hooks, for real: a throwaway repository uses this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADMIN = (
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}\n'
)
FIXED = (
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",'
    ' "Resource": "arn:aws:s3:::reports/*"}}\n'
)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_hook_fails_on_admin_policy_and_passes_once_fixed(tmp_path: Path) -> None:
    try:
        rev = git(ROOT, "rev-parse", "HEAD")
    except subprocess.CalledProcessError:
        pytest.skip("the checkout has no commit for pre-commit to install")
    repo = tmp_path / "infra"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "dev")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: iamlint\n",
        encoding="utf-8",
    )
    (repo / "policies").mkdir()
    policy = repo / "policies" / "deploy.json"
    policy.write_text(ADMIN, encoding="utf-8")
    (repo / "package.json").write_text('{"name": "infra"}\n', encoding="utf-8")
    git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    failed = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "policies/deploy.json:1:" in failed.stdout
    assert "IAM101 full-admin-access" in failed.stdout
    policy.write_text(FIXED, encoding="utf-8")
    git(repo, "add", ".")
    passed = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout + passed.stderr
