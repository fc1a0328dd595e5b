"""The wheel a user installs carries every rule, under iamlint's own name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("iamlint-*.whl")
    return built


def test_wheel_ships_rules_inside_iamlint_and_no_top_level_rules(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert not any(n.startswith("rules/") for n in names), "a top-level 'rules' package"
    shipped = {Path(n).stem for n in names if n.startswith("iamlint/rules/IAM")}
    in_repo = {p.stem for p in (ROOT / "rules").glob("IAM*.py")}
    assert shipped == in_repo
    assert "iamlint/py.typed" in names


def test_installed_wheel_finds_every_rule(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True
    )
    # Run outside the checkout so only the installed copy can be imported.
    listed = subprocess.run(
        [str(bindir / "iamlint"), "rules", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    ids = {row["id"] for row in json.loads(listed.stdout)}
    in_repo = {p.name.split("_", 1)[0] for p in (ROOT / "rules").glob("IAM*.py")}
    assert ids == in_repo
    version = subprocess.run(
        [str(python), "-m", "iamlint", "--version"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert version.stdout.startswith("iamlint ")
