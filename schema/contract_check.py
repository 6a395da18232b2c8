"""The public contract, kept in the repository: `schema/contract.graphql` is a copy of the
product's API_CONTRACT.graphql (../shared, which a clone of this repository alone does not
have), and `breaking_changes` is what ../shared/tools/contract_check.py checks, with
graphql-core's own `find_breaking_changes`. tests/api/test_schema_artifact.py runs it on
every `make test`, and checks the copy against ../shared wherever that is present.

    .venv/bin/python -m schema.contract_check [CONTRACT.graphql] [LIVE.graphql]
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import build_schema
from graphql.utilities import find_breaking_changes

HERE = Path(__file__).resolve().parent
CONTRACT = HERE / "contract.graphql"
COMMITTED = HERE / "schema.graphql"


def breaking_changes(contract_sdl: str, live_sdl: str) -> list[str]:
    """Every change of `live_sdl` that breaks `contract_sdl` (additions are fine)."""
    changes = find_breaking_changes(build_schema(contract_sdl), build_schema(live_sdl))
    return [f"{change.type.name}: {change.description}" for change in changes]


def main(argv: list[str]) -> int:
    contract = Path(argv[0]) if argv else CONTRACT
    live = Path(argv[1]) if len(argv) > 1 else COMMITTED
    breaking = breaking_changes(contract.read_text(), live.read_text())
    for line in breaking:
        print(line)
    if breaking:
        print(f"{len(breaking)} breaking change(s) against {contract}")
        return 1
    print("contract kept")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
