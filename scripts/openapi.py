"""Write the API's OpenAPI 3.1 document, generated from the code, to docs/openapi.json.

    python -m scripts.openapi           # rewrite docs/openapi.json
    python -m scripts.openapi --check   # exit 1 if docs/openapi.json differs from what the code generates

The committed copy is what reviewers diff and what the contract fuzzer (tests/e2e/test_contract_fuzz.py)
runs against; the app serves the same document at GET /openapi.json.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from scripts import generated_document

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"
REGENERATE = "python -m scripts.openapi"


def render() -> str:
    """The document as committed: pretty-printed, keys sorted, one trailing newline."""
    import app  # noqa: F401  (registers every blueprint, so the route table is complete)
    from chalicelib.api import openapi

    return json.dumps(openapi.build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    return generated_document.main(argv, __doc__, DOCUMENT, ROOT, render, REGENERATE)

if __name__ == "__main__":
    sys.exit(main())
