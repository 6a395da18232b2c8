"""The schema as an artefact (STYLE): the committed SDL is the live one, and the live one
keeps everything in the public contract: schema/contract.graphql, the repository's copy of
../shared/API_CONTRACT.graphql, checked by schema/contract_check.py wherever the repository
is cloned, and by shared/tools/contract_check.py where ../shared is present."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from schema.build import build_schema
from schema.contract_check import CONTRACT, breaking_changes

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema" / "schema.graphql"
SHARED = ROOT.parent / "shared"


def test_committed_schema_matches_the_live_schema():
    live = build_schema().as_str() + "\n"
    assert COMMITTED.read_text() == live, "run `make schema` and commit schema/schema.graphql"


@pytest.mark.skipif(not (SHARED / "API_CONTRACT.graphql").exists(), reason="no ../shared here")
def test_live_schema_keeps_the_public_contract(tmp_path):
    live = tmp_path / "live.graphql"
    live.write_text(build_schema().as_str())
    result = subprocess.run(
        [
            sys.executable,
            str(SHARED / "tools" / "contract_check.py"),
            str(SHARED / "API_CONTRACT.graphql"),
            str(live),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract kept" in result.stdout


def test_live_schema_keeps_the_contract_copy_in_the_repository():
    assert breaking_changes(CONTRACT.read_text(), build_schema().as_str()) == []


@pytest.mark.skipif(not (SHARED / "API_CONTRACT.graphql").exists(), reason="no ../shared here")
def test_the_repository_contract_is_the_products_contract():
    assert CONTRACT.read_text() == (SHARED / "API_CONTRACT.graphql").read_text(), (
        "copy ../shared/API_CONTRACT.graphql to schema/contract.graphql"
    )


def test_contract_check_fails_when_a_contract_field_is_missing(tmp_path):
    """The check can fail: drop one contract field and it must complain."""
    sdl = build_schema().as_str().replace("  premiumRate: Decimal!\n", "", 1)
    broken = tmp_path / "broken.graphql"
    broken.write_text(sdl)
    result = subprocess.run(
        [sys.executable, "-m", "schema.contract_check", str(CONTRACT), str(broken)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "premiumRate" in result.stdout
